// pipeline_test.cpp: end to end through the `tinyad` binary, as a user runs
// it: train, eval --json, score, convert, on the real dataset and on small
// datasets with broken files written by the test.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "cli_run.h"
#include "model.h"
#include "npz.h"
#include "test_env.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace tinyad {
namespace {

using test::CliRun;
using test::tinyad;

const char* kAnomalies = "fan_0_med_0_weight,fan_0_high_0_weight,fan_0_low_1_weight,fan_0_med_1_weight,fan_0_high_1_weight";

class Pipeline : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(::testing::TempDir()) / ("tinyad-pipeline-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  fs::path dir_;
};

TEST_F(Pipeline, TrainEvalScoreOnTheRealDataset) {
  std::string data;
  TINYAD_REQUIRE_ENV_PATH("TINYAD_DATA", data);
  const std::string model_path = path("md.json");
  CliRun t = tinyad("train --data " + data + " --normal fan_0_low_0_weight-moving -o " + model_path);
  ASSERT_EQ(t.status, 0) << t.err;
  Model m;
  std::string err;
  ASSERT_TRUE(model_load(model_path, &m, &err)) << err;
  ASSERT_TRUE(m.split.has_value());
  // 299 normal files: 59 validation, 59 test, 181 training.
  EXPECT_EQ(m.split->train.size(), 181u);
  EXPECT_EQ(m.split->validation.size(), 59u);
  EXPECT_EQ(m.split->test.size(), 59u);

  // eval via a different spelling of the same folder still knows it is the
  // training dataset and scores only the held-out test split.
  CliRun e = tinyad("eval --model " + model_path + " --data " + data + "/./ --normal fan_0_low_0_weight-moving --anomaly " +
                 kAnomalies + " --json");
  ASSERT_EQ(e.status, 0) << e.err;
  const json j = json::parse(e.out);
  for (const char* key : {"auc", "threshold", "tpr", "fpr", "confusion", "n_normal", "n_anomaly", "per_label"})
    EXPECT_TRUE(j.contains(key)) << key;
  EXPECT_EQ(j["n_normal"], 59);
  EXPECT_EQ(j["n_excluded"], 240);
  EXPECT_EQ(j["n_anomaly"], 588 + 589 + 580 + 584 + 585);
  const auto c = j["confusion"];
  EXPECT_EQ(c[0][0].get<int>() + c[0][1].get<int>(), 59);
  EXPECT_EQ(c[1][0].get<int>() + c[1][1].get<int>(), j["n_anomaly"].get<int>());
  EXPECT_DOUBLE_EQ(j["threshold"].get<double>(), m.threshold.value);
  EXPECT_EQ(j["per_label"]["fan_0_high_0_weight"]["n"], 589);
  EXPECT_TRUE(j["per_label"]["fan_0_low_0_weight-moving"]["auc"].is_null());
  EXPECT_GT(j["auc"].get<double>(), 0.95);

  // score: one line per file, verdict consistent with the threshold; a high
  // speed window is an anomaly, a held-out normal test window is normal here.
  const std::string normal_file = data + "/" + m.split->test.front();
  const std::string high_file = data + "/fan_0_high_0_weight/0000.csv";
  CliRun s = tinyad("score --model " + model_path + " " + normal_file + " " + high_file);
  ASSERT_EQ(s.status, 0) << s.err;
  char p1[512], v1[16], p2[512], v2[16];
  double s1, s2;
  ASSERT_EQ(std::sscanf(s.out.c_str(), "%511s %lf %15s\n%511s %lf %15s", p1, &s1, v1, p2, &s2, v2), 6) << s.out;
  EXPECT_EQ(std::string(p1), normal_file);
  EXPECT_EQ(std::string(v1), s1 > m.threshold.value ? "anomaly" : "normal");
  EXPECT_EQ(std::string(v2), "anomaly");
  EXPECT_GT(s2, m.threshold.value);

  CliRun sj = tinyad("score --json --model " + model_path + " " + high_file);
  ASSERT_EQ(sj.status, 0);
  const json line = json::parse(sj.out);
  EXPECT_EQ(line["path"], high_file);
  EXPECT_NEAR(line["score"].get<double>(), s2, 1e-6 * s2);
  EXPECT_EQ(line["anomaly"], true);
}

TEST_F(Pipeline, ScoreFailsOnAMalformedFile) {
  const std::string model_path = path("md.json");
  std::string ref;
  TINYAD_REQUIRE_ENV_PATH("TINYAD_REFERENCE", ref);
  ASSERT_EQ(tinyad("convert " + ref + "/mahalanobis/md_model-moving.npz " + model_path).status, 0);
  std::ofstream(path("bad.csv")) << "0.1, 0.2, 0.3\n0.1, oops, 0.3\n";
  CliRun s = tinyad("score --model " + model_path + " " + path("bad.csv"));
  EXPECT_NE(s.status, 0);
  EXPECT_NE(s.err.find(path("bad.csv") + ":2: expected a number in column 2, got 'oops'"), std::string::npos) << s.err;
  EXPECT_EQ(s.out, "");
}

TEST_F(Pipeline, ConvertNpzRoundTripLoadsInNumpy) {
  std::string ref;
  TINYAD_REQUIRE_ENV_PATH("TINYAD_REFERENCE", ref);
  const std::string in = ref + "/mahalanobis/md_model-moving.npz";
  ASSERT_EQ(tinyad("convert " + in + " " + path("orig.json")).status, 0);
  CliRun back = tinyad("convert " + path("orig.json") + " " + path("back.npz"));
  ASSERT_EQ(back.status, 0) << back.err;
  // Independent reader: numpy itself must load what we wrote, equal to the input.
  const std::string py = "/usr/bin/python3 -c \"import numpy as np,sys; a=np.load(sys.argv[1]); b=np.load(sys.argv[2]); "
                         "sys.exit(0 if all(np.array_equal(a[k],b[k]) for k in ('model_mu','model_cov')) else 1)\" " +
                         in + " " + path("back.npz");
  EXPECT_EQ(std::system(py.c_str()), 0);
  // Foreign inputs get a clear error, and no output file.
  std::ofstream(path("foreign.npz")) << "not a zip";
  CliRun bad = tinyad("convert " + path("foreign.npz") + " " + path("x.json"));
  EXPECT_NE(bad.status, 0);
  EXPECT_NE(bad.err.find("not a readable .npz archive"), std::string::npos) << bad.err;
  EXPECT_FALSE(fs::exists(path("x.json")));
  std::ofstream(path("foreign.json")) << "{\"hello\": 1}";
  CliRun bad2 = tinyad("score --model " + path("foreign.json") + " " + path("x.csv"));
  EXPECT_NE(bad2.status, 0);
  EXPECT_NE(bad2.err.find("not a tinyad model"), std::string::npos) << bad2.err;
}

// A small dataset with one good label and broken files: train skips and
// counts the bad ones, names file and line, and still trains.
TEST_F(Pipeline, TrainSkipsMalformedAndShortFiles) {
  const fs::path data = dir_ / "data";
  fs::create_directories(data / "normal");
  uint64_t state = 1;
  auto noise = [&state] {  // small LCG: test data only
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    return double(state >> 11) * 0x1.0p-53 - 0.5;
  };
  for (int f = 0; f < 30; ++f) {
    char name[16];
    std::snprintf(name, sizeof name, "%04d.csv", f);
    std::ofstream out(data / "normal" / name);
    for (int i = 0; i < 200; ++i) out << 0.01 * noise() << ", " << 0.01 * noise() << ", " << 1 + 0.01 * noise() << "\r\n";
  }
  std::ofstream(data / "normal" / "0100.csv") << "1, 2\n";
  std::ofstream(data / "normal" / "0101.csv") << "";
  std::ofstream(data / "normal" / "0102.csv") << "0.1, 0.2, nan\n";
  std::ofstream(data / "normal" / "0103.csv") << "0.1, 0.2, 0.3\n";  // 1 row: shorter than the window
  CliRun t = tinyad("train --recipe original --data " + data.string() + " --normal normal -o " + path("m.json"));
  ASSERT_EQ(t.status, 0) << t.err;
  EXPECT_NE(t.err.find("0100.csv:1: expected 3 columns (x, y, z), got 2"), std::string::npos) << t.err;
  EXPECT_NE(t.err.find("0101.csv:1: expected rows of x, y, z, got an empty file"), std::string::npos) << t.err;
  EXPECT_NE(t.err.find("0102.csv:1: expected a finite number in column 3, got 'nan'"), std::string::npos) << t.err;
  EXPECT_NE(t.err.find("0103.csv: 1 rows, the recipe needs at least 128"), std::string::npos) << t.err;
  EXPECT_NE(t.out.find("4 malformed files skipped"), std::string::npos) << t.out;
  Model m;
  std::string err;
  ASSERT_TRUE(model_load(path("m.json"), &m, &err)) << err;
  EXPECT_EQ(m.split->train.size() + m.split->validation.size() + m.split->test.size(), 30u);
}

TEST_F(Pipeline, UsageErrorsAreClear) {
  CliRun r = tinyad("train --data /nonexistent --normal x -o " + path("m.json"));
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.err.find("/nonexistent: not a dataset folder"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(path("m.json")));
  CliRun h = tinyad("--help");
  EXPECT_EQ(h.status, 0);
  for (const char* cmd : {"train", "eval", "score", "convert", "demo"}) EXPECT_NE(h.out.find(cmd), std::string::npos);
}

}  // namespace
}  // namespace tinyad
