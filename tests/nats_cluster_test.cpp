// nats_cluster_test.cpp: `tinyad serve --nats` on a 3-node NATS JetStream
// cluster (ctest's nats_cluster fixture, tests/services/nats_cluster_fixture.sh,
// names its folder in TINYAD_NATS_DIR; none named: the test skips and says
// so). Devices publish their windows over MQTT 3.1.1 to two of the nodes;
// two workers score them; in the middle the third node is killed (-9) and
// one worker too, then both come back. Checked, as an MQTT client on a node
// sees it: every window got exactly one verdict (by the window id the bridge
// gives, the stream sequence), every device got all its windows, and the
// alarms are exactly those the k/n rule gives over each device's verdicts,
// in order (none lost, none doubled).
#include <gtest/gtest.h>
#include <mosquitto.h>
#include <signal.h>

#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <fstream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "sample_json.h"
#include "serve_fixture.h"
#include "server_process.h"

using namespace std::chrono_literals;

namespace tinyad {
namespace {

using test::kFault;
using test::kNormal;
using test::ServerProcess;

constexpr int kDevices = 50;
constexpr int kWindowsPerDevice = 80;  // 4,000 windows: 20,000 take ~95 s at the measured ~210 verdicts/s (docs/fleet.md)

std::string cluster_dir() {
  const char* d = std::getenv("TINYAD_NATS_DIR");
  return d ? d : "";
}

std::vector<std::string> read_lines(const std::string& file) {
  std::ifstream in(file);
  std::vector<std::string> lines;
  for (std::string l; std::getline(in, l);)
    if (!l.empty()) lines.push_back(l);
  return lines;
}

int fixture(const std::string& verb, int node) {
  const std::string cmd = std::string(TINYAD_SOURCE_DIR) + "/tests/services/nats_cluster_fixture.sh " + verb + " " +
                          cluster_dir() + " " + std::to_string(node) + " >/dev/null";
  return std::system(cmd.c_str());
}

// An MQTT 3.1.1 client, as a device or a dashboard would use: publishes with
// QoS 1 and counts PUBACKs; records what arrives on its subscriptions.
class MqttClient {
 public:
  explicit MqttClient(const std::string& id) {
    mosquitto_lib_init();
    mosq_ = mosquitto_new(id.c_str(), true, this);
    mosquitto_max_inflight_messages_set(mosq_, 200);
    mosquitto_publish_callback_set(mosq_, [](mosquitto*, void* self, int) {
      static_cast<MqttClient*>(self)->acked_.fetch_add(1);
    });
    mosquitto_subscribe_callback_set(mosq_, [](mosquitto*, void* self, int, int, const int*) {
      auto* c = static_cast<MqttClient*>(self);
      std::lock_guard<std::mutex> lock(c->mutex_);
      ++c->subacks_;
      c->cv_.notify_all();
    });
    mosquitto_message_callback_set(mosq_, [](mosquitto*, void* self, const mosquitto_message* m) {
      auto* c = static_cast<MqttClient*>(self);
      std::lock_guard<std::mutex> lock(c->mutex_);
      c->got_.emplace_back(m->topic, std::string(static_cast<const char*>(m->payload), size_t(m->payloadlen)));
      c->cv_.notify_all();
    });
  }
  ~MqttClient() {
    if (connected_) {
      mosquitto_disconnect(mosq_);
      mosquitto_loop_stop(mosq_, false);
    }
    mosquitto_destroy(mosq_);
  }
  bool connect(int port) {
    connected_ = mosquitto_connect(mosq_, "127.0.0.1", port, 30) == MOSQ_ERR_SUCCESS &&
                 mosquitto_loop_start(mosq_) == MOSQ_ERR_SUCCESS;
    return connected_;
  }
  bool subscribe(const std::vector<std::string>& topics) {
    for (const auto& t : topics) mosquitto_subscribe(mosq_, nullptr, t.c_str(), 1);
    std::unique_lock<std::mutex> lock(mutex_);
    return cv_.wait_for(lock, 20s, [&] { return subacks_ >= int(topics.size()); });
  }
  bool publish(const std::string& topic, const std::string& payload) {
    const bool ok = mosquitto_publish(mosq_, nullptr, topic.c_str(), int(payload.size()), payload.data(), 1,
                                      false) == MOSQ_ERR_SUCCESS;
    if (ok) published_.fetch_add(1);
    return ok;
  }
  uint64_t unacknowledged() const { return published_.load() - acked_.load(); }
  uint64_t acked() const { return acked_.load(); }
  size_t count(const std::string& suffix) {
    std::lock_guard<std::mutex> lock(mutex_);
    size_t n = 0;
    for (const auto& [t, p] : got_) n += t.size() >= suffix.size() && t.compare(t.size() - suffix.size(), suffix.size(), suffix) == 0;
    return n;
  }
  std::vector<std::pair<std::string, std::string>> got() {
    std::lock_guard<std::mutex> lock(mutex_);
    return got_;
  }

 private:
  mosquitto* mosq_ = nullptr;
  bool connected_ = false;
  std::atomic<uint64_t> published_{0}, acked_{0};
  std::mutex mutex_;
  std::condition_variable cv_;
  int subacks_ = 0;
  std::vector<std::pair<std::string, std::string>> got_;
};

class NatsCluster : public test::SimulatedModelTest<NatsCluster> {
 public:
  static constexpr test::SimulatedModelOptions kSimulated{"tinyad-nats", 12, 41};
};

// Waits until the worker's output has `text` in it.
bool wait_output(ServerProcess& p, const std::string& text, std::chrono::seconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (p.output().find(text) != std::string::npos) return true;
    std::this_thread::sleep_for(50ms);
  }
  return false;
}

// DISABLED_: not yet passing (docs/fleet.md, "Status"): a device connection drops when node 3 dies,
// and a few windows got no or two verdicts in the 20,000-window run. Run by hand with
// --gtest_also_run_disabled_tests.
TEST_F(NatsCluster, DISABLED_EveryWindowOneVerdictThroughNodeAndWorkerFailure) {
  if (cluster_dir().empty()) GTEST_SKIP() << "no NATS cluster: TINYAD_NATS_DIR unset (ctest's nats_cluster fixture sets it)";
  const std::vector<std::string> urls = read_lines(cluster_dir() + "/nats_urls");
  const std::vector<std::string> mqtt_ports = read_lines(cluster_dir() + "/mqtt_ports");
  ASSERT_EQ(mqtt_ports.size(), 3u) << "the nats_cluster fixture did not start (see " << cluster_dir() << ")";
  // Workers, devices and the listener use nodes 1 and 2; node 3 (a replica
  // of every stream, and the leader of some) is the one that dies.
  const std::string url = urls[0];
  const std::string two = url.substr(0, url.rfind(','));
  const int port1 = std::atoi(mqtt_ports[0].c_str()), port2 = std::atoi(mqtt_ports[1].c_str());

  const auto t0 = std::chrono::steady_clock::now();
  auto worker = [&](const std::string& id) {
    auto p = std::make_unique<ServerProcess>("serve");
    EXPECT_TRUE(p->start({"--model", path("model.json"), "-p", "0", "--host", "127.0.0.1", "--nats", two,
                          "--nats-worker-id", id}));
    return p;
  };
  auto a = worker("A");
  ASSERT_TRUE(wait_output(*a, "took partition", 60s)) << a->output();
  auto b = worker("B");
  ASSERT_TRUE(wait_output(*b, "took partition", 30s)) << b->output();

  MqttClient listener("listener");
  ASSERT_TRUE(listener.connect(port1));
  ASSERT_TRUE(listener.subscribe({"tinyad/+/verdict", "tinyad/+/alarm"}));
  MqttClient dev1("devices-1"), dev2("devices-2");
  ASSERT_TRUE(dev1.connect(port1));
  ASSERT_TRUE(dev2.connect(port2));
  const std::string normal = sample_json_format(rows_of(window(kNormal, 0)));
  const std::string fault = sample_json_format(rows_of(window(kFault, 0)));
  const auto setup_done = std::chrono::steady_clock::now();

  // Every fifth device has a burst of 10 faulty windows at 40..49: an
  // alarm raised and cleared (if the model flags them).
  const int total = kDevices * kWindowsPerDevice;
  int sent = 0;
  bool node_killed = false, worker_killed = false, restarted = false;
  for (int i = 0; i < kWindowsPerDevice; ++i) {
    for (int d = 0; d < kDevices; ++d) {
      const bool bad = d % 5 == 0 && i >= 40 && i < 50;
      MqttClient& c = d % 2 ? dev2 : dev1;
      ASSERT_TRUE(c.publish("tinyad/fan" + std::to_string(d) + "/samples", bad ? fault : normal));
      ++sent;
    }
    // Keep a few hundred windows in flight, not the whole run in memory.
    while (dev1.unacknowledged() + dev2.unacknowledged() > 400) std::this_thread::sleep_for(1ms);
    if (!node_killed && sent >= total / 4) {
      ASSERT_EQ(fixture("kill", 3), 0);
      node_killed = true;
    }
    if (!worker_killed && sent >= total / 2) {
      b->stop(SIGKILL);
      worker_killed = true;
    }
    if (!restarted && sent >= total * 3 / 4) {
      ASSERT_EQ(fixture("restart", 3), 0);
      b = worker("B2");
      restarted = true;
    }
  }
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while ((dev1.unacknowledged() + dev2.unacknowledged() > 0 || listener.count("/verdict") < size_t(total)) &&
         std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(20ms);
  const auto done = std::chrono::steady_clock::now();
  std::this_thread::sleep_for(1s);  // any extra (duplicate) verdict
  EXPECT_EQ(dev1.acked() + dev2.acked(), uint64_t(total)) << "windows the cluster did not accept";

  // Every window one verdict; per device, in window order.
  std::map<uint64_t, int> per_window;
  std::map<std::string, std::map<uint64_t, bool>> verdicts;  // device -> window -> anomaly
  std::map<std::string, std::vector<std::string>> alarms;    // device -> event names, in arrival order
  for (const auto& [topic, payload] : listener.got()) {
    const nlohmann::json j = nlohmann::json::parse(payload, nullptr, false);
    ASSERT_FALSE(j.is_discarded()) << payload;
    if (topic.size() > 6 && topic.compare(topic.size() - 6, 6, "/alarm") == 0) {
      alarms[j.value("device", "")].push_back(j.value("event", ""));
      continue;
    }
    ASSERT_TRUE(j.contains("window") && j.contains("anomaly")) << payload;
    const uint64_t w = j["window"].get<uint64_t>();
    ++per_window[w];
    verdicts[j["device"].get<std::string>()][w] = j["anomaly"].get<bool>();
  }
  int doubled = 0;
  for (const auto& [w, n] : per_window) doubled += n > 1;
  EXPECT_EQ(per_window.size(), size_t(total)) << "windows with a verdict";
  EXPECT_EQ(doubled, 0) << "windows with more than one verdict";
  EXPECT_EQ(verdicts.size(), size_t(kDevices));
  for (const auto& [device, ws] : verdicts) EXPECT_EQ(ws.size(), size_t(kWindowsPerDevice)) << device;

  // The alarms the 3/5 rule gives over each device's verdicts, in order.
  int raised = 0;
  for (const auto& [device, ws] : verdicts) {
    std::vector<std::string> expected;
    std::vector<bool> last;
    bool active = false;
    for (const auto& [w, anomaly] : ws) {
      last.push_back(anomaly);
      if (last.size() > 5) last.erase(last.begin());
      int bad = 0;
      for (bool x : last) bad += x;
      const int good = int(last.size()) - bad;
      if (!active && bad >= 3) {
        active = true;
        expected.push_back("alarm_raised");
      } else if (active && good >= 3) {
        active = false;
        expected.push_back("alarm_cleared");
      }
    }
    EXPECT_EQ(alarms[device], expected) << device;
    for (const auto& e : alarms[device]) raised += e == "alarm_raised";
  }
  EXPECT_EQ(raised, kDevices / 5) << "one alarm per device with a burst of faulty windows";

  const double setup_s = std::chrono::duration<double>(setup_done - t0).count();
  const double run_s = std::chrono::duration<double>(done - setup_done).count();
  std::printf("nats cluster: %d windows in %.1f s (%.0f verdicts/s) through a node and a worker kill; set-up %.1f s\n",
              total, run_s, total / run_s, setup_s);
  b->stop(SIGTERM);
  a->stop(SIGTERM);
}

}  // namespace
}  // namespace tinyad
