// hostile_ids_mqtt_test.cpp: issue 12 part 7 for MQTT topics (the rest of
// the escaping checks, /metrics, events file and dashboard, are in
// tests/browser/hostile_ids_test.cjs). A device id is a topic level: ids
// with quotes, HTML, backslashes and non-ASCII come over MQTT and get their
// verdicts and alarms on exactly tinyad/<id>/verdict and /alarm, the id
// intact in the JSON; ids posted over HTTP that cannot be one topic level
// ('/', '+', '#') publish no alarm anywhere, the others do. Every topic seen
// on the broker has three levels. On a broker of its own (every serve on one
// broker shares the subscription).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <mosquitto.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "raw_http.h"
#include "serve_fixture.h"
#include "server_process.h"

namespace tinyad {
namespace {

using namespace std::chrono_literals;

// Everything published on the broker ('#'), and a way to publish.
class Watcher {
 public:
  bool start(int port) {
    mosquitto_lib_init();
    m_ = mosquitto_new("hostile-ids-watcher", true, this);
    mosquitto_message_callback_set(m_, [](mosquitto*, void* self, const mosquitto_message* msg) {
      auto* w = static_cast<Watcher*>(self);
      std::lock_guard<std::mutex> lock(w->mutex_);
      w->got_.emplace_back(msg->topic,
                           std::string(static_cast<const char*>(msg->payload), size_t(msg->payloadlen)));
    });
    mosquitto_subscribe_callback_set(m_, [](mosquitto*, void* self, int, int, const int*) {
      static_cast<Watcher*>(self)->subscribed_ = true;
    });
    if (mosquitto_connect(m_, "127.0.0.1", port, 30) != MOSQ_ERR_SUCCESS) return false;
    if (mosquitto_loop_start(m_) != MOSQ_ERR_SUCCESS) return false;
    mosquitto_subscribe(m_, nullptr, "#", 1);
    for (int i = 0; i < 300 && !subscribed_; ++i) std::this_thread::sleep_for(10ms);
    return subscribed_;
  }
  int publish(const std::string& topic, const std::string& payload) {
    return mosquitto_publish(m_, nullptr, topic.c_str(), int(payload.size()), payload.data(), 1, false);
  }
  std::vector<std::pair<std::string, std::string>> got() {
    std::lock_guard<std::mutex> lock(mutex_);
    return got_;
  }
  ~Watcher() {
    if (!m_) return;
    mosquitto_disconnect(m_);
    mosquitto_loop_stop(m_, false);
    mosquitto_destroy(m_);
  }

 private:
  mosquitto* m_ = nullptr;
  std::atomic<bool> subscribed_{false};
  std::mutex mutex_;
  std::vector<std::pair<std::string, std::string>> got_;
};

class ServeHostileIdsMqtt : public test::SimulatedModelTest<ServeHostileIdsMqtt> {
 public:
  static constexpr test::SimulatedModelOptions kSimulated{"tinyad-hostile-mqtt-test", 10, 7, false};
};

TEST_F(ServeHostileIdsMqtt, IdsStayOneTopicLevelAndIntactInJson) {
  const int port = test::free_loopback_port();
  const std::string conf = path("mosquitto.conf");
  std::ofstream(conf) << "listener " << port << " 127.0.0.1\nallow_anonymous true\npersistence false\n";
  const pid_t broker = ::fork();
  if (broker == 0) {
    const int null = ::open("/dev/null", O_WRONLY);
    ::dup2(null, STDOUT_FILENO);
    ::dup2(null, STDERR_FILENO);
    ::execl("/usr/sbin/mosquitto", "mosquitto", "-c", conf.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  struct Reap {
    pid_t pid;
    ~Reap() {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
  } reap{broker};
  Watcher w;
  bool up = false;
  for (int i = 0; i < 100 && !up; ++i) {
    std::this_thread::sleep_for(50ms);
    up = w.start(port);
  }
  ASSERT_TRUE(up) << "mosquitto did not start (scripts/deps.sh test installs it)";

  test::ServerProcess serve("serve");
  ASSERT_TRUE(serve.start({"--model", path("model.json"), "-p", "0", "--host", "127.0.0.1", "--alarm", "1/1",
                           "--mqtt", "mqtt://127.0.0.1:" + std::to_string(port), "--mqtt-client-id", "hostile"}))
      << serve.output();
  for (int i = 0; i < 500 && serve.output().find("mqtt: connected") == std::string::npos; ++i)
    std::this_thread::sleep_for(10ms);

  const std::vector<std::string> over_mqtt = {"q\"uote'apos", "<img src=x onerror=alert(1)>", "back\\slash",
                                              "ünïcødé-🌀", "sp ace"};
  const std::vector<std::string> http_fits = {"<b onclick=x>bold\"", "a\\\"b"};  // one topic level each
  const std::vector<std::string> http_not = {"a/b", "x+y", "z#", "/"};  // not a topic level
  const std::string faulty = sample_json_format(rows_of(window(test::kFault, 0)));
  for (const std::string& id : over_mqtt) ASSERT_EQ(w.publish("tinyad/" + id + "/samples", faulty), 0) << id;
  for (const std::string& id : http_fits) {
    const std::string r = test::send_request(serve.port(), test::post_request(faulty, "X-Device-Id: " + id + "\r\n"));
    EXPECT_EQ(test::status_of(r), 200) << id << r;
  }
  for (const std::string& id : http_not) {
    const std::string r = test::send_request(serve.port(), test::post_request(faulty, "X-Device-Id: " + id + "\r\n"));
    EXPECT_EQ(test::status_of(r), 200) << id << r;  // scored, only no alarm topic
  }
  // Wait for 2 answers per MQTT id (verdict, alarm) and 1 per fitting HTTP id.
  const size_t want = over_mqtt.size() * 3 + http_fits.size();  // samples, verdict, alarm; alarm
  // serve's own retained topics (tinyad/status, partition claims, each
  // device's alarm_state) are not answers to a window.
  auto answers = [](std::vector<std::pair<std::string, std::string>> all) {
    std::vector<std::pair<std::string, std::string>> out;
    for (auto& m : all) {
      const std::string& t = m.first;
      if (t.rfind("tinyad/status", 0) == 0 || t.rfind("tinyad/partition/", 0) == 0 ||
          (t.size() > 12 && t.compare(t.size() - 12, 12, "/alarm_state") == 0))
        continue;
      out.push_back(std::move(m));
    }
    return out;
  };
  for (int i = 0; i < 500 && answers(w.got()).size() < want; ++i) std::this_thread::sleep_for(10ms);
  std::this_thread::sleep_for(300ms);  // anything extra (a stray alarm) has time to show
  const auto got = answers(w.got());

  std::set<std::string> ids(over_mqtt.begin(), over_mqtt.end());
  ids.insert(http_fits.begin(), http_fits.end());
  std::set<std::pair<std::string, std::string>> seen;  // (id, kind)
  for (const auto& [topic, payload] : got) {
    const size_t a = topic.find('/'), b = topic.rfind('/');
    ASSERT_TRUE(a != std::string::npos && b > a) << topic;
    const std::string head = topic.substr(0, a), id = topic.substr(a + 1, b - a - 1), kind = topic.substr(b + 1);
    EXPECT_EQ(head, "tinyad") << topic;
    EXPECT_TRUE(ids.count(id)) << "a topic for an id nobody sent: " << topic;
    EXPECT_TRUE(kind == "samples" || kind == "verdict" || kind == "alarm") << topic;
    if (kind == "samples") continue;
    const nlohmann::json j = nlohmann::json::parse(payload, nullptr, false);
    ASSERT_TRUE(j.is_object()) << topic << ": " << payload;
    EXPECT_EQ(j.value("device", std::string("?")), id) << payload;
    seen.insert({id, kind});
  }
  for (const std::string& id : over_mqtt) {
    EXPECT_TRUE(seen.count({id, "verdict"})) << "no verdict for " << id;
    EXPECT_TRUE(seen.count({id, "alarm"})) << "no alarm for " << id;
  }
  for (const std::string& id : http_fits) EXPECT_TRUE(seen.count({id, "alarm"})) << "no alarm for " << id;
  serve.stop(SIGTERM);
  EXPECT_EQ(WEXITSTATUS(serve.status()), 0) << serve.output();
}

}  // namespace
}  // namespace tinyad
