// convert_rate_test.cpp: `tinyad convert` of the original's .npz with normal
// windows at hand says what share of them its threshold flags, and
// --false-alarms calibrates with the conformal rule. The expected share is
// computed here from the model's scores alone (no threshold code).
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <fstream>

#include "cli_run.h"
#include "dataset_load.h"
#include "model.h"
#include "model_import.h"
#include "test_env.h"

namespace {

namespace fs = std::filesystem;
using tinyad::test::tinyad;

const char* kNormal = "fan_0_low_0_weight-moving";

std::string out_path(const std::string& name) {
  return (fs::path(::testing::TempDir()) / ("tinyad-convert-rate-" + std::to_string(::getpid()) + "-" + name))
      .string();
}

TEST(ConvertRate, PrintsTheShareTheOriginalThresholdFlags) {
  std::string data, ref;
  TINYAD_REQUIRE_ENV_PATH("TINYAD_DATA", data);
  TINYAD_REQUIRE_ENV_PATH("TINYAD_REFERENCE", ref);
  const std::string npz = ref + "/mahalanobis/md_model-moving.npz", out = out_path("orig.json");
  // Independently: the model's scores of every normal window, counted above 3.0.
  tinyad::Model m;
  std::vector<std::string> warnings;
  std::string err;
  tinyad::ImportOptions o;
  o.threshold_given = true;  // 3.0, uncalibrated
  ASSERT_TRUE(tinyad::model_import(npz, o, &m, &warnings, &err)) << err;
  tinyad::LoadedDataset loaded;
  ASSERT_TRUE(tinyad::dataset_load(data, {kNormal}, m.recipe.core, tinyad::selection_all(), {}, &loaded, &err)) << err;
  const Eigen::VectorXd s = tinyad::model_scores(m, loaded.table.X);
  size_t above = 0;
  for (double v : s) above += v > 3.0;
  char expected[160];
  std::snprintf(expected, sizeof expected, "threshold 3 (3) flags %.2f %% of the %zu normal windows of %s",
                100.0 * double(above) / double(s.size()), size_t(s.size()), kNormal);

  const auto r = tinyad("convert " + npz + " " + out + " --data " + data + " --normal " + kNormal + " --threshold 3.0");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find(expected), std::string::npos) << r.out << "\nexpected: " << expected;
  EXPECT_GT(above, s.size() / 20);  // the original's 3.0 is far from a 1 % rate on its own windows
  fs::remove(out);
}

TEST(ConvertRate, FalseAlarmsCalibratesConformally) {
  std::string data, ref;
  TINYAD_REQUIRE_ENV_PATH("TINYAD_DATA", data);
  TINYAD_REQUIRE_ENV_PATH("TINYAD_REFERENCE", ref);
  const std::string npz = ref + "/mahalanobis/md_model-moving.npz", out = out_path("conformal.json");
  const auto r = tinyad("convert " + npz + " " + out + " --data " + data + " --normal " + kNormal +
                        " --false-alarms 0.01");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("(conformal:0.01) flags"), std::string::npos) << r.out;
  tinyad::Model m;
  std::string err;
  ASSERT_TRUE(tinyad::model_load(out, &m, &err)) << err;
  EXPECT_EQ(m.threshold.method, "conformal");
  ASSERT_TRUE(m.threshold.expected_false_alarms && m.threshold.calibration_rate);
  EXPECT_LE(*m.threshold.expected_false_alarms, 0.01);
  EXPECT_LE(*m.threshold.calibration_rate, 0.01);
  fs::remove(out);

  const auto both = tinyad("convert " + npz + " " + out + " --data " + data + " --normal " + kNormal +
                           " --false-alarms 0.01 --threshold 3");
  EXPECT_NE(both.status, 0);
  const auto no_data = tinyad("convert " + npz + " " + out + " --false-alarms 0.01");
  EXPECT_NE(no_data.status, 0);
  EXPECT_NE(no_data.err.find("give --data and --normal"), std::string::npos) << no_data.err;
}

}  // namespace
