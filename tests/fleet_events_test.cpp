// fleet_events_test.cpp: the fleet monitor's event delivery (issue 15 item
// 2): a sink that takes long, or calls back into the service, holds up
// neither other devices nor the service, and each device's events reach the
// sink in the order its windows changed its state, one at a time, under
// concurrent posts from many threads.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

#include "inference_service.h"
#include "sample_json.h"
#include "serve_fixture.h"

namespace tinyad {
namespace {

using test::request;

// A fleet model on the "original" recipe (per-axis MAD): windows of noise
// with sd about (0.02, 0.03, 0.015) g score near 0, six times that far above
// the threshold 7.5.
Model small_fleet_model() {
  Model m;
  std::string err;
  EXPECT_TRUE(recipe_named("original", &m.recipe, &err)) << err;
  MahalanobisModel& md = m.detector.emplace<MahalanobisModel>();
  md.mean = Eigen::Vector3d(0.02, 0.03, 0.015);
  md.precision = Eigen::Matrix3d::Identity() * 1e4;
  md.covariance = Eigen::Matrix3d::Identity() * 1e-4;
  m.threshold.value = 7.5;
  return m;
}

std::string window_body(std::mt19937* rng, double scale) {
  std::normal_distribution<double> n01(0, 1);
  std::vector<double> rows;
  for (int i = 0; i < 128; ++i) {
    rows.push_back(0.01 + scale * 0.02 * n01(*rng));
    rows.push_back(0.20 + scale * 0.03 * n01(*rng));
    rows.push_back(0.98 + scale * 0.015 * n01(*rng));
  }
  return sample_json_format(rows);
}

TEST(FleetEvents, ASlowSinkThatCallsBackHoldsUpNeitherOtherDevicesNorTheService) {
  std::mutex m;
  std::condition_variable cv;
  bool slow_entered = false, release = false;
  std::vector<std::string> fast_events;
  InferenceService* service = nullptr;
  std::string metrics_in_sink;
  auto sink = [&](const FleetEvent& e) {
    if (e.device != "slow") {
      std::lock_guard<std::mutex> lock(m);
      fast_events.push_back(e.json);
      return;
    }
    // Calls back into the service: a sink run under the monitor's lock
    // would deadlock here.
    metrics_in_sink = service->handle(request("GET", "/metrics"), HttpPeer{"127.0.0.1:1"}).body;
    std::unique_lock<std::mutex> lock(m);
    slow_entered = true;
    cv.notify_all();
    cv.wait_for(lock, std::chrono::seconds(10), [&] { return release; });  // bounded: a failure must not hang
  };
  InferenceOptions io;
  InferenceService svc(small_fleet_model(), io, sink);
  service = &svc;
  svc.set_ready(true);
  std::mt19937 rng(3);
  const std::string slow_body = window_body(&rng, 1), fast_body = window_body(&rng, 1);
  std::thread slow([&] { svc.monitor().process_window("slow", slow_body, "", "test"); });
  {
    std::unique_lock<std::mutex> lock(m);
    ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(10), [&] { return slow_entered; }));
  }
  // The slow device's sink is still running: another device is scored and
  // its event delivered at once, and /metrics answers.
  const auto t0 = std::chrono::steady_clock::now();
  const WindowResult r = svc.monitor().process_window("fast", fast_body, "", "test");
  const std::string metrics = svc.metrics_text();
  const double waited = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  {
    std::lock_guard<std::mutex> lock(m);
    release = true;
    EXPECT_EQ(fast_events.size(), 1u) << "the fast device's verdict is delivered while the slow sink runs";
  }
  cv.notify_all();
  slow.join();
  EXPECT_TRUE(r.ok()) << r.message;
  EXPECT_LT(waited, 2.0) << "the fast device waited for the slow device's sink";
  EXPECT_NE(metrics.find("tinyad_windows_scored_total 2"), std::string::npos) << metrics;
  EXPECT_NE(metrics_in_sink.find("tinyad_device_last_score{device=\"slow\"}"), std::string::npos) << metrics_in_sink;
}

// What the sink saw of one device.
struct Seen {
  std::vector<FleetEvent> events;
  std::atomic<int> inside{0};
  int overlaps = 0;
};

TEST(FleetEvents, EachDeviceGetsItsEventsInOrderUnderConcurrentPosts) {
  constexpr int kThreads = 8, kWindows = 60;
  const std::vector<std::string> devices = {"a", "b", "c"};
  std::map<std::string, Seen> seen;
  for (const auto& d : devices) seen[d];
  auto sink = [&](const FleetEvent& e) {
    Seen& s = seen.at(e.device);
    if (s.inside.fetch_add(1) != 0) ++s.overlaps;  // two threads in the sink for one device
    s.events.push_back(e);
    std::this_thread::yield();  // widen the window for a wrong order
    s.inside.fetch_sub(1);
  };
  InferenceOptions io;
  io.alarm = AlarmRule{1, 1};  // every change of verdict raises or clears
  FleetMonitor monitor(small_fleet_model(), io, sink);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937 rng(100 + t);
      for (int i = 0; i < kWindows; ++i) {
        const std::string& device = devices[size_t(i + t) % devices.size()];
        const WindowResult r = monitor.process_window(device, window_body(&rng, (i + t) % 2 ? 6 : 1), "", "t");
        EXPECT_TRUE(r.ok()) << r.message;
      }
    });
  }
  for (auto& th : threads) th.join();
  size_t verdicts = 0, anomalous = 0;
  for (const auto& [device, s] : seen) {
    EXPECT_EQ(s.overlaps, 0) << device;
    // Replaying the device's verdicts, in the order the sink got them,
    // through the same rule must give exactly the alarms it got, each right
    // after the verdict that caused it.
    AlarmDebouncer replay(io.alarm);
    for (size_t i = 0; i < s.events.size(); ++i) {
      const FleetEvent& e = s.events[i];
      ASSERT_EQ(e.kind, FleetEventKind::kVerdict) << device << " event " << i << ": " << e.json;
      ++verdicts;
      anomalous += e.anomaly;
      const AlarmDebouncer::Change c = replay.push(e.anomaly);
      if (c == AlarmDebouncer::Change::kNone) continue;
      ASSERT_LT(i + 1, s.events.size()) << device;
      const FleetEventKind want =
          c == AlarmDebouncer::Change::kRaised ? FleetEventKind::kAlarmRaised : FleetEventKind::kAlarmCleared;
      ASSERT_EQ(s.events[++i].kind, want) << device << " event " << i << ": " << s.events[i].json;
    }
  }
  EXPECT_EQ(verdicts, size_t(kThreads * kWindows));
  EXPECT_GT(anomalous, verdicts / 4) << "both kinds of window, or the order is not tested";
  EXPECT_LT(anomalous, verdicts * 3 / 4);
  EXPECT_EQ(monitor.alarms_raised() + monitor.alarms_cleared(), [&] {
    uint64_t n = 0;
    for (const auto& [d, s] : seen) n += s.events.size();
    return n - verdicts;
  }());
}

}  // namespace
}  // namespace tinyad
