// mqtt_test.cpp: `tinyad serve --mqtt` end to end on Debian's mosquitto.
// The broker comes from ctest's mqtt_broker fixture (or TINYAD_MQTT_URL):
// none named, the tests skip and say so; named but unreachable, they fail. Windows are published as a device
// would; verdicts are checked against `tinyad score --json` on the same files,
// one per window, errors answered as JSON, alarms published, two serve
// processes sharing the subscription answering every window once between
// them, SIGTERM answering what was received; serve --commission per device.
// The broker restart and commissioning tests start mosquittos of their own
// (the restart test kills its), so they do not disturb the others.
// All broker-sharing checks are one test: ctest runs tests in parallel and
// every serve process on one broker is in the same share group.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <mosquitto.h>
#include <mqtt_protocol.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>
#include <utility>

#include "cli_run.h"
#include "mosquitto_process.h"
#include "mqtt_bridge.h"
#include "raw_http.h"
#include "serve_fixture.h"
#include "test_env.h"
#include "server_process.h"

namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace tinyad {
namespace {

using test::kFault;
using test::kNormal;
using test::Broker;
using test::metric;
using test::ServerProcess;
using test::tinyad;

bool port_accepts(int port) {
  const int fd = test::connect_loopback(port);
  if (fd >= 0) ::close(fd);
  return fd >= 0;
}

// A test client: publishes, and records what arrives on its subscriptions.
class Client {
 public:
  struct Message {
    std::string topic, payload;
  };
  // id "": a clean session; else a persistent one under that id (kept 600 s).
  explicit Client(const std::string& id = "") : persistent_(!id.empty()) {
    mosquitto_lib_init();
    mosq_ = mosquitto_new(id.empty() ? nullptr : id.c_str(), id.empty(), this);
    mosquitto_publish_v5_callback_set(mosq_, [](mosquitto*, void* self, int, int, const mosquitto_property*) {
      auto* c = static_cast<Client*>(self);
      std::lock_guard<std::mutex> lock(c->mutex_);
      ++c->acked_;
      c->cv_.notify_all();
    });
    mosquitto_int_option(mosq_, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V5);
    mosquitto_int_option(mosq_, MOSQ_OPT_SEND_MAXIMUM, 1000);
    mosquitto_subscribe_v5_callback_set(mosq_, [](mosquitto*, void* self, int, int, const int*, const mosquitto_property*) {
      auto* c = static_cast<Client*>(self);
      std::lock_guard<std::mutex> lock(c->mutex_);
      ++c->subacks_;
      c->cv_.notify_all();
    });
    mosquitto_message_v5_callback_set(mosq_, [](mosquitto*, void* self, const mosquitto_message* m,
                                                 const mosquitto_property*) {
      auto* c = static_cast<Client*>(self);
      std::lock_guard<std::mutex> lock(c->mutex_);
      c->got_.push_back({m->topic, std::string(static_cast<const char*>(m->payload), size_t(m->payloadlen))});
      c->cv_.notify_all();
    });
  }
  ~Client() {
    if (connected_) {
      mosquitto_disconnect(mosq_);
      mosquitto_loop_stop(mosq_, false);
    }
    mosquitto_destroy(mosq_);
  }
  bool connect(int port) {
    mosquitto_property* props = nullptr;
    if (persistent_) mosquitto_property_add_int32(&props, MQTT_PROP_SESSION_EXPIRY_INTERVAL, 600);
    connected_ = mosquitto_connect_bind_v5(mosq_, "127.0.0.1", port, 30, nullptr, props) == MOSQ_ERR_SUCCESS &&
                 mosquitto_loop_start(mosq_) == MOSQ_ERR_SUCCESS;
    mosquitto_property_free_all(&props);
    return connected_;
  }
  // Waits until the broker acknowledged n of our publishes.
  bool wait_acked(int n, std::chrono::milliseconds timeout = 10000ms) {
    std::unique_lock<std::mutex> lock(mutex_);
    return cv_.wait_for(lock, timeout, [&] { return acked_ >= n; });
  }
  bool subscribe(const std::vector<std::string>& topics) {
    for (const auto& t : topics) mosquitto_subscribe_v5(mosq_, nullptr, t.c_str(), 1, 0, nullptr);
    std::unique_lock<std::mutex> lock(mutex_);
    return cv_.wait_for(lock, 5s, [&] { return subacks_ >= int(topics.size()); });
  }
  void publish(const std::string& topic, const std::string& payload) {
    ASSERT_EQ(mosquitto_publish_v5(mosq_, nullptr, topic.c_str(), int(payload.size()), payload.data(), 1, false,
                                   nullptr),
              MOSQ_ERR_SUCCESS);
  }
  // Waits until at least n messages arrived (false after the timeout), then
  // `settle` more for any extra (duplicate) one.
  bool wait_for(size_t n, std::chrono::milliseconds timeout = 10000ms, std::chrono::milliseconds settle = 300ms) {
    std::unique_lock<std::mutex> lock(mutex_);
    const bool ok = cv_.wait_for(lock, timeout, [&] { return got_.size() >= n; });
    lock.unlock();
    std::this_thread::sleep_for(settle);
    return ok;
  }
  std::vector<Message> take() {
    std::lock_guard<std::mutex> lock(mutex_);
    return std::exchange(got_, {});
  }
  size_t count() {
    std::lock_guard<std::mutex> lock(mutex_);
    return got_.size();
  }

 private:
  mosquitto* mosq_ = nullptr;
  bool connected_ = false;
  std::mutex mutex_;
  std::condition_variable cv_;
  int subacks_ = 0, acked_ = 0;
  bool persistent_ = false;
  std::vector<Message> got_;
};

// The topic level between tinyad/ and /verdict|/alarm.
std::string device_of(const std::string& topic) {
  const size_t a = topic.find('/'), b = topic.rfind('/');
  return topic.substr(a + 1, b - a - 1);
}

std::string metrics_of(int http_port) {
  return test::body_of(test::send_request(http_port, test::get_request("/metrics")));
}

// Waits until the process printed `what` (up to 10 s).
bool printed(ServerProcess& p, const std::string& what) {
  for (int i = 0; i < 1000; ++i) {
    if (p.output().find(what) != std::string::npos) return true;
    std::this_thread::sleep_for(10ms);
  }
  return false;
}

// The broker: TINYAD_MQTT_URL when set, else the one ctest's mqtt_broker
// fixture started (tests/services/mosquitto_fixture.sh writes its URL to the
// file TINYAD_MQTT_URL_FILE names). "" when neither is given (the gtest
// binary run by hand).
std::string broker_url() {
  if (const char* url = std::getenv("TINYAD_MQTT_URL"); url && *url) return url;
  const char* file = std::getenv("TINYAD_MQTT_URL_FILE");
  if (!file || !*file) return "";
  std::ifstream in(file);
  std::string url;
  std::getline(in, url);
  return url;
}

// Skips when no broker is named, fails when the named one is unreachable.
#define TINYAD_REQUIRE_BROKER(port)                                                                    \
  do {                                                                                                 \
    const std::string url = broker_url();                                                              \
    if (url.empty())                                                                                   \
      GTEST_SKIP() << "no broker: ctest starts one (fixture mqtt_broker), or set TINYAD_MQTT_URL";      \
    std::string host, err;                                                                             \
    ASSERT_TRUE(mqtt_url_parse(url, &host, &port, &err)) << err;                                       \
    ASSERT_TRUE(port_accepts(port)) << "broker " << url << ": no broker accepts connections";          \
  } while (0)

TEST(MqttUrl, ParsesAndRefuses) {
  std::string host, err;
  int port = 0;
  ASSERT_TRUE(mqtt_url_parse("mqtt://broker.local", &host, &port, &err)) << err;
  EXPECT_EQ(host, "broker.local");
  EXPECT_EQ(port, 1883);
  ASSERT_TRUE(mqtt_url_parse("mqtt://127.0.0.1:18830/", &host, &port, &err)) << err;
  EXPECT_EQ(host, "127.0.0.1");
  EXPECT_EQ(port, 18830);
  ASSERT_TRUE(mqtt_url_parse("mqtt://[::1]:1884", &host, &port, &err)) << err;
  EXPECT_EQ(host, "::1");
  EXPECT_EQ(port, 1884);
  for (const char* bad : {"", "127.0.0.1:1883", "http://h:1883", "mqtt://", "mqtt://h:", "mqtt://h:0",
                          "mqtt://h:65536", "mqtt://h:12x", "mqtt://h/topic", "mqtt://@h", "mqtts://u:pw@h"}) {
    EXPECT_FALSE(mqtt_url_parse(bad, &host, &port, &err)) << bad;
    EXPECT_NE(err.find("expected mqtt://[user@]host[:port] or mqtts://"), std::string::npos) << err;
  }
  // TLS and a user name (the password never in the URL: `ps` shows it).
  MqttOptions o;
  ASSERT_TRUE(mqtt_url_parse("mqtts://fleet@broker.local", &o, &err)) << err;
  EXPECT_EQ(o.host, "broker.local");
  EXPECT_EQ(o.port, 8883);
  EXPECT_TRUE(o.security.tls);
  EXPECT_EQ(o.security.username, "fleet");
  ASSERT_TRUE(mqtt_url_parse("mqtt://fleet@[::1]:1885", &o, &err)) << err;
  EXPECT_EQ(o.port, 1885);
  EXPECT_FALSE(o.security.tls);
  EXPECT_FALSE(mqtt_url_parse("mqtt://fleet:secret@h", &o, &err));
  EXPECT_NE(err.find("no password in the URL"), std::string::npos) << err;
}

class Mqtt : public test::SimulatedModelTest<Mqtt> {
 public:
  static constexpr test::SimulatedModelOptions kSimulated{"tinyad-mqtt-test", 10, 5};

 protected:
  static bool start_serve(ServerProcess& p, int broker_port, const std::string& id,
                          const std::vector<std::string>& extra = {}) {
    std::vector<std::string> args = {"--model", path("model.json"), "-p", "0", "--host", "127.0.0.1", "--alarm", "3/5",
                                     "--mqtt", "mqtt://127.0.0.1:" + std::to_string(broker_port), "--mqtt-client-id",
                                     id, "--mqtt-workers", "2"};
    args.insert(args.end(), extra.begin(), extra.end());
    return p.start(args) &&
           printed(p, "mqtt: connected to 127.0.0.1:" + std::to_string(broker_port) +
                          ", subscribed to tinyad/+/samples");
  }
};

TEST_F(Mqtt, VerdictsErrorsAlarmsSharingAndDrainOnTheCiBroker) {
  int port = 0;
  TINYAD_REQUIRE_BROKER(port);
  const std::string tag = "t" + std::to_string(::getpid());  // devices no other run uses
  ServerProcess serve1("serve");
  ASSERT_TRUE(start_serve(serve1, port, tag + "-serve1")) << serve1.output();
  Client c;
  ASSERT_TRUE(c.connect(port));
  ASSERT_TRUE(c.subscribe({"tinyad/+/verdict", "tinyad/+/alarm"}));
  auto ours = [&](std::vector<Client::Message> all) {  // drops other runs' traffic
    std::vector<Client::Message> mine;
    for (auto& m : all)
      if (device_of(m.topic).rfind(tag, 0) == 0) mine.push_back(std::move(m));
    return mine;
  };

  // 1. Verdicts: dev a 5 normal windows, dev b 5 faults (alarm on the 3rd),
  // dev c 3 normal ones; each verdict equals `tinyad score --json`.
  std::map<std::string, std::vector<std::string>> files;  // device -> windows
  for (int i = 0; i < 5; ++i) files[tag + "-a"].push_back(window(kNormal, i));
  for (int i = 0; i < 5; ++i) files[tag + "-b"].push_back(window(kFault, i));
  for (int i = 5; i < 8; ++i) files[tag + "-c"].push_back(window(kNormal, i));
  size_t sent = 0;
  for (const auto& [device, list] : files) {
    for (const auto& f : list) {
      c.publish("tinyad/" + device + "/samples", body(f));
      ++sent;
    }
  }
  // 2. Errors answered on the verdict topic: a truncated body, a device id
  // longer than 64 characters.
  const std::string long_id = tag + "-" + std::string(65, 'x');
  c.publish("tinyad/" + tag + "-bad/samples", "{\"x\":[1,2,");
  c.publish("tinyad/" + long_id + "/samples", body(window(kNormal, 0)));
  ASSERT_TRUE(c.wait_for(sent + 2 + 1)) << c.count() << " messages\n" << serve1.output();
  std::map<std::string, std::vector<nlohmann::json>> verdicts, alarms;
  for (const auto& m : ours(c.take())) {
    const nlohmann::json j = nlohmann::json::parse(m.payload);
    (m.topic.size() > 6 && m.topic.substr(m.topic.size() - 6) == "/alarm" ? alarms : verdicts)[device_of(m.topic)]
        .push_back(j);
  }
  for (const auto& [device, list] : files) {
    ASSERT_EQ(verdicts[device].size(), list.size()) << device;
    // One process, one worker per device: in the order published.
    for (size_t i = 0; i < list.size(); ++i) {
      const nlohmann::json ref = reference(list[i]);
      const nlohmann::json& v = verdicts[device][i];
      EXPECT_EQ(v["device"], device);
      EXPECT_DOUBLE_EQ(v["score"].get<double>(), ref["score"].get<double>()) << list[i];
      EXPECT_EQ(v["threshold"].get<double>(), ref["threshold"].get<double>());
      EXPECT_EQ(v["anomaly"].get<bool>(), ref["anomaly"].get<bool>()) << list[i];
      EXPECT_EQ(v["anomaly"].get<bool>(), list[i].find(kFault) != std::string::npos) << "data must separate";
    }
  }
  ASSERT_EQ(verdicts[tag + "-bad"].size(), 1u);
  EXPECT_EQ(verdicts[tag + "-bad"][0]["status"], 400);
  EXPECT_EQ(verdicts[tag + "-bad"][0]["device"], tag + "-bad");
  EXPECT_FALSE(verdicts[tag + "-bad"][0]["error"].get<std::string>().empty());
  ASSERT_EQ(verdicts[long_id].size(), 1u);
  EXPECT_EQ(verdicts[long_id][0]["status"], 400);
  EXPECT_NE(verdicts[long_id][0]["error"].get<std::string>().find("1 to 64 characters"), std::string::npos);
  // 3. The alarm, once, after the 3rd anomalous window of dev b.
  ASSERT_EQ(alarms.size(), 1u);
  ASSERT_EQ(alarms[tag + "-b"].size(), 1u);
  EXPECT_EQ(alarms[tag + "-b"][0]["event"], "alarm_raised");
  EXPECT_EQ(alarms[tag + "-b"][0]["device"], tag + "-b");
  EXPECT_EQ(alarms[tag + "-b"][0]["anomalous"], 3);
  const std::string m1 = metrics_of(serve1.port());
  EXPECT_EQ(metric(m1, "tinyad_mqtt_messages_received_total"), double(sent + 2));
  EXPECT_EQ(metric(m1, "tinyad_mqtt_verdicts_published_total"), double(sent));
  EXPECT_EQ(metric(m1, "tinyad_mqtt_errors_published_total"), 2);
  EXPECT_EQ(metric(m1, "tinyad_mqtt_alarms_published_total"), 1);
  EXPECT_EQ(metric(m1, "tinyad_windows_scored_total"), double(sent));

  const std::string out1 = serve1.stop(SIGTERM);
  EXPECT_EQ(WEXITSTATUS(serve1.status()), 0) << out1;

  // 4. Two processes, --mqtt-partition 0/2 and 1/2: 400 windows from 40
  // devices are answered exactly once between the two, each device by the
  // process its id hashes to, and both take some.
  ServerProcess p0("serve"), p1("serve");
  ASSERT_TRUE(start_serve(p0, port, tag + "-p0", {"--mqtt-partition", "0/2"})) << p0.output();
  ASSERT_TRUE(start_serve(p1, port, tag + "-p1", {"--mqtt-partition", "1/2"})) << p1.output();
  const std::string normal = body(window(kNormal, 9));
  const int kDevices = 40, kEach = 10;
  double expected_in_p1 = 0;
  for (int d = 0; d < kDevices; ++d)
    expected_in_p1 += kEach * (mqtt_partition_of(tag + "-s" + std::to_string(d), 2) == 1 ? 1 : 0);
  for (int i = 0; i < kEach; ++i)
    for (int d = 0; d < kDevices; ++d) c.publish("tinyad/" + tag + "-s" + std::to_string(d) + "/samples", normal);
  ASSERT_TRUE(c.wait_for(kDevices * kEach)) << c.count();
  std::map<std::string, int> per_device;
  for (const auto& m : ours(c.take())) {
    ASSERT_EQ(m.topic.substr(m.topic.size() - 8), "/verdict") << m.topic << " " << m.payload;
    ++per_device[device_of(m.topic)];
  }
  ASSERT_EQ(per_device.size(), size_t(kDevices));
  for (const auto& [device, n] : per_device) EXPECT_EQ(n, kEach) << device;
  const double scored0 = metric(metrics_of(p0.port()), "tinyad_windows_scored_total");
  const double scored1 = metric(metrics_of(p1.port()), "tinyad_windows_scored_total");
  EXPECT_EQ(scored0 + scored1, kDevices * kEach);
  EXPECT_EQ(scored1, expected_in_p1);
  EXPECT_GT(scored0, 0);
  EXPECT_GT(scored1, 0);
  EXPECT_EQ(metric(metrics_of(p0.port()), "tinyad_mqtt_other_partition_total"), scored1);
  // One device's 5 anomalous windows: all reach the process of its partition,
  // so its 3/5 alarm is raised, once (a shared subscription split them, and
  // neither process saw 3).
  const std::string fan = tag + "-fan";
  for (int i = 0; i < 5; ++i) c.publish("tinyad/" + fan + "/samples", body(window(kFault, i)));
  ASSERT_TRUE(c.wait_for(5 + 1)) << c.count();
  int fan_verdicts = 0, fan_alarms = 0;
  for (const auto& m : ours(c.take())) {
    ASSERT_EQ(device_of(m.topic), fan) << m.topic;
    const bool alarm = m.topic.substr(m.topic.size() - 6) == "/alarm";
    (alarm ? fan_alarms : fan_verdicts) += 1;
    if (alarm) EXPECT_EQ(nlohmann::json::parse(m.payload)["event"], "alarm_raised") << m.payload;
  }
  EXPECT_EQ(fan_verdicts, 5);
  EXPECT_EQ(fan_alarms, 1);
  ServerProcess& owner = mqtt_partition_of(fan, 2) == 0 ? p0 : p1;
  EXPECT_EQ(metric(metrics_of(owner.port()), "tinyad_alarms_raised_total"), 1);

  // 5. SIGTERM right after a burst: p1 answers what it received and leaves
  // its session (with the rest of its devices' windows) to its successor,
  // which answers them: none lost, none twice.
  for (int i = 0; i < kEach; ++i)
    for (int d = 0; d < kDevices; ++d) c.publish("tinyad/" + tag + "-u" + std::to_string(d) + "/samples", normal);
  const std::string out_p1 = p1.stop(SIGTERM);
  ASSERT_TRUE(WIFEXITED(p1.status())) << out_p1;
  EXPECT_EQ(WEXITSTATUS(p1.status()), 0) << out_p1;
  EXPECT_NE(out_p1.find("mqtt: stopped: "), std::string::npos) << out_p1;
  EXPECT_NE(out_p1.find("all acknowledged"), std::string::npos) << out_p1;
  ServerProcess p1b("serve");
  ASSERT_TRUE(start_serve(p1b, port, tag + "-p1", {"--mqtt-partition", "1/2"})) << p1b.output();
  ASSERT_TRUE(c.wait_for(kDevices * kEach)) << c.count() << "\n" << out_p1 << p1b.output();
  per_device.clear();
  for (const auto& m : ours(c.take())) ++per_device[device_of(m.topic)];
  ASSERT_EQ(per_device.size(), size_t(kDevices));
  for (const auto& [device, n] : per_device) EXPECT_EQ(n, kEach) << device;

  // 6. A second process of partition 1/2 (same client id): the broker gives
  // it the session, the older one says why and exits non-zero.
  ServerProcess p1c("serve");
  ASSERT_TRUE(start_serve(p1c, port, tag + "-p1", {"--mqtt-partition", "1/2"})) << p1c.output();
  EXPECT_TRUE(printed(p1b, "took over partition 1/2")) << p1b.output();
  const std::string out_p1b = p1b.wait();
  EXPECT_NE(out_p1b.find("took over partition 1/2"), std::string::npos) << out_p1b;
  ASSERT_TRUE(WIFEXITED(p1b.status())) << out_p1b;
  EXPECT_EQ(WEXITSTATUS(p1b.status()), 1) << out_p1b;
  for (ServerProcess* p : {&p0, &p1c}) {
    const std::string out = p->stop(SIGTERM);
    EXPECT_EQ(WEXITSTATUS(p->status()), 0) << out;
  }
}

TEST_F(Mqtt, SurvivesABrokerRestart) {
  // Starts (and kills) a broker of its own: needs no shared one.
  const int port = test::free_loopback_port();
  const std::string conf = path("mosquitto-restart.conf");
  std::ofstream(conf) << "listener " << port << " 127.0.0.1\nallow_anonymous true\npersistence false\n";
  Broker broker(conf);
  ASSERT_TRUE(broker.start({port}));

  ServerProcess serve("serve");
  ASSERT_TRUE(start_serve(serve, port, "restart-serve")) << serve.output();
  const std::string w = body(window(kNormal, 1));
  {
    Client c;
    ASSERT_TRUE(c.connect(port));
    ASSERT_TRUE(c.subscribe({"tinyad/+/verdict"}));
    c.publish("tinyad/before/samples", w);
    ASSERT_TRUE(c.wait_for(1, 5000ms, 0ms));
    EXPECT_EQ(c.take()[0].topic, "tinyad/before/verdict");
  }
  broker.kill();
  ASSERT_TRUE(printed(serve, "mqtt: connection to 127.0.0.1:" + std::to_string(port) + " lost")) << serve.output();
  ASSERT_TRUE(broker.start({port}));
  // serve reconnects after its back-off (1 s first) and subscribes again.
  ASSERT_TRUE(printed(serve, "mqtt: reconnected to 127.0.0.1:" + std::to_string(port))) << serve.output();
  Client c;
  ASSERT_TRUE(c.connect(port));
  ASSERT_TRUE(c.subscribe({"tinyad/+/verdict"}));
  c.publish("tinyad/after/samples", w);
  ASSERT_TRUE(c.wait_for(1, 5000ms, 0ms)) << serve.output();
  EXPECT_EQ(c.take()[0].topic, "tinyad/after/verdict");
  EXPECT_EQ(metric(metrics_of(serve.port()), "tinyad_mqtt_reconnects_total"), 1);
  serve.stop(SIGTERM);
  EXPECT_EQ(WEXITSTATUS(serve.status()), 0);
}

// A broker as production runs it: a TLS listener that wants a user name and
// password (mosquitto's password_file), beside an anonymous loopback one for
// the test's own client (per_listener_settings), and an ACL limiting tinyad
// to its topics (serve works within it). A wrong password and a broker
// certificate from another CA are refused at start with a reason and a
// non-zero exit (no retry loop), and so is an ACL that denies serve's status
// topic (PUBACK 0x87). mosquitto 2.0.11's acl_file grants a subscription it
// denies (SUBACK 1, then delivers nothing: see RefusedSubscriptionStopsServe
// for a broker that says no), so that mistake cannot be seen at start.
TEST_F(Mqtt, TlsAndPasswordOnASecuredBroker) {
  const std::string dir = path("tls");
  ASSERT_EQ(std::system(("'" + test::source_path("tests/services/make_mqtt_tls.sh") + "' '" + dir + "'").c_str()), 0);
  const int secure = test::free_loopback_port(), open_port = test::free_loopback_port();
  const int no_status = test::free_loopback_port();
  const std::string conf = dir + "/mosquitto.conf";
  std::ofstream(conf) << "per_listener_settings true\npersistence false\n"
                      << "listener " << secure << " 127.0.0.1\nallow_anonymous false\npassword_file " << dir
                      << "/passwd\nacl_file " << dir << "/acl\ncafile " << dir << "/ca.pem\ncertfile " << dir << "/server.pem\nkeyfile " << dir
                      << "/server.key\n"
                      << "listener " << open_port << " 127.0.0.1\nallow_anonymous true\n"
                      << "listener " << no_status << " 127.0.0.1\nallow_anonymous false\npassword_file " << dir
                      << "/passwd\nacl_file " << dir << "/acl-no-status\n";
  Broker broker(conf);
  ASSERT_TRUE(broker.start({secure, open_port, no_status}));

  const std::string url = "mqtts://tinyad@127.0.0.1:" + std::to_string(secure);
  const std::vector<std::string> common = {"--model", path("model.json"), "-p", "0", "--host", "127.0.0.1",
                                           "--mqtt", url, "--mqtt-client-id", "tls-serve"};
  auto argv = [&](std::vector<std::string> extra) {
    std::vector<std::string> a = common;
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  };
  auto args = [&](std::vector<std::string> extra) {  // for the shell: serve, quoted arguments
    std::string line = "serve";
    for (const std::string& a : argv(std::move(extra))) line += " '" + a + "'";
    return line;
  };
  // Wrong password: refused by the broker, serve says so and exits.
  {
    std::ofstream(dir + "/wrong.txt") << "nope\n";
    const test::CliRun r = test::tinyad(args({"--mqtt-password-file", dir + "/wrong.txt", "--mqtt-cafile", dir + "/ca.pem"}));
    EXPECT_NE(r.status, 0);
    EXPECT_NE(r.err.find("refused the connection"), std::string::npos) << r.out << r.err;
  }
  // The broker's certificate does not chain to the CA given: TLS fails.
  {
    const test::CliRun r =
        test::tinyad(args({"--mqtt-password-file", dir + "/password.txt", "--mqtt-cafile", dir + "/other-ca.pem"}));
    EXPECT_NE(r.status, 0);
    EXPECT_NE(r.err.find("certificate verify failed"), std::string::npos) << r.out << r.err;
  }
  // --mqtt-user and a different user in the URL: refused before connecting.
  {
    const test::CliRun r = test::tinyad(args({"--mqtt-user", "someone-else", "--mqtt-password-file",
                                              dir + "/password.txt", "--mqtt-ca", dir + "/ca.pem"}));
    EXPECT_EQ(r.status, 1);
    EXPECT_NE(r.err.find("give one"), std::string::npos) << r.out << r.err;
  }
  // An ACL without serve's status topic: the broker answers the retained
  // "online" with PUBACK 0x87, and serve stops saying which topics it needs.
  {
    std::vector<std::string> a = argv({"--mqtt-password-file", dir + "/password.txt"});
    for (std::string& x : a)
      if (x == url) x = "mqtt://tinyad@127.0.0.1:" + std::to_string(no_status);
    std::string line = "serve";
    for (const std::string& x : a) line += " '" + x + "'";
    const test::CliRun r = test::tinyad(line);
    EXPECT_EQ(r.status, 1) << r.out << r.err;
    EXPECT_NE(r.err.find("refused a message tinyad published (Not authorized): its ACL must let this user write "
                         "tinyad/status"),
              std::string::npos)
        << r.out << r.err;
  }
  // Right password and CA, within the ACL: windows in, verdicts out.
  ServerProcess serve("serve");
  ASSERT_TRUE(serve.start(argv({"--mqtt-password-file", dir + "/password.txt", "--mqtt-cafile", dir + "/ca.pem"})))
      << serve.output();
  ASSERT_TRUE(printed(serve, "mqtt: connected to 127.0.0.1:" + std::to_string(secure))) << serve.output();
  Client c;
  ASSERT_TRUE(c.connect(open_port));
  ASSERT_TRUE(c.subscribe({"tinyad/+/verdict"}));
  c.publish("tinyad/secured/samples", body(window(kNormal, 1)));
  ASSERT_TRUE(c.wait_for(1, 5000ms, 0ms)) << serve.output();
  const auto got = c.take();
  EXPECT_EQ(got[0].topic, "tinyad/secured/verdict");
  EXPECT_TRUE(nlohmann::json::parse(got[0].payload).contains("score")) << got[0].payload;
  const std::string out = serve.stop(SIGTERM);
  EXPECT_EQ(WEXITSTATUS(serve.status()), 0);
  EXPECT_EQ(out.find("refused a message"), std::string::npos) << out;  // the ACL of make_mqtt_tls.sh is complete
}

// A broker that checks subscriptions when they are made: mosquitto's
// dynamic-security plugin, whose default denies every subscription (made to
// allow publishing here), answers SUBACK 0x87 (Not authorized). serve stops at start with that reason and
// exit status 1, instead of running deaf.
TEST_F(Mqtt, RefusedSubscriptionStopsServe) {
  std::string plugin;
  for (const auto& e : fs::directory_iterator("/usr/lib"))
    if (fs::exists(e.path() / "mosquitto_dynamic_security.so")) plugin = (e.path() / "mosquitto_dynamic_security.so").string();
  ASSERT_FALSE(plugin.empty()) << "mosquitto's dynamic-security plugin is part of Debian's mosquitto package";
  const std::string dynsec = path("dynsec.json");
  ASSERT_EQ(std::system(("mosquitto_ctrl dynsec init '" + dynsec + "' admin admin-pw >/dev/null && chmod 0644 '" +
                         dynsec + "'").c_str()),
            0);
  {  // Publishing allowed by default, so what stops serve is the subscription.
    nlohmann::json config = nlohmann::json::parse(std::ifstream(dynsec));
    ASSERT_TRUE(config["defaultACLAccess"].contains("publishClientSend")) << config.dump();
    config["defaultACLAccess"]["publishClientSend"] = true;
    std::ofstream(dynsec) << config.dump(1);
  }
  const int port = test::free_loopback_port();
  const std::string conf = path("mosquitto-dynsec.conf");
  std::ofstream(conf) << "listener " << port << " 127.0.0.1\nallow_anonymous true\npersistence false\nplugin "
                      << plugin << "\nplugin_opt_config_file " << dynsec << "\n";
  Broker broker(conf);
  ASSERT_TRUE(broker.start({port}));
  const test::CliRun r = test::tinyad("serve --model '" + path("model.json") +
                                      "' -p 0 --host 127.0.0.1 --mqtt mqtt://127.0.0.1:" + std::to_string(port));
  EXPECT_EQ(r.status, 1) << r.out << r.err;
  EXPECT_NE(r.err.find("refused the subscription to tinyad/partition/0of1/owner: Not authorized"), std::string::npos)
      << r.out << r.err;
}

// serve --commission K over MQTT (docs/commissioning.md): a device's first K
// windows get the fleet model's verdict marked "commissioning", later ones its
// own baseline's ("own"); shaken windows raise the alarm on
// tinyad/<device>/alarm, and after a restart the device is still
// commissioned (--baselines). A broker of its own: every serve on one broker
// is in the same share group, and the CI broker's other serve processes have
// no --commission.
TEST_F(Mqtt, CommissionsEachDeviceThenItsOwnBaselineAlarms) {
  const int port = test::free_loopback_port();
  const std::string conf = path("mosquitto-commission.conf");
  std::ofstream(conf) << "listener " << port << " 127.0.0.1\nallow_anonymous true\npersistence false\n";
  Broker broker(conf);
  ASSERT_TRUE(broker.start({port}));
  const int k = 5;
  const std::string baselines = path("commission-baselines.json");
  const std::vector<std::string> args = {"--model", path("model.json"), "--commission", std::to_string(k),
                                         "--baselines", baselines, "-p", "0", "--host", "127.0.0.1", "--alarm",
                                         "3/5", "--mqtt", "mqtt://127.0.0.1:" + std::to_string(port),
                                         "--mqtt-client-id", "commission-serve", "--mqtt-workers", "2"};
  const std::string subscribed = "subscribed to tinyad/+/samples";
  Client c;
  ASSERT_TRUE(c.connect(port));
  ASSERT_TRUE(c.subscribe({"tinyad/+/verdict", "tinyad/+/alarm"}));
  auto split = [](const std::vector<Client::Message>& all, std::vector<nlohmann::json>* verdicts,
                  std::vector<nlohmann::json>* alarms) {
    for (const auto& m : all) {
      EXPECT_EQ(device_of(m.topic), "fan-7") << m.topic;
      const bool alarm = m.topic.size() > 6 && m.topic.substr(m.topic.size() - 6) == "/alarm";
      (alarm ? alarms : verdicts)->push_back(nlohmann::json::parse(m.payload));
    }
  };
  {
    ServerProcess serve("serve");
    ASSERT_TRUE(serve.start(args) && printed(serve, subscribed)) << serve.output();
    // K normal windows commission, 5 more are judged by the device's baseline.
    for (int i = 0; i < k + 5; ++i) c.publish("tinyad/fan-7/samples", body(window(kNormal, i)));
    ASSERT_TRUE(c.wait_for(size_t(k + 5))) << c.count() << " messages\n" << serve.output();
    std::vector<nlohmann::json> verdicts, alarms;
    split(c.take(), &verdicts, &alarms);
    ASSERT_EQ(verdicts.size(), size_t(k + 5));
    EXPECT_TRUE(alarms.empty());
    for (int i = 0; i < k; ++i) {  // one device, one worker: in the order published
      const nlohmann::json& v = verdicts[size_t(i)];
      const nlohmann::json ref = reference(window(kNormal, i));  // the fleet model's verdict
      EXPECT_EQ(v["baseline"], "commissioning") << v;
      EXPECT_EQ(v["learned"], i + 1) << v;
      EXPECT_EQ(v["commission"], k) << v;
      EXPECT_DOUBLE_EQ(v["score"].get<double>(), ref["score"].get<double>()) << v;
      EXPECT_EQ(v["threshold"].get<double>(), ref["threshold"].get<double>()) << v;
    }
    const double own_threshold = verdicts[size_t(k)]["threshold"].get<double>();
    EXPECT_NE(own_threshold, reference(window(kNormal, 0))["threshold"].get<double>());
    for (int i = k; i < k + 5; ++i) {
      const nlohmann::json& v = verdicts[size_t(i)];
      EXPECT_EQ(v["baseline"], "own") << v;
      EXPECT_EQ(v["threshold"].get<double>(), own_threshold) << v;
      EXPECT_FALSE(v["anomaly"].get<bool>()) << "normal window " << i << " of the commissioned device: " << v;
    }
    const std::string out = serve.stop(SIGTERM);
    ASSERT_TRUE(WIFEXITED(serve.status())) << out;
    EXPECT_EQ(WEXITSTATUS(serve.status()), 0) << out;
  }
  // Restarted: the device is still commissioned; 5 fault windows are judged
  // by its own baseline and the 3rd raises the alarm.
  ServerProcess serve("serve");
  ASSERT_TRUE(serve.start(args) && printed(serve, subscribed)) << serve.output();
  for (int i = 0; i < 5; ++i) c.publish("tinyad/fan-7/samples", body(window(kFault, i)));
  ASSERT_TRUE(c.wait_for(5 + 1)) << c.count() << " messages\n" << serve.output();
  std::vector<nlohmann::json> verdicts, alarms;
  split(c.take(), &verdicts, &alarms);
  ASSERT_EQ(verdicts.size(), 5u);
  for (const nlohmann::json& v : verdicts) {
    EXPECT_EQ(v["baseline"], "own") << v;
    EXPECT_TRUE(v["anomaly"].get<bool>()) << v;
  }
  ASSERT_EQ(alarms.size(), 1u);
  EXPECT_EQ(alarms[0]["event"], "alarm_raised");
  EXPECT_EQ(alarms[0]["device"], "fan-7");
  EXPECT_EQ(alarms[0]["anomalous"], 3);
  const std::string out = serve.stop(SIGTERM);
  EXPECT_EQ(WEXITSTATUS(serve.status()), 0) << out;
}

// What MQTT and Prometheus tools read: retained status (and the will on a
// crash), retained alarm state, Home Assistant discovery, verdicts with a
// time and (--mqtt-verdict score) no features, /metrics that promtool accepts.
TEST_F(Mqtt, StatusAlarmStateDiscoveryAndMetricsForTheEcosystem) {
  const int port = test::free_loopback_port();
  const std::string conf = path("mosquitto-eco.conf");
  std::ofstream(conf) << "listener " << port << " 127.0.0.1\nallow_anonymous true\npersistence false\n";
  Broker broker(conf);
  ASSERT_TRUE(broker.start({port}));
  ServerProcess serve("serve");
  ASSERT_TRUE(start_serve(serve, port, "eco-serve", {"--ha-discovery", "--mqtt-verdict", "score"})) << serve.output();
  Client c;
  ASSERT_TRUE(c.connect(port));
  ASSERT_TRUE(c.subscribe({"tinyad/status", "tinyad/+/verdict", "tinyad/+/alarm_state", "homeassistant/#"}));
  ASSERT_TRUE(c.wait_for(1, 5000ms, 100ms));
  auto got = c.take();
  EXPECT_EQ(got[0].topic, "tinyad/status");
  EXPECT_EQ(got[0].payload, "online");
  for (int i = 0; i < 5; ++i) c.publish("tinyad/fan-eco/samples", body(window(kFault, i)));
  c.publish("tinyad/fan-eco/samples", "{\"x\":[1,");
  // 6 answers, alarm state OFF then ON, two discovery configs.
  ASSERT_TRUE(c.wait_for(10)) << c.count() << serve.output();
  std::vector<std::string> states;
  int configs = 0, verdicts = 0;
  const double now = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  for (const auto& m : c.take()) {
    if (m.topic == "tinyad/fan-eco/alarm_state") states.push_back(m.payload);
    if (m.topic.rfind("homeassistant/", 0) == 0) {
      ++configs;
      const nlohmann::json j = nlohmann::json::parse(m.payload);
      EXPECT_EQ(j["availability_topic"], "tinyad/status") << m.payload;
      if (m.topic == "homeassistant/binary_sensor/tinyad_fan-eco/alarm/config")
        EXPECT_EQ(j["state_topic"], "tinyad/fan-eco/alarm_state") << m.payload;
    }
    if (m.topic == "tinyad/fan-eco/verdict") {
      const nlohmann::json j = nlohmann::json::parse(m.payload);
      if (j.contains("status")) continue;
      ++verdicts;
      EXPECT_FALSE(j.contains("features")) << m.payload;
      EXPECT_EQ(j["device"], "fan-eco") << m.payload;
      EXPECT_TRUE(j["score"].is_number() && j["threshold"].is_number()) << m.payload;
      EXPECT_NEAR(j["time"].get<double>(), now, 30) << m.payload;
      EXPECT_TRUE(j["anomaly"].get<bool>()) << m.payload;
    }
  }
  EXPECT_EQ(verdicts, 5);
  EXPECT_EQ(configs, 2);
  EXPECT_EQ(states, (std::vector<std::string>{"OFF", "ON"}));
  const std::string metrics = metrics_of(serve.port());
  EXPECT_EQ(metric(metrics, "tinyad_device_windows_total{device=\"fan-eco\"}"), 5);
  EXPECT_EQ(metric(metrics, "tinyad_device_anomalies_total{device=\"fan-eco\"}"), 5);
  EXPECT_EQ(metric(metrics, "tinyad_refusals_total{code=\"400\"}"), 1);
  EXPECT_EQ(metric(metrics, "tinyad_build_info{version=\"" TINYAD_VERSION "\"}"), 1);
  EXPECT_GT(metric(metrics, "process_resident_memory_bytes"), 1e6);
  EXPECT_GT(metric(metrics, "tinyad_threshold"), 0);
  const std::string promtool = "/usr/bin/promtool";
  if (!fs::exists(promtool)) {
    ADD_FAILURE() << promtool << " is missing: scripts/deps.sh test installs prometheus";
  } else {
    const std::string file = path("metrics.txt");
    std::ofstream(file) << metrics;
    EXPECT_EQ(std::system((promtool + " check metrics < '" + file + "'").c_str()), 0) << metrics;
  }
  // A crash: the broker publishes the will, "offline", retained.
  serve.stop(SIGKILL);
  Client later;
  ASSERT_TRUE(later.connect(port));
  ASSERT_TRUE(later.subscribe({"tinyad/status", "tinyad/fan-eco/alarm_state"}));
  ASSERT_TRUE(later.wait_for(2, 5000ms, 100ms));
  std::map<std::string, std::string> retained;
  for (const auto& m : later.take()) retained[m.topic] = m.payload;
  EXPECT_EQ(retained["tinyad/status"], "offline");
  EXPECT_EQ(retained["tinyad/fan-eco/alarm_state"], "ON");
}

TEST_F(Mqtt, RefusesABadUrlAndWaitsForABrokerNotUpYet) {
  test::CliRun r = tinyad("serve --model " + path("model.json") + " -p 0 --mqtt http://127.0.0.1:1883");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("--mqtt http://127.0.0.1:1883: not an mqtt:// or mqtts:// URL"), std::string::npos) << r.err;
  r = tinyad("serve --model " + path("model.json") + " -p 0 --mqtt mqtt://h --mqtt-partition 2/2");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("--mqtt-partition: expected i/N"), std::string::npos) << r.err;
  // Nothing listens on the port yet: serve says so and tries again (1 s,
  // 2 s, ...) until a broker comes up there, then takes windows.
  const int port = test::free_loopback_port();
  const std::string url = "mqtt://127.0.0.1:" + std::to_string(port);
  ServerProcess serve("serve");
  ASSERT_TRUE(serve.start({"--model", path("model.json"), "-p", "0", "--host", "127.0.0.1", "--mqtt", url,
                           "--mqtt-client-id", "late-serve"}));
  ASSERT_TRUE(printed(serve, "mqtt: cannot connect to the MQTT broker 127.0.0.1:" + std::to_string(port) +
                                 ": Connection refused; trying again in 1 s"))
      << serve.output();
  const std::string conf = path("mosquitto-late.conf");
  std::ofstream(conf) << "listener " << port << " 127.0.0.1\nallow_anonymous true\npersistence false\n";
  Broker broker(conf);
  ASSERT_TRUE(broker.start({port}));
  ASSERT_TRUE(printed(serve, "mqtt: connected to 127.0.0.1:" + std::to_string(port))) << serve.output();
  Client c;
  ASSERT_TRUE(c.connect(port));
  ASSERT_TRUE(c.subscribe({"tinyad/+/verdict"}));
  c.publish("tinyad/late/samples", body(window(kNormal, 1)));
  ASSERT_TRUE(c.wait_for(1, 5000ms, 0ms)) << serve.output();
  std::string out = serve.stop(SIGTERM);
  EXPECT_EQ(WEXITSTATUS(serve.status()), 0) << out;
  // SIGTERM while it waits for a broker: a clean exit, at once.
  broker.kill();
  ServerProcess waiting("serve");
  ASSERT_TRUE(waiting.start({"--model", path("model.json"), "-p", "0", "--host", "127.0.0.1", "--mqtt", url}));
  ASSERT_TRUE(printed(waiting, "trying again in 1 s")) << waiting.output();
  out = waiting.stop(SIGTERM);
  ASSERT_TRUE(WIFEXITED(waiting.status())) << out;
  EXPECT_EQ(WEXITSTATUS(waiting.status()), 0) << out;
  EXPECT_NE(out.find("stopped while waiting for the MQTT broker"), std::string::npos) << out;
}

}  // namespace
}  // namespace tinyad
