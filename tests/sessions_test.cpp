// sessions_test.cpp: normal recording sessions as first-class inputs:
// `eval --other-normal` (false alarms of other sessions, kept out of the
// pooled numbers), `train --features`, `train --normal A,B` (distances
// between sessions) and `analyze`'s session-relative ranking and train line.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "cli_run.h"
#include "feature_ranking.h"
#include "recipe.h"
#include "session_distance.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace tinyad {
namespace {

using test::CliRun;
using test::tinyad;

TEST(SessionsNumbers, SessionRelativeSeparationByHand) {
  // Sessions a {1,2} and b {3,4}: means 1.5 and 3.5, their centre 2.5, sd of
  // the means sqrt(((1.5-2.5)^2 + (3.5-2.5)^2) / 1) = sqrt(2); within-session
  // variances 0.5 and 0.5 pooled over 1 + 1 degrees of freedom: sd sqrt(0.5).
  // Anomaly "near" {3,4,5,6} (mean 4.5) and "far" {10, 12} (mean 11): the
  // smaller shift counts, |4.5 - 2.5| = 2.
  const double rel = session_relative_separation({{1, 2}, {3, 4}}, {{3, 4, 5, 6}, {10, 12}});
  EXPECT_NEAR(rel, 2.0 / (std::sqrt(2.0) + std::sqrt(0.5)), 1e-12);
  // One session: no between-session spread, the within sd alone (sqrt(0.5)).
  EXPECT_NEAR(session_relative_separation({{1, 2}}, {{3.5}}), 2.0 / std::sqrt(0.5), 1e-12);
  EXPECT_EQ(session_relative_separation({{1, 2}, {3, 4}}, {}), 0.0);
}

TEST(SessionsNumbers, RankFeaturesFillsSessionRelative) {
  FeatureColumns c;
  c.names = {"f"};
  c.groups = {"g"};
  c.labels = {"a", "a", "b", "b", "bad", "bad", "bad", "bad"};
  c.X.resize(8, 1);
  c.X.col(0) << 1, 2, 3, 4, 3, 4, 5, 6;
  const auto r = rank_features(c, {"a", "b"}, {"bad"});
  ASSERT_EQ(r.size(), 1u);
  EXPECT_NEAR(r[0].session_relative, 2.0 / (std::sqrt(2.0) + std::sqrt(0.5)), 1e-12);
}

TEST(SessionsNumbers, SessionDistanceOfOneFeatureIsTheShiftInWithinSessionSd) {
  // One feature: Ledoit-Wolf's target is the variance itself, so shrinkage
  // changes nothing. a {1,2,3}, b {5,6,7}, centred {-1,0,1} twice: sum of
  // squares 4 over 6 - 1 = 5 -> variance 0.8; distance 4 / sqrt(0.8) = sqrt(20).
  // "c" has one window and is left out.
  Eigen::MatrixXd X(7, 1);
  X.col(0) << 1, 2, 3, 5, 6, 7, 100;
  std::vector<SessionDistance> d;
  std::string err;
  ASSERT_TRUE(session_distances(X, {"a", "a", "a", "b", "b", "b", "c"}, {"a", "b", "c"}, &d, &err)) << err;
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].a, "a");
  EXPECT_EQ(d[0].b, "b");
  EXPECT_EQ(d[0].n_a, 3u);
  EXPECT_NEAR(d[0].distance, std::sqrt(20.0), 1e-9);
}

TEST(SessionsNumbers, RecipeWithGroupsKeepsTheBaseAndChecksNames) {
  Recipe base, r;
  std::string err;
  ASSERT_TRUE(recipe_named("default", &base, &err));
  ASSERT_TRUE(recipe_with_groups(base, {"bands_rel", "kurt"}, &r, &err)) << err;
  EXPECT_EQ(r.name, "custom");
  EXPECT_EQ(r.core.window, base.core.window);
  EXPECT_EQ(r.core.n_bands, base.core.n_bands);
  EXPECT_EQ(r.core.log_scale, base.core.log_scale);
  EXPECT_EQ(tinyad_recipe_n_features(&r.core), 3u * 16 + 3);
  EXPECT_EQ(r.core.groups[0], TINYAD_FEATURE_BANDS_REL);
  // The original base has no bands: 16 equal bands over the 64 bins of 128 rows.
  ASSERT_TRUE(recipe_named("original", &base, &err));
  ASSERT_TRUE(recipe_with_groups(base, {"mad", "bands"}, &r, &err)) << err;
  EXPECT_EQ(r.core.window, 128);
  EXPECT_EQ(r.core.n_bands, 16);
  EXPECT_EQ(r.core.band_edges[16], 65);
  EXPECT_FALSE(recipe_with_groups(base, {"mad", "nope"}, &r, &err));
  EXPECT_NE(err.find("unknown feature group 'nope'"), std::string::npos) << err;
  EXPECT_NE(err.find("bands_rel"), std::string::npos) << err;  // lists the known groups
  EXPECT_FALSE(recipe_with_groups(base, {"mad", "mad"}, &r, &err));
  EXPECT_NE(err.find("twice"), std::string::npos) << err;
}

class SessionsCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("tinyad-sessions-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    data_ = (dir_ / "sim").string();
    // Few windows keep the test fast; 60 still split 36/12/12.
    CliRun s = tinyad("simulate -n 60 --labels fan_0_low_0_weight-moving,fan_0_low_0_weight,fan_0_med_0_weight,"
                      "fan_0_high_0_weight -o " + data_);
    ASSERT_EQ(s.status, 0) << s.err;
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  fs::path dir_;
  std::string data_;
};

const char* const kMoving = "fan_0_low_0_weight-moving";
const char* const kStill = "fan_0_low_0_weight";
const char* const kAnomalies = "fan_0_med_0_weight,fan_0_high_0_weight";

TEST_F(SessionsCli, OtherNormalIsReportedApartFromThePooledNumbers) {
  ASSERT_EQ(tinyad("train --data " + data_ + " --normal " + kMoving + " -o " + path("m.json")).status, 0);
  const std::string eval = "eval --model " + path("m.json") + " --data " + data_ + " --json --anomaly " + kAnomalies;
  CliRun plain = tinyad(eval + " --normal " + kMoving);
  CliRun other = tinyad(eval + " --normal " + kMoving + " --other-normal " + kStill);
  // The same windows as a plain normal label, for the expected counts.
  CliRun pooled = tinyad(eval + " --normal " + kMoving + "," + kStill);
  ASSERT_EQ(plain.status, 0) << plain.err;
  ASSERT_EQ(other.status, 0) << other.err;
  ASSERT_EQ(pooled.status, 0) << pooled.err;
  const json p = json::parse(plain.out), o = json::parse(other.out), q = json::parse(pooled.out);
  // Pooled numbers are those without the other session.
  for (const char* key : {"auc", "tpr", "fpr", "confusion", "n_normal", "n_anomaly"}) EXPECT_EQ(o[key], p[key]) << key;
  EXPECT_FALSE(o["per_label"].contains(kStill));
  ASSERT_EQ(o["other_normal"].size(), 1u);
  const json& l = o["other_normal"][0];
  EXPECT_EQ(l["label"], kStill);
  EXPECT_EQ(l["n"], q["per_label"][kStill]["n"]);
  EXPECT_EQ(l["flagged"], q["per_label"][kStill]["flagged"]);
  EXPECT_GT(l["n"].get<size_t>(), 0u);
  EXPECT_DOUBLE_EQ(l["rate"].get<double>(), l["flagged"].get<double>() / l["n"].get<double>());
  EXPECT_TRUE(p["other_normal"].empty());
  CliRun text = tinyad("eval --model " + path("m.json") + " --data " + data_ + " --normal " + kMoving +
                       " --other-normal " + kStill);
  ASSERT_EQ(text.status, 0) << text.err;
  EXPECT_NE(text.out.find(std::string("other session ") + kStill + ": " + std::to_string(l["flagged"].get<size_t>()) +
                          "/" + std::to_string(l["n"].get<size_t>()) + " false alarms"),
            std::string::npos)
      << text.out;
}

TEST_F(SessionsCli, OtherNormalMayNotRepeatANormalOrAnomalyLabel) {
  ASSERT_EQ(tinyad("train --data " + data_ + " --normal " + kMoving + " -o " + path("m.json")).status, 0);
  const std::string eval = "eval --model " + path("m.json") + " --data " + data_ + " --normal " + kMoving;
  CliRun n = tinyad(eval + " --other-normal " + kMoving);
  EXPECT_EQ(n.status, 1);
  EXPECT_NE(n.err.find(std::string("label '") + kMoving + "' is given as both --normal and --other-normal"),
            std::string::npos)
      << n.err;
  CliRun a = tinyad(eval + " --anomaly " + kStill + " --other-normal " + kStill);
  EXPECT_EQ(a.status, 1);
  EXPECT_NE(a.err.find("both --anomaly and --other-normal"), std::string::npos) << a.err;
}

TEST_F(SessionsCli, TrainFeaturesAreRecordedAndUsedByEvalAndScore) {
  CliRun t = tinyad("train --data " + data_ + " --normal " + kMoving + " --features bands_rel,kurt -o " + path("m.json"));
  ASSERT_EQ(t.status, 0) << t.err;
  std::ifstream in(path("m.json"));
  const json m = json::parse(in);
  EXPECT_EQ(m["recipe"]["name"], "custom");
  EXPECT_EQ(m["recipe"]["features"], json({"bands_rel", "kurt"}));
  EXPECT_EQ(m["recipe"]["n_features"], 51);
  CliRun e = tinyad("eval --model " + path("m.json") + " --data " + data_ + " --normal " + kMoving + " --anomaly " +
                    kAnomalies + " --json");
  ASSERT_EQ(e.status, 0) << e.err;
  EXPECT_GT(json::parse(e.out)["auc"].get<double>(), 0.9);
  CliRun s = tinyad("score --model " + path("m.json") + " " + data_ + "/" + kStill + "/0000.csv");
  EXPECT_EQ(s.status, 0) << s.err;
  CliRun bad = tinyad("train --data " + data_ + " --normal " + kMoving + " --features mad,nope -o " + path("x.json"));
  EXPECT_EQ(bad.status, 1);
  EXPECT_NE(bad.err.find("unknown feature group 'nope'"), std::string::npos) << bad.err;
  EXPECT_FALSE(fs::exists(path("x.json")));
}

TEST_F(SessionsCli, TrainOnTwoSessionsReportsHowFarApartTheyAre) {
  CliRun t = tinyad("train --data " + data_ + " --normal " + kMoving + "," + kStill + " -o " + path("m.json"));
  ASSERT_EQ(t.status, 0) << t.err;
  EXPECT_NE(t.out.find("normal sessions apart"), std::string::npos) << t.out;
  std::ifstream in(path("m.json"));
  const json pairs = json::parse(in)["provenance"]["session_distances"];
  ASSERT_EQ(pairs.size(), 1u);
  EXPECT_EQ(pairs[0]["a"], kMoving);
  EXPECT_EQ(pairs[0]["b"], kStill);
  EXPECT_GT(pairs[0]["distance"].get<double>(), 0.0);
}

TEST_F(SessionsCli, AnalyzePrintsATrainLineThatRuns) {
  CliRun a = tinyad("analyze --data " + data_ + " --normal " + kMoving + "," + kStill + " --anomaly " + kAnomalies +
                    " --splits 1 -o " + path("a.html"));
  ASSERT_EQ(a.status, 0) << a.err;
  EXPECT_NE(a.out.find("anomaly shift / normal session spread"), std::string::npos) << a.out;
  const std::string prefix = "  tinyad train ";
  const size_t at = a.out.find(prefix);
  ASSERT_NE(at, std::string::npos) << a.out;
  std::string line = a.out.substr(at + prefix.size(), a.out.find('\n', at) - at - prefix.size());
  EXPECT_NE(line.find("--features "), std::string::npos) << line;
  const std::string out = "-o model.json";
  ASSERT_EQ(line.substr(line.size() - out.size()), out) << line;
  line.replace(line.size() - out.size(), out.size(), "-o " + path("rec.json"));
  CliRun t = tinyad("train " + line);
  ASSERT_EQ(t.status, 0) << t.err;
  std::ifstream in(path("rec.json"));
  EXPECT_EQ(json::parse(in)["recipe"]["name"], "custom");
}

}  // namespace
}  // namespace tinyad
