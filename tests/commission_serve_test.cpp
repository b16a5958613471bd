// commission_serve_test.cpp: `tinyad serve --commission K` (docs/commissioning.md).
// In process: the fleet model judges a device's first K windows ("baseline":
// "commissioning" with counts), then its own diagonal baseline does and
// raises an alarm on shaken windows; POST /devices/<id>/commission starts
// over. The real process: commission, SIGTERM, restart: the same scores from
// the version-2 file; a version-1 (--learn) file and a missing --model are
// refused. Synthetic windows (seeded): seconds.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>

#include "atomic_file.h"
#include "cli_run.h"
#include "device_baselines.h"
#include "inference_service.h"
#include "model.h"
#include "raw_http.h"
#include "sample_json.h"
#include "serve_fixture.h"
#include "server_process.h"
#include "window_features.h"
#include "test_random.h"

namespace fs = std::filesystem;

namespace tinyad {
namespace {

using test::window_rows;  // test_random.h

// A fleet model far from these windows (it would flag them all) with a wide
// covariance: the device's own baseline must be what judges after K.
Model fleet_model() {
  Model m;
  std::string err;
  EXPECT_TRUE(recipe_named("original", &m.recipe, &err)) << err;
  auto& d = std::get<MahalanobisModel>(m.detector);
  d.mean = Eigen::Vector3d(0.05, 0.05, 0.05);
  d.covariance = Eigen::Matrix3d::Identity() * 1e-4;
  d.precision = Eigen::Matrix3d::Identity() * 1e4;
  m.threshold.method = "fixed";
  m.threshold.value = 7.5;
  return m;
}

BaselineOptions commission_options(const Model& m, uint32_t k) {
  BaselineOptions o;
  o.commission = k;
  const auto& d = std::get<MahalanobisModel>(m.detector);
  for (int i = 0; i < 3; ++i) o.fleet_sd.push_back(std::sqrt(d.covariance(i, i)));
  return o;
}

nlohmann::json post_window(InferenceService* svc, const std::string& device, const std::vector<double>& rows) {
  const HttpResponse r = svc->handle(test::request("POST", "/", sample_json_format(rows), {{"x-device-id", device}}),
                                     HttpPeer{"127.0.0.1:9"});
  EXPECT_EQ(r.status, 200) << r.body;
  return r.status == 200 ? nlohmann::json::parse(r.body) : nlohmann::json();
}

TEST(ServeCommission, FleetJudgesWhileCommissioningThenOwnBaselineAlarms) {
  const Model fleet = fleet_model();
  InferenceOptions io;
  io.baselines = std::make_shared<DeviceBaselines>(fleet.recipe, commission_options(fleet, 10));
  InferenceService svc(fleet, io);
  svc.set_ready(true);
  std::mt19937 rng(5);
  std::string err;
  for (int i = 0; i < 10; ++i) {
    const std::vector<double> rows = window_rows(&rng);
    const nlohmann::json v = post_window(&svc, "fan", rows);
    std::vector<double> f;
    ASSERT_TRUE(window_features(fleet.recipe.core, rows, "w", &f, &err)) << err;
    EXPECT_EQ(v["baseline"], "commissioning") << i;
    EXPECT_EQ(v["learned"], i + 1);
    EXPECT_EQ(v["commission"], 10);
    EXPECT_DOUBLE_EQ(v["score"].get<double>(), model_scores(fleet, Eigen::Map<const Eigen::RowVector3d>(f.data()))[0]);
    EXPECT_EQ(v["threshold"], 7.5);
  }
  int flagged = 0;
  for (int i = 0; i < 40; ++i) {
    const nlohmann::json v = post_window(&svc, "fan", window_rows(&rng));
    EXPECT_EQ(v["baseline"], "own");
    EXPECT_NE(v["threshold"].get<double>(), 7.5);
    flagged += v["anomaly"].get<bool>();
  }
  EXPECT_LE(flagged, 2);  // normal windows pass their own baseline
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(post_window(&svc, "fan", window_rows(&rng, 3.0))["anomaly"].get<bool>());
  nlohmann::json devices = nlohmann::json::parse(svc.handle(test::request("GET", "/devices"), HttpPeer{"1:1"}).body);
  ASSERT_EQ(devices.size(), 1u);
  EXPECT_EQ(devices[0]["phase"], "monitoring");
  EXPECT_TRUE(devices[0]["alarm"].get<bool>()) << devices;
  const std::string metrics = svc.handle(test::request("GET", "/metrics"), HttpPeer{"1:1"}).body;
  EXPECT_NE(metrics.find("tinyad_baseline_devices{phase=\"monitoring\"} 1"), std::string::npos) << metrics;

  // Re-mounted: commission again; the alarm is cleared and the fleet judges.
  const HttpResponse r = svc.handle(test::request("POST", "/devices/fan/commission"), HttpPeer{"1:1"});
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(nlohmann::json::parse(r.body)["phase"], "commissioning");
  devices = nlohmann::json::parse(svc.handle(test::request("GET", "/devices"), HttpPeer{"1:1"}).body);
  EXPECT_EQ(devices[0]["phase"], "commissioning");
  EXPECT_FALSE(devices[0]["alarm"].get<bool>());
  const nlohmann::json v = post_window(&svc, "fan", window_rows(&rng));
  EXPECT_EQ(v["baseline"], "commissioning");
  EXPECT_EQ(v["learned"], 1);
  EXPECT_EQ(svc.handle(test::request("POST", "/devices/nobody/commission"), HttpPeer{"1:1"}).status, 404);
}

TEST(ServeCommission, SurvivesARestartAndRefusesAForeignFile) {
  const fs::path dir = fs::temp_directory_path() / ("tinyad-commission-e2e-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string file = (dir / "baselines.json").string(), model = (dir / "fleet.json").string();
  std::string err;
  ASSERT_TRUE(model_save(fleet_model(), model, &err)) << err;
  const std::vector<std::string> args = {"--model", model, "--commission", "8", "--baselines", file,
                                         "-p",      "0",   "--host",       "127.0.0.1"};
  std::mt19937 rng(77);
  std::vector<std::vector<double>> windows;
  for (int i = 0; i < 12; ++i) windows.push_back(window_rows(&rng, i == 11 ? 4.0 : 1.0));
  auto post = [](int port, const std::vector<double>& rows) {
    const std::string reply =
        test::send_request(port, test::post_request(sample_json_format(rows), "X-Device-Id: m1\r\n"));
    EXPECT_EQ(test::status_of(reply), 200) << reply;
    return nlohmann::json::parse(test::body_of(reply), nullptr, false);
  };
  std::vector<nlohmann::json> before;
  {
    test::ServerProcess p("serve");
    ASSERT_TRUE(p.start(args)) << p.output();
    for (int i = 0; i < 8; ++i) EXPECT_EQ(post(p.port(), windows[size_t(i)])["baseline"], "commissioning") << i;
    for (int i = 8; i < 12; ++i) before.push_back(post(p.port(), windows[size_t(i)]));
    EXPECT_EQ(before[0]["baseline"], "own");
    EXPECT_TRUE(before[3]["anomaly"].get<bool>()) << before[3];
    const std::string out = p.stop(SIGTERM);
    ASSERT_TRUE(WIFEXITED(p.status())) << out;
    EXPECT_EQ(WEXITSTATUS(p.status()), 0) << out;
  }
  std::string text;
  ASSERT_TRUE(read_file(file, &text, &err)) << err;
  const nlohmann::json saved = nlohmann::json::parse(text);
  EXPECT_EQ(saved["version"], 2);
  EXPECT_EQ(saved["devices"]["m1"]["phase"], "monitoring");
  {
    // Window 11 (shaken) was not tracked, so the state saved after it is the
    // state it was scored in: the same score, bit for bit, after a restart.
    test::ServerProcess p("serve");
    ASSERT_TRUE(p.start(args)) << p.output();
    const nlohmann::json devices =
        nlohmann::json::parse(test::body_of(test::send_request(p.port(), test::get_request("/devices"))));
    ASSERT_EQ(devices.size(), 1u) << devices;
    EXPECT_EQ(devices[0]["phase"], "monitoring");
    EXPECT_EQ(devices[0]["threshold"].get<double>(), before[0]["threshold"].get<double>());
    const nlohmann::json v = post(p.port(), windows[11]);
    EXPECT_EQ(v["baseline"], "own");
    EXPECT_EQ(v["threshold"].get<double>(), before[3]["threshold"].get<double>());
    EXPECT_EQ(v["score"].get<double>(), before[3]["score"].get<double>());
    EXPECT_TRUE(v["anomaly"].get<bool>()) << v;
    const std::string out = p.stop(SIGTERM);
    EXPECT_EQ(WEXITSTATUS(p.status()), 0) << out;
  }
  // A --learn file, no --model, --commission with --learn: refused at start.
  {
    nlohmann::json v1 = saved;
    v1["version"] = 1;
    std::ofstream(file) << v1.dump();
    test::CliRun r = test::tinyad("serve --model " + model + " --commission 8 --baselines " + file + " -p 0");
    EXPECT_EQ(r.status, 1);
    EXPECT_NE(r.err.find("holds --learn baselines"), std::string::npos) << r.err;
    r = test::tinyad("serve --commission 8 --recipe original -p 0");
    EXPECT_EQ(r.status, 1);
    EXPECT_NE(r.err.find("--commission needs --model"), std::string::npos) << r.err;
    r = test::tinyad("serve --model " + model + " --commission 8 --learn 12 -p 0");
    EXPECT_EQ(r.status, 1);
    EXPECT_NE(r.err.find("give one"), std::string::npos) << r.err;
  }
  fs::remove_all(dir);
}

}  // namespace
}  // namespace tinyad
