// mqtt_broker_crash_test.cpp: the broker dies under load (kill -9) and comes
// back 3 s later on the same port, from its persistence file. A device
// publishes windows at QoS 1 (each window its own device id, so each verdict
// names exactly one window); serve runs with its persistent session (the
// defaults: client id kept, session expiry 3600 s, QoS 1). Checked: every
// window the broker acknowledged (PUBACK) to the device is answered exactly
// once (one verdict: a verdict message sent again, QoS 1's at-least-once, is
// the same bytes and counts once); a window it never acknowledged is
// answered at most once. Windows the restarted broker sends serve again are
// dropped by serve (tinyad_mqtt_redelivered_total).
//
// The broker saves after every change (autosave_on_changes true,
// autosave_interval 1), the set-up docs/fleet.md recommends: with the default
// (every 1800 s, and at a clean exit) a kill -9 loses everything accepted
// since the last save, which is what the issue saw (247 of 594 windows).
// mosquitto saves once per pass of its event loop, after the pass: what it
// acknowledged in the very pass it was killed in is not on disk. The test
// prints how many windows were lost that way, and fails if any accepted
// window got no verdict. Takes 10-30 s.
#include <gtest/gtest.h>
#include <mosquitto.h>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "mosquitto_process.h"
#include "serve_fixture.h"
#include "server_process.h"

namespace tinyad {
namespace {

using namespace std::chrono_literals;
using test::kNormal;
using test::ServerProcess;

// The device side: MQTT 3.1.1 with clean session off, so its subscription to
// the verdicts, and the verdicts the broker queued for it, outlive both the
// connection and (from the persistence file) the broker; libmosquitto's own
// reconnect (every second) keeps that session. Windows published while the
// broker is down stay in libmosquitto's queue and go out after the reconnect.
class Device {
 public:
  Device(const std::string& id, std::string prefix) : prefix_(std::move(prefix)) {
    mosquitto_lib_init();
    m_ = mosquitto_new(id.c_str(), false, this);
    mosquitto_int_option(m_, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V311);
    mosquitto_reconnect_delay_set(m_, 1, 1, false);
    mosquitto_max_inflight_messages_set(m_, 100);
    mosquitto_publish_callback_set(m_, [](mosquitto*, void* self, int mid) {
      static_cast<Device*>(self)->on_puback(mid);
    });
    mosquitto_subscribe_callback_set(m_, [](mosquitto*, void* self, int, int, const int*) {
      auto* d = static_cast<Device*>(self);
      std::lock_guard<std::mutex> lock(d->mutex_);
      d->subscribed_ = true;
      d->cv_.notify_all();
    });
    mosquitto_message_callback_set(m_, [](mosquitto*, void* self, const mosquitto_message* msg) {
      static_cast<Device*>(self)->on_message(msg);
    });
  }
  ~Device() {
    mosquitto_disconnect(m_);
    mosquitto_loop_stop(m_, true);
    mosquitto_destroy(m_);
  }
  bool connect(int port) {
    if (mosquitto_connect(m_, "127.0.0.1", port, 10) != MOSQ_ERR_SUCCESS) return false;
    if (mosquitto_loop_start(m_) != MOSQ_ERR_SUCCESS) return false;
    mosquitto_subscribe(m_, nullptr, "tinyad/+/verdict", 1);
    std::unique_lock<std::mutex> lock(mutex_);
    return cv_.wait_for(lock, 5s, [&] { return subscribed_; });
  }
  // Window i on tinyad/<prefix><i>/samples; the mid ties its PUBACK to it.
  void publish(int i, const std::string& payload) {
    int mid = 0;
    const std::string topic = "tinyad/" + prefix_ + std::to_string(i) + "/samples";
    // MOSQ_ERR_NO_CONN while the broker is down: queued, sent after the reconnect.
    const int rc = mosquitto_publish(m_, &mid, topic.c_str(), int(payload.size()), payload.data(), 1, false);
    ASSERT_TRUE(rc == MOSQ_ERR_SUCCESS || rc == MOSQ_ERR_NO_CONN) << mosquitto_strerror(rc);
    std::lock_guard<std::mutex> lock(mutex_);
    // The PUBACK may have come back before mosquitto_publish returned.
    if (early_.erase(mid)) {
      accepted_.insert(i);
    } else {
      window_of_mid_[mid] = i;
    }
  }
  std::set<int> accepted() {
    std::lock_guard<std::mutex> lock(mutex_);
    return accepted_;
  }
  // Window -> the distinct verdicts it got (a verdict message the broker
  // or libmosquitto sent again is the same bytes, "time" included: one).
  std::map<int, std::set<std::string>> verdicts() {
    std::lock_guard<std::mutex> lock(mutex_);
    return verdicts_;
  }
  int verdict_messages() {
    std::lock_guard<std::mutex> lock(mutex_);
    return messages_;
  }
  // Waits until every accepted window has a verdict (false after the timeout).
  bool wait_answered(std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> lock(mutex_);
    return cv_.wait_for(lock, timeout, [&] {
      for (int i : accepted_)
        if (!verdicts_.count(i)) return false;
      return true;
    });
  }

 private:
  void on_puback(int mid) {
    std::lock_guard<std::mutex> lock(mutex_);
    const auto it = window_of_mid_.find(mid);
    if (it == window_of_mid_.end()) {
      early_.insert(mid);
      return;
    }
    accepted_.insert(it->second);
    window_of_mid_.erase(it);
    cv_.notify_all();
  }
  void on_message(const mosquitto_message* msg) {
    const std::string topic = msg->topic;  // tinyad/<prefix><i>/verdict
    const size_t at = topic.find(prefix_);
    if (at == std::string::npos) return;
    const int i = std::atoi(topic.c_str() + at + prefix_.size());
    std::lock_guard<std::mutex> lock(mutex_);
    verdicts_[i].insert(std::string(static_cast<const char*>(msg->payload), size_t(msg->payloadlen)));
    ++messages_;
    cv_.notify_all();
  }

  mosquitto* m_ = nullptr;
  std::string prefix_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool subscribed_ = false;
  std::map<int, int> window_of_mid_;
  std::set<int> early_, accepted_;
  std::map<int, std::set<std::string>> verdicts_;
  int messages_ = 0;  // verdict messages received, repeats included
};

class MqttBrokerCrash : public test::SimulatedModelTest<MqttBrokerCrash> {
 public:
  static constexpr test::SimulatedModelOptions kSimulated{"tinyad-mqtt-crash-test", 10, 11};
};

TEST_F(MqttBrokerCrash, EveryWindowThePersistedBrokerAcceptedIsAnsweredOnce) {
  const int port = test::free_loopback_port();
  const std::string store = path("broker-store") + "/";
  std::filesystem::create_directories(store);
  // Run as root, mosquitto drops to the user mosquitto (or nobody): it must
  // be able to write its file here.
  std::filesystem::permissions(store, std::filesystem::perms::all);
  const std::string conf = path("mosquitto-persistent.conf");
  std::ofstream(conf) << "listener " << port << " 127.0.0.1\nallow_anonymous true\n"
                      << "persistence true\npersistence_location " << store << "\n"
                      << "autosave_on_changes true\nautosave_interval 1\n"
                      << "max_queued_messages 10000\n";
  test::Broker broker(conf);
  ASSERT_TRUE(broker.start({port}));

  ServerProcess serve("serve");
  ASSERT_TRUE(serve.start({"--model", path("model.json"), "-p", "0", "--host", "127.0.0.1", "--mqtt",
                           "mqtt://127.0.0.1:" + std::to_string(port), "--mqtt-client-id", "crash-serve",
                           "--mqtt-verdict", "score"}))
      << serve.output();
  for (int i = 0; i < 500 && serve.output().find("mqtt: connected") == std::string::npos; ++i)
    std::this_thread::sleep_for(10ms);
  ASSERT_NE(serve.output().find("session kept 3600 s"), std::string::npos) << serve.output();

  const std::string w = body(window(kNormal, 1));
  Device device("crash-device", "w" + std::to_string(::getpid()) + "-");
  ASSERT_TRUE(device.connect(port));

  // 400 windows at about 100/s; the broker dies after 130 and is back 3 s
  // later. (Few: saving after every change, the broker rewrites its whole
  // file, queued windows included, on each pass, which is slow on a busy
  // machine.)
  const int kWindows = 400, kKillAt = 130;
  std::thread restarter;
  for (int i = 0; i < kWindows; ++i) {
    device.publish(i, w);
    if (i == kKillAt) {
      broker.kill();
      restarter = std::thread([&] {
        std::this_thread::sleep_for(3s);
        EXPECT_TRUE(broker.start({port}));
      });
    }
    std::this_thread::sleep_for(10ms);
  }
  restarter.join();
  // serve reconnects after its back-off (1, 2, 4, 8 s: 7 or 15 s after the
  // kill); then the broker hands over what it kept.
  const bool all = device.wait_answered(40s);
  std::this_thread::sleep_for(1s);  // late duplicates

  const std::string out = serve.stop(SIGTERM);
  EXPECT_EQ(WEXITSTATUS(serve.status()), 0) << out;
  const size_t stopped = out.find("mqtt: stopped: ");
  ASSERT_NE(stopped, std::string::npos) << out;
  std::printf("serve %s\n", out.substr(stopped, out.find('\n', stopped) - stopped).c_str());
  const std::set<int> accepted = device.accepted();
  const std::map<int, std::set<std::string>> verdicts = device.verdicts();
  constexpr int kLastBeforeKill = 3;
  int answered = 0, unanswered = 0, twice = 0, unaccepted_answered = 0, lost_at_kill = 0;
  std::string lost, doubled;
  for (int i = 0; i < kWindows; ++i) {
    const auto it = verdicts.find(i);
    const int n = it == verdicts.end() ? 0 : int(it->second.size());
    if (n > 1) ++twice, doubled += " " + std::to_string(i) + "x" + std::to_string(n);
    if (!accepted.count(i)) {
      unaccepted_answered += n > 0;
      continue;
    }
    // mosquitto acknowledges a window before the save at the end of its loop
    // pass, so the last windows before kill -9 may be gone (docs/fleet.md);
    // seen once in CI: windows 128 and 129 of a kill at 130.
    const bool at_the_kill = i > kKillAt - kLastBeforeKill && i <= kKillAt;
    if (n == 0 && at_the_kill) ++lost_at_kill;
    if (n == 0 && !at_the_kill) ++unanswered, lost += " " + std::to_string(i);
    answered += n > 0;
  }
  std::printf("broker crash: %d windows published, %zu accepted (PUBACK), %d answered, %d unanswered, %d answered "
              "more than once, %d answered without a PUBACK; %d verdict messages (repeats of one verdict "
              "included)\n",
              kWindows, accepted.size(), answered, unanswered, twice, unaccepted_answered, device.verdict_messages());
  EXPECT_GT(int(accepted.size()), kKillAt) << "the device's windows after the restart were not accepted";
  std::printf("broker crash: %d accepted in the last %d publishes before the kill were lost\n", lost_at_kill,
              kLastBeforeKill);
  EXPECT_TRUE(all || (unanswered == 0 && lost_at_kill > 0))
      << "accepted windows never answered:" << lost << "\n" << serve.output();
  EXPECT_EQ(unanswered, 0) << "accepted windows never answered:" << lost << "\n" << serve.output();
  EXPECT_EQ(twice, 0) << "answered more than once:" << doubled;
}

}  // namespace
}  // namespace tinyad
