// serve_foreign_model_test.cpp: `tinyad serve` straight from the files a user
// brings from the original system (no convert step): its Mahalanobis .npz,
// its Keras .h5 and its .tflite. The verdicts over HTTP are checked against
// values numpy computed from the same files (tests/golden/reference.json and
// autoencoder_h5.json, made by scripts/golden/*.py) where numpy can read them.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli_run.h"
#include "csv_reader.h"
#include "golden_json.h"
#include "npz.h"
#include "raw_http.h"
#include "sample_json.h"
#include "server_process.h"
#include "test_env.h"

namespace tinyad {
namespace {

using test::ServerProcess;

// POSTs one window to a running service; the verdict JSON.
nlohmann::json verdict(const ServerProcess& p, const std::vector<double>& rows) {
  const std::string reply = test::send_request(p.port(), test::post_request(sample_json_format(rows)));
  EXPECT_EQ(test::status_of(reply), 200) << reply;
  return nlohmann::json::parse(test::body_of(reply), nullptr, false);
}

TEST(ServeForeignModel, OriginalNpzScoresAsNumpy) {
  std::string ref;
  TINYAD_REQUIRE_ENV_PATH("TINYAD_REFERENCE", ref);
  const nlohmann::json golden = test::load_golden("reference.json");
  std::map<std::string, NpyArray> samples;
  std::string err;
  ASSERT_TRUE(npz_read(ref + "/test-samples/normal_anomaly_samples.npz", &samples, &err)) << err;

  // Between the two samples' squared distances (0.437 and 0.650), so one
  // verdict each way.
  const double threshold = 0.5;
  ServerProcess p("serve");
  ASSERT_TRUE(p.start({"--model", ref + "/mahalanobis/md_model-moving.npz", "--threshold", "0.5", "-p", "0", "--host",
                       "127.0.0.1"}))
      << p.output();
  int n = 0;
  for (const auto& [name, want] : golden["samples"].items()) {
    ASSERT_TRUE(samples.count(name)) << name;
    const nlohmann::json v = verdict(p, samples[name].data);
    const double d2 = want["sq_distance"].get<double>();
    EXPECT_NEAR(v["score"].get<double>(), d2, 1e-9 * d2) << name;
    EXPECT_EQ(v["threshold"].get<double>(), threshold);
    EXPECT_EQ(v["anomaly"].get<bool>(), d2 > threshold) << name;
    ++n;
  }
  EXPECT_EQ(n, 2);
}

// The original's Keras autoencoder .h5: the verdict score is the
// reconstruction MSE numpy computed with the file's weights.
TEST(ServeForeignModel, OriginalKerasScoresAsNumpy) {
  std::string ref, data;
  TINYAD_REQUIRE_ENV_PATH("TINYAD_REFERENCE", ref);
  TINYAD_REQUIRE_ENV_PATH("TINYAD_DATA", data);
  const nlohmann::json golden = test::load_golden("autoencoder_h5.json");
  const nlohmann::json& mse = golden["models"]["fan_low_model.h5"]["mse"];
  const auto& files = golden["files"];
  ASSERT_EQ(mse.size(), files.size());
  ServerProcess p("serve");
  ASSERT_TRUE(p.start({"--model", ref + "/autoencoder/fan_low_model.h5", "--threshold", "0.0005", "-p", "0", "--host",
                       "127.0.0.1"}))
      << p.output();
  for (size_t i = 0; i < files.size(); ++i) {
    std::vector<double> rows;
    std::string err;
    ASSERT_TRUE(csv_read_window(data + "/" + files[i].get<std::string>(), &rows, &err)) << err;
    const nlohmann::json v = verdict(p, rows);
    const double want = mse[i].get<double>();
    EXPECT_NEAR(v["score"].get<double>(), want, 1e-9 * want) << files[i];
    EXPECT_EQ(v["anomaly"].get<bool>(), want > 0.0005) << files[i];
  }
}

// The original's .tflite (its weights are not the .h5's: a separate export)
// has no numpy golden here; its reading is checked against Arm NN in
// tinyad_armnn_tests. This checks that serving it directly scores what
// `convert` + `score` do.
TEST(ServeForeignModel, OriginalTfliteScoresAsConvertThenScore) {
  std::string ref, data;
  TINYAD_REQUIRE_ENV_PATH("TINYAD_REFERENCE", ref);
  TINYAD_REQUIRE_ENV_PATH("TINYAD_DATA", data);
  const std::string tflite = ref + "/autoencoder/fan_low_model.tflite";
  const std::string json = (std::filesystem::temp_directory_path() /
                            ("tinyad-foreign-" + std::to_string(::getpid()) + ".json")).string();
  ASSERT_EQ(test::tinyad("convert " + tflite + " " + json + " --threshold 0.0005").status, 0);
  ServerProcess p("serve");
  ASSERT_TRUE(p.start({"--model", tflite, "--threshold", "0.0005", "-p", "0", "--host", "127.0.0.1"})) << p.output();
  for (const char* file : {"fan_0_low_0_weight/0000.csv", "fan_0_high_1_weight/0000.csv"}) {
    std::vector<double> rows;
    std::string err;
    ASSERT_TRUE(csv_read_window(data + "/" + file, &rows, &err)) << err;
    const test::CliRun r = test::tinyad("score --json --model " + json + " " + data + "/" + file);
    ASSERT_EQ(r.status, 0) << r.err;
    const nlohmann::json want = nlohmann::json::parse(r.out);
    const nlohmann::json v = verdict(p, rows);
    EXPECT_DOUBLE_EQ(v["score"].get<double>(), want["score"].get<double>()) << file;
    EXPECT_EQ(v["anomaly"], want["anomaly"]) << file;
  }
  std::filesystem::remove(json);
}

TEST(ServeForeignModel, ThresholdRuleWithoutWindowsIsRefused) {
  std::string ref;
  TINYAD_REQUIRE_ENV_PATH("TINYAD_REFERENCE", ref);
  const test::CliRun r = test::tinyad("serve --model " + ref + "/mahalanobis/md_model.npz --threshold mean+3sd -p 0");
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.err.find("needs normal windows"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace tinyad
