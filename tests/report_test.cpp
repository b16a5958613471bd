// report_test.cpp: the HTML reports below the browser: the page embeds its
// data losslessly and safely, histograms and rankings hold the right numbers,
// and the JSON inside an eval report is what `tinyad eval --json` prints.
// (tests/browser/reports_test.cjs opens the pages in chromium.)
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>

#include "atomic_file.h"
#include "feature_ranking.h"
#include "report_html.h"
#include "report_model.h"
#include "cli_run.h"
#include "test_env.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace tinyad {
namespace {

// ---------------------------------------------------------------- page
TEST(ReportHtml, EmbedsPlotlyScriptAndDataInOnePage) {
  EXPECT_GT(report_asset_plotly_js().size(), 1000000u);  // the real plotly.min.js, not a stub
  EXPECT_NE(report_asset_plotly_js().find("newPlot"), std::string_view::npos);
  EXPECT_NE(report_asset_script().find("tinyadReportMain"), std::string_view::npos);
  const json data = {{"kind", "eval"}, {"title", "a <b> & \"c\""}, {"values", {1.5, 2.25}}};
  const std::string html = report_render_html(data);
  EXPECT_EQ(html.find("<!--TINYAD_"), std::string::npos) << "a placeholder was left in the page";
  EXPECT_EQ(html.find("TINYAD_TITLE"), std::string::npos);
  EXPECT_NE(html.find("<title>a &lt;b&gt; &amp; &quot;c&quot;</title>"), std::string::npos);
  EXPECT_EQ(html.find("<script src"), std::string::npos);
  json back;
  std::string err;
  ASSERT_TRUE(report_extract_data(html, &back, &err)) << err;
  EXPECT_EQ(back, data);
}

TEST(ReportHtml, DataCannotCloseItsScriptElement) {
  // Label names come from folder names: anything may be in them.
  const json data = {{"kind", "eval"}, {"label", "x</script><script>alert(1)</script><!--"}};
  const std::string text = report_json_for_script(data);
  EXPECT_EQ(text.find('<'), std::string::npos);
  EXPECT_EQ(json::parse(text), data);
  const std::string html = report_render_html(data);
  json back;
  std::string err;
  ASSERT_TRUE(report_extract_data(html, &back, &err)) << err;
  EXPECT_EQ(back, data);
}

TEST(ReportHtml, NonFiniteNumbersBecomeNull) {
  const json data = {{"a", INFINITY}, {"b", NAN}, {"c", 1.0}};
  EXPECT_EQ(json::parse(report_json_for_script(data)), json::parse(R"({"a":null,"b":null,"c":1.0})"));
}

TEST(ReportHtml, WritesAtomicallyAndReportsBadPaths) {
  const fs::path dir = fs::path(::testing::TempDir()) / ("tinyad-report-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::string err;
  EXPECT_TRUE(report_write_html((dir / "r.html").string(), {{"kind", "eval"}}, &err)) << err;
  EXPECT_GT(fs::file_size(dir / "r.html"), 1000000u);
  EXPECT_FALSE(report_write_html((dir / "missing" / "r.html").string(), {{"kind", "eval"}}, &err));
  EXPECT_NE(err.find("missing"), std::string::npos) << err;
  fs::remove_all(dir);
}

// ---------------------------------------------------------------- numbers
TEST(ReportNumbers, LogHistogramCountsEveryScoreInTheRightBin) {
  // 1, 10, 100 with 2 log bins: edges about 1, 10, 100; 1 -> bin 0, 10 and
  // 100 -> bin 1 (a value on an inner edge belongs to the upper bin).
  const LogHistogram h = log_histogram({{1.0, 10.0, 100.0}, {0.0, 50.0}}, 2);
  ASSERT_EQ(h.edges.size(), 3u);
  EXPECT_NEAR(h.edges[0], 1.0, 1e-6);
  EXPECT_NEAR(h.edges[1], 10.0, 1e-6);
  EXPECT_NEAR(h.edges[2], 100.0, 1e-6);
  EXPECT_EQ(h.counts[0], (std::vector<size_t>{1, 2}));
  EXPECT_EQ(h.counts[1], (std::vector<size_t>{1, 1}));  // a score of 0 is counted in the first bin
  // The threshold is always inside the range, so it can be drawn.
  const LogHistogram t = log_histogram({{5.0, 6.0}}, 4, 1000.0);
  EXPECT_LE(t.edges.front(), 5.0);
  EXPECT_GE(t.edges.back(), 1000.0);
}

TEST(ReportNumbers, RankFeaturesUsesAucAndSessionDrift) {
  // Column "up": normal {1,2,3,4}, anomaly {3,4,5,6}. Pairs with the anomaly
  // higher: 3 -> 2 + tie, 4 -> 3 + tie, 5 -> 4, 6 -> 4: (2.5+3.5+4+4)/16 = 0.875,
  // separation |2*0.875-1| = 0.75. Column "flat" is identical everywhere: 0.5, 0.
  // Drift: session a {1,2} vs session b {3,4}: AUC 1 -> drift 1 for "up".
  FeatureColumns c;
  c.names = {"up", "flat"};
  c.groups = {"g1", "g2"};
  c.labels = {"a", "a", "b", "b", "bad", "bad", "bad", "bad"};
  c.X.resize(8, 2);
  const double up[] = {1, 2, 3, 4, 3, 4, 5, 6};
  for (int i = 0; i < 8; ++i) {
    c.X(i, 0) = up[i];
    c.X(i, 1) = 7.0;
  }
  const auto r = rank_features(c, {"a", "b"}, {"bad"});
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].name, "up");
  EXPECT_DOUBLE_EQ(r[0].auc[0], 0.875);
  EXPECT_DOUBLE_EQ(r[0].separation, 0.75);
  ASSERT_TRUE(r[0].drift.has_value());
  EXPECT_DOUBLE_EQ(*r[0].drift, 1.0);
  EXPECT_EQ(r[1].name, "flat");
  EXPECT_DOUBLE_EQ(r[1].auc[0], 0.5);
  EXPECT_DOUBLE_EQ(r[1].separation, 0.0);
}

// Normal windows: noise in both groups. Anomalies move the "signal" group
// only; a second normal session moves the "session" group only.
FeatureColumns synthetic_columns() {
  std::mt19937_64 rng(7);
  std::normal_distribution<double> n01(0.0, 1.0);
  FeatureColumns c;
  c.names = {"signal_x", "signal_y", "noise_x", "noise_y", "session_x", "session_y"};
  c.groups = {"signal", "signal", "noise", "noise", "session", "session"};
  const struct {
    const char* label;
    size_t n;
    double signal, session;
  } kinds[] = {{"normal", 200, 0.0, 0.0}, {"other_session", 100, 0.0, 6.0}, {"fault", 100, 4.0, 0.0}};
  std::vector<std::array<double, 6>> rows;
  for (const auto& k : kinds) {
    for (size_t i = 0; i < k.n; ++i) {
      rows.push_back({k.signal + n01(rng), k.signal + n01(rng), n01(rng), n01(rng), k.session + n01(rng),
                      k.session + n01(rng)});
      c.labels.push_back(k.label);
    }
  }
  c.X.resize(Eigen::Index(rows.size()), 6);
  for (size_t i = 0; i < rows.size(); ++i)
    for (int j = 0; j < 6; ++j) c.X(Eigen::Index(i), j) = rows[i][size_t(j)];
  return c;
}

TEST(ReportNumbers, FeatureSetSearchPrefersGroupsThatDoNotSeparateSessions) {
  const FeatureColumns c = synthetic_columns();
  SetSearchOptions opt;
  SetSearch s;
  std::string err;
  ASSERT_TRUE(search_feature_sets(c, {"normal", "other_session"}, {"fault"}, opt, &s, &err)) << err;
  ASSERT_FALSE(s.recommended.empty());
  EXPECT_EQ(s.recommended.front(), "signal");
  EXPECT_EQ(std::count(s.recommended.begin(), s.recommended.end(), "session"), 0);
  for (const auto& single : s.singles) {
    if (single.groups[0] == "signal") {
      EXPECT_GT(single.auc[0], 0.99);
    } else if (single.groups[0] == "noise") {
      EXPECT_NEAR(single.auc[0], 0.5, 0.15);
    } else {
      ASSERT_TRUE(single.false_alarms_other.has_value());
      EXPECT_GT(*single.false_alarms_other, 0.9);  // a 6-sigma session shift: every window flagged
    }
  }
}

TEST(ReportNumbers, PcaFindsTheDirectionOfMostVariance) {
  // Points along (1, 1) with a little spread across: after standardising,
  // the first axis carries almost all the variance.
  Eigen::MatrixXd X(50, 2);
  for (int i = 0; i < 50; ++i) {
    X(i, 0) = i + 0.01 * (i % 3);
    X(i, 1) = i - 0.01 * (i % 3);
  }
  const Pca2 p = pca_2d(X);
  EXPECT_GT(p.explained[0], 0.999);
  EXPECT_LT(p.explained[1], 0.001);
  EXPECT_NEAR(p.points.col(0).mean(), 0.0, 1e-9);
}

// ---------------------------------------------------------------- the binary
using test::CliRun;
using test::tinyad;

class ReportCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(::testing::TempDir()) / ("tinyad-report-cli-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }

  // Labels "normal" and "other" (a 12 Hz hum, different offsets) and "fault"
  // (a 31 Hz hum, stronger), 30 windows each, plus one malformed file.
  std::string write_dataset() {
    const fs::path root = dir_ / "data";
    std::mt19937_64 rng(3);
    std::normal_distribution<double> noise(0.0, 0.004);
    const struct {
      const char* label;
      double f, amp, offset;
    } kinds[] = {{"normal", 12, 0.02, 0.0}, {"other", 12, 0.02, 0.01}, {"fault", 31, 0.06, 0.0}};
    for (const auto& k : kinds) {
      fs::create_directories(root / k.label);
      for (int i = 0; i < 30; ++i) {
        char name[16];
        std::snprintf(name, sizeof name, "%04d.csv", i);
        std::ofstream out(root / k.label / name);
        for (int t = 0; t < 200; ++t) {
          const double s = k.amp * std::sin(2 * M_PI * k.f * t / 200.0 + i);
          out << k.offset + s + noise(rng) << ", " << 0.1 + 0.5 * s + noise(rng) << ", " << 1.0 + 0.2 * s + noise(rng)
              << "\n";
        }
      }
    }
    std::ofstream(root / "fault" / "0099.csv") << "0.1, oops, 0.3\n";
    return root.string();
  }
  fs::path dir_;
};

json report_data(const std::string& file) {
  std::string html, err;
  json data;
  EXPECT_TRUE(read_file(file, &html, &err)) << err;
  EXPECT_TRUE(report_extract_data(html, &data, &err)) << err;
  return data;
}

// What the eval report shows is what `eval --json` prints, and its charts'
// numbers add up to the same counts.
void expect_eval_report_matches_json(const json& data, const json& printed) {
  ASSERT_TRUE(data.contains("eval"));
  EXPECT_EQ(data["eval"], printed);
  size_t flagged_total = 0;
  for (const auto& l : data["histogram"]["labels"]) {
    size_t sum = 0;
    for (const auto& c : l["counts"]) sum += c.get<size_t>();
    const std::string label = l["label"];
    EXPECT_EQ(sum, printed["per_label"][label]["n"].get<size_t>()) << label;
    EXPECT_EQ(l["flagged"], printed["per_label"][label]["flagged"]) << label;
    flagged_total += l["flagged"].get<size_t>();
  }
  const auto& cm = printed["confusion"];
  EXPECT_EQ(flagged_total, cm[0][1].get<size_t>() + cm[1][1].get<size_t>());
  EXPECT_EQ(data["histogram"]["threshold"], printed["threshold"]);
  EXPECT_EQ(data["roc"]["pooled"]["auc"], printed["auc"]);
  for (const auto& r : data["roc"]["per_label"]) EXPECT_EQ(r["auc"], printed["per_label"][r["label"].get<std::string>()]["auc"]);
}

TEST_F(ReportCli, EvalReportJsonMatchesEvalJsonOnASmallDataset) {
  const std::string data = write_dataset();
  const std::string model = path("m.json");
  CliRun t = tinyad("train --data " + data + " --normal normal --anomaly fault -o " + model + " --report " +
                    path("train.html"));
  ASSERT_EQ(t.status, 0) << t.err;
  const std::string eval = "eval --model " + model + " --data " + data + " --normal normal,other --anomaly fault";
  CliRun j = tinyad(eval + " --json");
  ASSERT_EQ(j.status, 0) << j.err;
  CliRun e = tinyad(eval + " --report " + path("eval.html"));
  ASSERT_EQ(e.status, 0) << e.err;
  expect_eval_report_matches_json(report_data(path("eval.html")), json::parse(j.out));

  const json train = report_data(path("train.html"));
  EXPECT_EQ(train["kind"], "train");
  EXPECT_EQ(train["model"]["recipe"]["name"], "default");
  EXPECT_EQ(train["eval"]["n_normal"], 6);  // the test split: 20 % of 30
  EXPECT_FALSE(train.contains("loss"));     // a Mahalanobis model has no loss curve
}

TEST_F(ReportCli, EvalReportJsonMatchesEvalJsonOnTheRealDataset) {
  std::string data;
  TINYAD_REQUIRE_ENV_PATH("TINYAD_DATA", data);
  const std::string model = path("m.json");
  ASSERT_EQ(tinyad("train --data " + data + " --normal fan_0_low_0_weight-moving -o " + model).status, 0);
  const std::string eval = "eval --model " + model + " --data " + data +
                           " --normal fan_0_low_0_weight-moving,fan_0_low_0_weight --anomaly "
                           "fan_0_med_0_weight,fan_0_high_0_weight,fan_0_low_1_weight,fan_0_med_1_weight,fan_0_high_1_weight";
  CliRun j = tinyad(eval + " --json");
  ASSERT_EQ(j.status, 0) << j.err;
  CliRun e = tinyad(eval + " --report " + path("eval.html"));
  ASSERT_EQ(e.status, 0) << e.err;
  expect_eval_report_matches_json(report_data(path("eval.html")), json::parse(j.out));
}

TEST_F(ReportCli, AnalyzeListsBadFilesAndRecommendsTheSeparatingGroups) {
  const std::string data = write_dataset();
  CliRun a = tinyad("analyze --data " + data + " --normal normal,other --anomaly fault -o " + path("a.html"));
  ASSERT_EQ(a.status, 0) << a.err;
  EXPECT_NE(a.out.find("recommended feature groups:"), std::string::npos) << a.out;
  const json d = report_data(path("a.html"));
  EXPECT_EQ(d["kind"], "analysis");
  EXPECT_EQ(d["dataset"]["n_bad"], 1);
  EXPECT_NE(d["dataset"]["bad_files"][0].get<std::string>().find("0099.csv"), std::string::npos);
  ASSERT_EQ(d["spectra"]["freq"].size(), 128u);  // bins 1..128 of a 256-point FFT
  EXPECT_DOUBLE_EQ(d["spectra"]["freq"][0].get<double>(), 200.0 / 256);
  // The fault is a 31 Hz line: the fault's x spectrum peaks in the bin nearest 31 Hz.
  for (const auto& l : d["spectra"]["labels"]) {
    if (l["label"] != "fault") continue;
    const auto& x = l["x"];
    size_t peak = 0;
    for (size_t k = 0; k < x.size(); ++k)
      if (x[k].get<double>() > x[peak].get<double>()) peak = k;
    EXPECT_NEAR(d["spectra"]["freq"][peak].get<double>(), 31.0, 0.8);
  }
  EXPECT_FALSE(d["feature_sets"]["recommended"].empty());
  EXPECT_EQ(d["ranking"]["features"].size(), 72u);  // 8 groups of 3 and 48 bands

  CliRun bad = tinyad("analyze --data " + data + " --normal normal --anomaly nosuchlabel -o " + path("b.html"));
  EXPECT_EQ(bad.status, 1);
  EXPECT_NE(bad.err.find("nosuchlabel"), std::string::npos) << bad.err;
  EXPECT_FALSE(fs::exists(path("b.html")));
}

}  // namespace
}  // namespace tinyad
