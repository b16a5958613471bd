// baselines_test.cpp: per-device baselines (`tinyad serve --learn N`). The
// learner against numpy's mean/precision/threshold (tests/golden/baselines.json,
// scripts/golden/make_baselines_golden.py); a singular covariance starting
// over; the file round trip and its refusals; the service's verdict fields per
// phase, GET /devices and DELETE /devices/<id>/baseline; and the real process
// learning, stopping on SIGTERM and monitoring with the same threshold after
// a restart. Synthetic windows (seeded), so the whole file runs in seconds.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <thread>

#include "atomic_file.h"
#include "cli_run.h"
#include "device_baselines.h"
#include "feature_table.h"
#include "window_features.h"
#include "golden_json.h"
#include "inference_service.h"
#include "raw_http.h"
#include "sample_json.h"
#include "serve_fixture.h"
#include "server_process.h"
#include "test_random.h"

namespace fs = std::filesystem;

namespace tinyad {
namespace {

Recipe named(const std::string& name) {
  Recipe r;
  std::string err;
  EXPECT_TRUE(recipe_named(name, &r, &err)) << err;
  return r;
}

BaselineOptions options(uint32_t learn, uint32_t calibrate, double sd) {
  BaselineOptions o;
  o.learn = learn;
  o.calibrate = calibrate;
  o.sd = sd;
  return o;
}

TEST(DeviceBaselines, MatchesNumpyGolden) {
  const nlohmann::json g = test::load_golden("baselines.json");
  ASSERT_FALSE(g.is_null());
  const uint32_t learn = g["learn"], calibrate = g["calibrate"];
  DeviceBaselines t(named("original"), options(learn, calibrate, g["sd_factor"].get<double>()));
  ASSERT_EQ(t.n_features(), 3u);
  const auto& x = g["features"];
  std::string err;
  size_t monitored = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    BaselineStep s;
    ASSERT_TRUE(t.add("fan", x[i].get<std::vector<double>>(), &s, &err)) << err;
    EXPECT_FALSE(s.restarted);
    if (i < learn) {
      EXPECT_FALSE(s.scored) << i;
      EXPECT_EQ(s.learned, i + 1);
      EXPECT_EQ(s.phase, i + 1 < learn ? BaselinePhase::kLearning : BaselinePhase::kCalibrating) << i;
      EXPECT_EQ(s.phase_changed, i + 1 == learn);
      if (i + 1 == learn) {
        // The learned mean and precision, as the file keeps them.
        const nlohmann::json f = nlohmann::json::parse(t.to_json_text());
        const auto& d = f["devices"]["fan"];
        for (size_t a = 0; a < 3; ++a) EXPECT_TRUE(test::near(d["mean"][a], g["mean"][a], 1e-12, 1e-15)) << a;
        size_t k = 0;
        for (size_t r = 0; r < 3; ++r)
          for (size_t c = 0; c <= r; ++c)
            EXPECT_TRUE(test::near(d["precision"][k++], g["precision"][r][c], 1e-9, 1e-9)) << r << "," << c;
      }
    } else if (i < learn + calibrate) {
      ASSERT_TRUE(s.scored);
      EXPECT_FALSE(s.monitored);
      EXPECT_FALSE(s.anomaly);
      EXPECT_EQ(s.calibrated, i - learn + 1);
      EXPECT_TRUE(test::near(s.score, g["calibration_scores"][i - learn], 1e-9, 1e-12)) << i;
    } else {
      ASSERT_TRUE(s.monitored);
      EXPECT_EQ(s.phase, BaselinePhase::kMonitoring);
      EXPECT_TRUE(test::near(s.threshold, g["threshold"], 1e-9, 1e-12));
      EXPECT_TRUE(test::near(s.score, g["monitor_scores"][monitored], 1e-9, 1e-12)) << i;
      EXPECT_EQ(s.anomaly, g["monitor_anomaly"][monitored].get<bool>()) << i;
      ++monitored;
    }
  }
  EXPECT_EQ(monitored, g["monitor_scores"].size());
  EXPECT_EQ((t.phase_counts()), (std::array<size_t, 3>{0, 0, 1}));
}

TEST(DeviceBaselines, SingularCovarianceStartsLearningOver) {
  DeviceBaselines t(named("original"), options(8, 4, 3));
  std::mt19937 rng(3);
  std::normal_distribution<double> n01;
  std::string err;
  BaselineStep s;
  for (int i = 0; i < 8; ++i) {  // the z feature never moves: a stuck axis
    ASSERT_TRUE(t.add("stuck", {1 + 0.1 * n01(rng), 2 + 0.1 * n01(rng), 0.5}, &s, &err)) << err;
  }
  EXPECT_TRUE(s.restarted);
  EXPECT_EQ(s.phase, BaselinePhase::kLearning);
  EXPECT_EQ(s.learned, 0u);
  EXPECT_TRUE(t.urgent());
  // Wrong sizes and non-finite values are refused, not learned.
  EXPECT_FALSE(t.add("stuck", {1, 2}, &s, &err));
  EXPECT_NE(err.find("expected 3 features"), std::string::npos) << err;
  EXPECT_FALSE(t.add("stuck", {1, 2, std::nan("")}, &s, &err));
  ASSERT_TRUE(t.add("stuck", {1, 2, 3}, &s, &err)) << err;
  EXPECT_EQ(s.learned, 1u);
}

TEST(DeviceBaselines, TableIsBounded) {
  BaselineOptions o = options(8, 4, 3);
  o.max_devices = 2;
  DeviceBaselines t(named("original"), o);
  BaselineStep s;
  std::string err;
  ASSERT_TRUE(t.add("a", {1, 2, 3}, &s, &err));
  ASSERT_TRUE(t.add("b", {1, 2, 3}, &s, &err));
  EXPECT_FALSE(t.add("c", {1, 2, 3}, &s, &err));
  EXPECT_NE(err.find("too many devices"), std::string::npos) << err;
  EXPECT_TRUE(t.add("a", {1, 2, 3}, &s, &err)) << err;
}

std::vector<double> features3(std::mt19937* rng, double scale = 1) {
  std::normal_distribution<double> n01;
  const double a = n01(*rng), b = n01(*rng), c = n01(*rng);
  return {scale * (0.05 + 0.004 * a), scale * (0.08 + 0.003 * a + 0.004 * b), scale * (0.03 + 0.002 * c)};
}

// A device's 30 windows (the 26th at twice the level: an anomaly once
// monitoring) and the steps one table that never stops gives for them.
struct StraightRun {
  std::vector<std::vector<double>> seq;
  std::vector<BaselineStep> expected;
};
StraightRun straight_run(const BaselineOptions& o, unsigned seed) {
  StraightRun r;
  std::mt19937 rng(seed);
  for (int i = 0; i < 30; ++i) r.seq.push_back(features3(&rng, i == 25 ? 2.0 : 1.0));
  DeviceBaselines straight(named("original"), o);
  r.expected.resize(r.seq.size());
  std::string err;
  for (size_t i = 0; i < r.seq.size(); ++i)
    if (!straight.add("d", r.seq[i], &r.expected[i], &err)) ADD_FAILURE() << err;
  return r;
}

// Saving mid-learning, mid-calibration and while monitoring, then carrying
// on from the file, gives bit-identical scores to never having stopped.
TEST(DeviceBaselines, FileRoundTripContinuesExactly) {
  const fs::path dir = fs::temp_directory_path() / ("tinyad-baselines-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::string file = (dir / "b.json").string();
  const BaselineOptions o = options(12, 6, 3);
  const auto [seq, expected] = straight_run(o, 5);
  std::string err;
  ASSERT_TRUE(expected[25].anomaly) << expected[25].score << " vs " << expected[25].threshold;

  for (size_t cut : {5u, 14u, 20u}) {
    DeviceBaselines first(named("original"), o);
    BaselineStep s;
    for (size_t i = 0; i < cut; ++i) ASSERT_TRUE(first.add("d", seq[i], &s, &err));
    ASSERT_TRUE(first.save(file, &err)) << err;
    EXPECT_FALSE(first.dirty());
    DeviceBaselines second(named("original"), o);
    bool existed = false;
    ASSERT_TRUE(second.load(file, &existed, &err)) << err;
    EXPECT_TRUE(existed);
    for (size_t i = cut; i < seq.size(); ++i) {
      ASSERT_TRUE(second.add("d", seq[i], &s, &err)) << err;
      EXPECT_EQ(s.phase, expected[i].phase) << cut << " " << i;
      EXPECT_EQ(s.score, expected[i].score) << cut << " " << i;
      EXPECT_EQ(s.threshold, expected[i].threshold) << cut << " " << i;
      EXPECT_EQ(s.anomaly, expected[i].anomaly) << cut << " " << i;
    }
  }

  // A missing file is a fresh start, not an error.
  DeviceBaselines fresh(named("original"), o);
  bool existed = true;
  ASSERT_TRUE(fresh.load((dir / "none.json").string(), &existed, &err)) << err;
  EXPECT_FALSE(existed);

  // A file from another recipe is refused, naming the file and both recipes.
  DeviceBaselines other(named("default"), options(80, 20, 3));
  EXPECT_FALSE(other.load(file, &existed, &err));
  EXPECT_NE(err.find(file), std::string::npos) << err;
  EXPECT_NE(err.find("'original'"), std::string::npos) << err;
  EXPECT_NE(err.find("'default'"), std::string::npos) << err;

  // Damaged files: clear errors naming the file, the table left as it was.
  std::string text;
  ASSERT_TRUE(read_file(file, &text, &err)) << err;
  const nlohmann::json good = nlohmann::json::parse(text);
  auto broken = [&](const nlohmann::json& j) { return j.dump(); };
  nlohmann::json wrong_format = good, bad_mean = good, bad_phase = good, bad_version = good;
  wrong_format["format"] = "tinyad-model";
  bad_mean["devices"]["d"]["mean"] = {1, 2};
  bad_phase["devices"]["d"]["phase"] = "sleeping";
  bad_version["version"] = 99;
  const std::vector<std::pair<std::string, std::string>> cases = {
      {text.substr(0, text.size() / 2), "not a JSON document"},
      {broken(wrong_format), "not a tinyad baselines file"},
      {broken(bad_mean), "\"mean\" must be 3"},
      {broken(bad_phase), "unknown phase 'sleeping'"},
      {broken(bad_version), "version 99"}};
  for (const auto& [content, message] : cases) {
    std::ofstream(file) << content;
    DeviceBaselines t(named("original"), o);
    BaselineStep s;
    ASSERT_TRUE(t.add("keep", seq[0], &s, &err));
    EXPECT_FALSE(t.load(file, &existed, &err)) << message;
    EXPECT_EQ(err.rfind(file + ": ", 0), 0u) << err;
    EXPECT_NE(err.find(message), std::string::npos) << err;
    EXPECT_TRUE(t.known("keep"));
  }
  fs::remove_all(dir);
}

// serve --nats keeps one device's baseline with its stored answers
// (device_state_text) and the next worker restores it: cut anywhere in
// learning, calibration or monitoring (--learn), or in commissioning and
// monitoring (--commission), the restored table goes on bit for bit, in a
// table that held a stale baseline of the device and other devices.
TEST(DeviceBaselines, DeviceStateRoundTripContinuesExactly) {
  BaselineOptions commission;
  commission.commission = 6;
  commission.fleet_sd = {0.004, 0.005, 0.002};
  for (const BaselineOptions& o : {options(12, 6, 3), commission}) {
    const auto [seq, expected] = straight_run(o, 9);
    std::string err;
    EXPECT_EQ(expected.back().phase, BaselinePhase::kMonitoring);
    for (size_t cut = 1; cut < seq.size(); ++cut) {
      DeviceBaselines first(named("original"), o);
      BaselineStep s;
      for (size_t i = 0; i < cut; ++i) ASSERT_TRUE(first.add("d", seq[i], &s, &err));
      const std::string state = first.device_state_text("d");
      ASSERT_FALSE(state.empty());
      EXPECT_EQ(state.find('\n'), std::string::npos) << "one line";
      DeviceBaselines next(named("original"), o);
      ASSERT_TRUE(next.add("other", seq[0], &s, &err));
      ASSERT_TRUE(next.add("d", seq[29], &s, &err));  // stale: replaced
      ASSERT_TRUE(next.restore_device_state("d", state, "batch", &err)) << err;
      EXPECT_EQ(next.device_state_text("d"), state);
      for (size_t i = cut; i < seq.size(); ++i) {
        ASSERT_TRUE(next.add("d", seq[i], &s, &err)) << err;
        EXPECT_EQ(s.phase, expected[i].phase) << cut << " " << i;
        EXPECT_EQ(s.score, expected[i].score) << cut << " " << i;
        EXPECT_EQ(s.threshold, expected[i].threshold) << cut << " " << i;
        EXPECT_EQ(s.anomaly, expected[i].anomaly) << cut << " " << i;
        EXPECT_EQ(s.learned, expected[i].learned) << cut << " " << i;
      }
      EXPECT_TRUE(next.known("other"));
    }
    // "" (a device new to the cluster): forgotten, it learns afresh.
    DeviceBaselines t(named("original"), o);
    BaselineStep s;
    ASSERT_TRUE(t.add("d", seq[0], &s, &err));
    EXPECT_EQ(t.device_state_text("nobody"), "");
    ASSERT_TRUE(t.restore_device_state("d", "", "batch", &err));
    EXPECT_FALSE(t.known("d"));
  }
  // Another kind of baseline, feature count or damaged text: refused, naming where.
  DeviceBaselines learn(named("original"), options(12, 6, 3)), comm(named("original"), commission);
  BaselineStep s;
  std::string err;
  std::mt19937 rng(1);
  ASSERT_TRUE(comm.add("d", features3(&rng), &s, &err));
  EXPECT_FALSE(learn.restore_device_state("d", comm.device_state_text("d"), "batch of d", &err));
  EXPECT_NE(err.find("batch of d: "), std::string::npos) << err;
  EXPECT_NE(err.find("--learn or --commission"), std::string::npos) << err;
  nlohmann::json j = nlohmann::json::parse(comm.device_state_text("d"));
  j["n_features"] = 60;
  EXPECT_FALSE(comm.restore_device_state("d", j.dump(), "batch", &err));
  EXPECT_NE(err.find("60 features"), std::string::npos) << err;
  EXPECT_FALSE(comm.restore_device_state("d", "{\"version\":2", "batch", &err));
  EXPECT_NE(err.find("expected a JSON object"), std::string::npos) << err;
  j = nlohmann::json::parse(comm.device_state_text("d"));
  j["device"]["mean"] = {1, 2};
  EXPECT_FALSE(comm.restore_device_state("d", j.dump(), "batch", &err));
  EXPECT_NE(err.find("\"mean\" must be 3"), std::string::npos) << err;
  EXPECT_TRUE(comm.known("d"));
}

using test::window_rows;  // test_random.h

using test::request;

nlohmann::ordered_json post_window(InferenceService* svc, const std::string& device, const std::vector<double>& rows) {
  const HttpResponse r = svc->handle(request("POST", "/", sample_json_format(rows), {{"x-device-id", device}}),
                                     HttpPeer{"127.0.0.1:9"});
  EXPECT_EQ(r.status, 200) << r.body;
  return r.status == 200 ? nlohmann::ordered_json::parse(r.body) : nlohmann::ordered_json();
}

TEST(ServeBaselines, VerdictsPerPhaseDevicesAndReset) {
  InferenceOptions io;
  io.baselines = std::make_shared<DeviceBaselines>(named("original"), options(30, 15, 3));
  io.fleet_model = false;
  Model recipe_only;
  recipe_only.recipe = named("original");
  std::vector<std::string> log, events;
  InferenceService svc(recipe_only, io, [&](const FleetEvent& e) { events.push_back(e.json); },
                       [&](const std::string& l) { log.push_back(l); });
  svc.set_ready(true);
  DeviceBaselines mirror(named("original"), options(30, 15, 3));  // the same windows' features, fed directly
  std::mt19937 rng(9);
  std::string err;
  for (int i = 0; i < 50; ++i) {
    const std::vector<double> rows = window_rows(&rng, i == 49 ? 4.0 : 1.0);
    const nlohmann::ordered_json v = post_window(&svc, "fan-1", rows);
    ASSERT_TRUE(v.is_object());
    // The contract's fields are always there, in order, then the baseline's.
    std::vector<std::string> keys;
    for (const auto& [k, val] : v.items()) keys.push_back(k);
    EXPECT_EQ(keys, (std::vector<std::string>{"device", "score", "threshold", "anomaly", "features", "baseline",
                                              "learned", "calibrated"}));
    std::vector<double> f;
    ASSERT_TRUE(window_features(named("original").core, rows, "w", &f, &err)) << err;
    BaselineStep s;
    ASSERT_TRUE(mirror.add("fan-1", f, &s, &err)) << err;
    EXPECT_EQ(v["learned"], s.learned);
    EXPECT_EQ(v["calibrated"], s.calibrated);
    if (i < 30) {
      EXPECT_EQ(v["baseline"], "learning") << i;
      EXPECT_TRUE(v["score"].is_null());
      EXPECT_TRUE(v["threshold"].is_null());
      EXPECT_FALSE(v["anomaly"].get<bool>());
    } else if (i < 45) {
      EXPECT_EQ(v["baseline"], "calibrating") << i;
      EXPECT_DOUBLE_EQ(v["score"].get<double>(), s.score);
      EXPECT_TRUE(v["threshold"].is_null());
      EXPECT_FALSE(v["anomaly"].get<bool>());
    } else {
      EXPECT_EQ(v["baseline"], "own") << i;
      EXPECT_DOUBLE_EQ(v["score"].get<double>(), s.score);
      EXPECT_DOUBLE_EQ(v["threshold"].get<double>(), s.threshold);
      EXPECT_EQ(v["anomaly"].get<bool>(), i == 49) << v.dump();
    }
  }
  EXPECT_FALSE(nlohmann::json::parse(events.front()).contains("score")) << events.front();
  EXPECT_EQ(nlohmann::json::parse(events.front())["baseline"], "learning");
  post_window(&svc, "fan-2", window_rows(&rng));

  const HttpPeer peer{"127.0.0.1:9"};
  HttpResponse r = svc.handle(request("GET", "/devices"), peer);
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "application/json");
  nlohmann::json devices = nlohmann::json::parse(r.body);
  ASSERT_EQ(devices.size(), 2u) << r.body;
  EXPECT_EQ(devices[0]["device"], "fan-1");
  EXPECT_EQ(devices[0]["phase"], "monitoring");
  EXPECT_EQ(devices[0]["learned"], 30);
  EXPECT_EQ(devices[0]["calibrated"], 15);
  EXPECT_GT(devices[0]["threshold"].get<double>(), 0);
  EXPECT_FALSE(devices[0]["alarm"].get<bool>());
  EXPECT_GT(devices[0]["last_score"].get<double>(), devices[0]["threshold"].get<double>());
  EXPECT_EQ(devices[1]["device"], "fan-2");
  EXPECT_EQ(devices[1]["phase"], "learning");
  EXPECT_EQ(devices[1]["learned"], 1);
  EXPECT_TRUE(devices[1]["threshold"].is_null());
  EXPECT_TRUE(devices[1]["last_score"].is_null());

  const std::string metrics = svc.metrics_text();
  EXPECT_NE(metrics.find("tinyad_baseline_devices{phase=\"learning\"} 1\n"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("tinyad_baseline_devices{phase=\"monitoring\"} 1\n"), std::string::npos) << metrics;

  // Reset: fan-1 learns again; unknown devices and other methods are refused.
  EXPECT_EQ(svc.handle(request("GET", "/devices/fan-1/baseline"), peer).status, 405);
  r = svc.handle(request("DELETE", "/devices/nobody/baseline"), peer);
  EXPECT_EQ(r.status, 404);
  EXPECT_NE(r.body.find("nobody"), std::string::npos) << r.body;
  r = svc.handle(request("DELETE", "/devices/fan%2D1/baseline"), peer);  // %XX decoded
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(nlohmann::json::parse(r.body)["phase"], "learning");
  const nlohmann::json v = post_window(&svc, "fan-1", window_rows(&rng));
  EXPECT_EQ(v["baseline"], "learning");
  EXPECT_EQ(v["learned"], 1);
  EXPECT_TRUE(v["score"].is_null());
  EXPECT_NE(svc.handle(request("GET", "/nope"), peer).body.find("/devices"), std::string::npos);
}

// A device in alarm that is reset (re-mounted) gets its alarm cleared at
// once, with an event that says why, not after k of its learning windows.
TEST(ServeBaselines, ResetClearsARaisedAlarm) {
  InferenceOptions io;
  io.alarm = AlarmRule{2, 3};
  io.baselines = std::make_shared<DeviceBaselines>(named("original"), options(20, 10, 3));
  io.fleet_model = false;
  Model recipe_only;
  recipe_only.recipe = named("original");
  std::vector<std::string> events;
  InferenceService svc(recipe_only, io, [&](const FleetEvent& e) { events.push_back(e.json); });
  svc.set_ready(true);
  std::mt19937 rng(5);
  for (int i = 0; i < 30; ++i) post_window(&svc, "m1", window_rows(&rng));  // learned and calibrated
  for (int i = 0; i < 2; ++i) EXPECT_TRUE(post_window(&svc, "m1", window_rows(&rng, 6.0))["anomaly"].get<bool>());
  ASSERT_EQ(svc.alarms_raised(), 1u);
  ASSERT_TRUE(nlohmann::json::parse(svc.handle(request("GET", "/devices"), HttpPeer{"1.1.1.1:1"}).body)[0]["alarm"]
                  .get<bool>());
  events.clear();
  ASSERT_EQ(svc.handle(request("DELETE", "/devices/m1/baseline"), HttpPeer{"1.1.1.1:1"}).status, 200);
  EXPECT_EQ(svc.alarms_cleared(), 1u);
  ASSERT_EQ(events.size(), 1u);
  const nlohmann::json e = nlohmann::json::parse(events[0]);
  EXPECT_EQ(e["event"], "alarm_cleared");
  EXPECT_EQ(e["device"], "m1");
  EXPECT_EQ(e["reason"], "baseline reset");
  EXPECT_FALSE(nlohmann::json::parse(svc.handle(request("GET", "/devices"), HttpPeer{"1.1.1.1:1"}).body)[0]["alarm"]
                   .get<bool>());
  // A device not in alarm is reset without an event.
  events.clear();
  ASSERT_EQ(svc.handle(request("DELETE", "/devices/m1/baseline"), HttpPeer{"1.1.1.1:1"}).status, 200);
  EXPECT_TRUE(events.empty());
  EXPECT_EQ(svc.alarms_cleared(), 1u);
}

TEST(ServeBaselines, FleetModelJudgesUntilTheDeviceHasItsOwn) {
  // A fleet model made here: the first windows' mean, identity precision.
  std::mt19937 rng(21);
  Model fleet;
  fleet.recipe = named("original");
  std::get<MahalanobisModel>(fleet.detector).mean = Eigen::Vector3d(0.02, 0.03, 0.015);
  std::get<MahalanobisModel>(fleet.detector).precision = Eigen::Matrix3d::Identity() * 1e4;
  std::get<MahalanobisModel>(fleet.detector).covariance = Eigen::Matrix3d::Identity() * 1e-4;
  fleet.threshold.value = 7.5;
  InferenceOptions io;
  io.baselines = std::make_shared<DeviceBaselines>(named("original"), options(6, 3, 3));
  InferenceService svc(fleet, io);
  svc.set_ready(true);
  std::string err;
  for (int i = 0; i < 11; ++i) {
    const std::vector<double> rows = window_rows(&rng);
    const nlohmann::json v = post_window(&svc, "f", rows);
    std::vector<double> f;
    ASSERT_TRUE(window_features(fleet.recipe.core, rows, "w", &f, &err)) << err;
    const double fleet_score = model_scores(fleet, Eigen::Map<const Eigen::RowVector3d>(f.data()))[0];
    if (i < 9) {
      EXPECT_EQ(v["baseline"], "fleet") << i;
      EXPECT_DOUBLE_EQ(v["score"].get<double>(), fleet_score);
      EXPECT_EQ(v["threshold"].get<double>(), 7.5);
      EXPECT_EQ(v["anomaly"].get<bool>(), fleet_score > 7.5);
    } else {
      EXPECT_EQ(v["baseline"], "own") << i;
      EXPECT_NE(v["threshold"].get<double>(), 7.5);
    }
  }
  // Without --learn there is nothing to reset.
  InferenceService plain(fleet, {});
  EXPECT_EQ(plain.handle(request("DELETE", "/devices/f/baseline"), HttpPeer{"1.1.1.1:1"}).status, 404);
}

// The real process: learn, SIGTERM (the file is written), restart, and the
// device is still monitored with the same threshold and scores.
TEST(ServeBaselines, SurvivesARestart) {
  const fs::path dir = fs::temp_directory_path() / ("tinyad-baselines-e2e-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string file = (dir / "baselines.json").string();
  const std::vector<std::string> args = {"--learn", "12", "--calibrate", "6", "--recipe", "original", "--baselines",
                                         file, "-p", "0", "--host", "127.0.0.1"};
  std::mt19937 rng(33);
  std::vector<std::vector<double>> windows;
  for (int i = 0; i < 20; ++i) windows.push_back(window_rows(&rng, i == 19 ? 5.0 : 1.0));
  auto post = [](int port, const std::vector<double>& rows) {
    const std::string reply = test::send_request(port, test::post_request(sample_json_format(rows), "X-Device-Id: m1\r\n"));
    EXPECT_EQ(test::status_of(reply), 200) << reply;
    return nlohmann::json::parse(test::body_of(reply), nullptr, false);
  };
  nlohmann::json before_18, before_19;
  {
    test::ServerProcess p("serve");
    ASSERT_TRUE(p.start(args)) << p.output();
    for (int i = 0; i < 18; ++i) {
      const nlohmann::json v = post(p.port(), windows[i]);
      EXPECT_EQ(v["baseline"], i < 12 ? "learning" : "calibrating") << i;
    }
    before_18 = post(p.port(), windows[18]);
    before_19 = post(p.port(), windows[19]);
    EXPECT_EQ(before_18["baseline"], "own");
    EXPECT_FALSE(before_18["anomaly"].get<bool>()) << before_18;
    EXPECT_TRUE(before_19["anomaly"].get<bool>()) << before_19;
    // Finishing calibration is saved promptly by the saver thread, not only at exit.
    std::string phase;
    for (int i = 0; i < 60 && phase != "monitoring"; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      std::string text, err;
      if (!read_file(file, &text, &err)) continue;
      const nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
      if (!j.is_discarded() && j["devices"].contains("m1")) phase = j["devices"]["m1"]["phase"];
    }
    EXPECT_EQ(phase, "monitoring") << "the file was not written within 3 s of the phase change";
    const std::string out = p.stop(SIGTERM);
    ASSERT_TRUE(WIFEXITED(p.status())) << out;
    EXPECT_EQ(WEXITSTATUS(p.status()), 0) << out;
  }
  ASSERT_TRUE(fs::exists(file));
  {
    test::ServerProcess p("serve");
    ASSERT_TRUE(p.start(args)) << p.output();
    const nlohmann::json devices =
        nlohmann::json::parse(test::body_of(test::send_request(p.port(), test::get_request("/devices"))));
    ASSERT_EQ(devices.size(), 1u) << devices;
    EXPECT_EQ(devices[0]["phase"], "monitoring");
    EXPECT_EQ(devices[0]["threshold"].get<double>(), before_18["threshold"].get<double>());
    for (const auto& [i, before] : {std::pair{18, before_18}, std::pair{19, before_19}}) {
      const nlohmann::json v = post(p.port(), windows[size_t(i)]);
      EXPECT_EQ(v["baseline"], "own");
      EXPECT_EQ(v["score"].get<double>(), before["score"].get<double>());
      EXPECT_EQ(v["threshold"].get<double>(), before["threshold"].get<double>());
      EXPECT_EQ(v["anomaly"], before["anomaly"]);
    }
    // Reset over HTTP is saved too (promptly, by the saver thread; at the latest on exit).
    EXPECT_EQ(test::status_of(test::send_request(
                  p.port(), "DELETE /devices/m1/baseline HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")),
              200);
    const std::string out = p.stop(SIGTERM);
    EXPECT_EQ(WEXITSTATUS(p.status()), 0) << out;
  }
  std::string text, err;
  ASSERT_TRUE(read_file(file, &text, &err)) << err;
  EXPECT_EQ(nlohmann::json::parse(text)["devices"]["m1"]["phase"], "learning");

  // Another recipe, a damaged file, --learn too small: refused at start, naming the problem.
  test::CliRun r = test::tinyad("serve --learn 80 --recipe default --baselines " + file + " -p 0");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find(file), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("recipe 'original'"), std::string::npos) << r.err;
  std::ofstream(file) << "{\"format\": \"tinyad-baselines\", ";
  r = test::tinyad("serve --learn 12 --recipe original --baselines " + file + " -p 0");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find(file + ": not a JSON document"), std::string::npos) << r.err;
  r = test::tinyad("serve --learn 3 --recipe original -p 0");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("must exceed the recipe's 3 features"), std::string::npos) << r.err;
  fs::remove_all(dir);
}

}  // namespace
}  // namespace tinyad
