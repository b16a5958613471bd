// mqtt_load.cpp: the load client of bench/mqtt/run.sh. D emulated devices
// each publish a window (QoS 1) and wait for its answer before sending the
// next, as the boards do, until N windows are sent. Every device has at most
// one window outstanding, so each answer is attributed exactly: an answer
// for a device with nothing outstanding is a duplicate; a window with no
// answer within --timeout is lost (and the device moves on).
//   echo   publishes on bench/<dev>/samples and counts the same messages
//          coming back on a plain subscription: the broker's own ceiling.
//   serve  publishes on tinyad/<dev>/samples and counts the verdicts on
//          tinyad/<dev>/verdict from `tinyad serve --mqtt` processes.
// Publisher and subscriber are separate connections. Prints one line:
//   mode=serve sent=N answered=N lost=0 duplicated=0 errors=0 seconds=S rate=R
// MQTT_LOAD_SENDMAX / MQTT_LOAD_RECVMAX (environment) set the connections'
// send and receive maximum (libmosquitto's default: 20), to reproduce the
// duplicates bench/RESULTS.md reports with a larger send maximum.
// What it avoids: measuring latency per message (throughput only).
#include <mosquitto.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

struct Device {
  bool outstanding = false;
  size_t published = 0;  // its windows so far: which payload goes next
  Clock::time_point sent_at;
};

struct Load {
  std::string mode, prefix, tag, payload;
  std::vector<std::string> more;  // MQTT_LOAD_MORE_PAYLOADS: each device sends payload, more[0], ... in turn
  long total = 0;
  double timeout_s = 10;
  mosquitto* pub = nullptr;
  std::mutex mutex;
  std::vector<Device> devices;
  long sent = 0, answered = 0, lost = 0, duplicated = 0, errors = 0;
  Clock::time_point first, last;
  std::atomic<bool> subscribed{false};

  std::string topic(size_t d) const { return prefix + "/" + tag + std::to_string(d) + "/samples"; }
  // Under the mutex: marks device d outstanding if windows are left; says whether to publish.
  bool claim(size_t d) {
    if (sent >= total) return false;
    ++sent;
    devices[d].outstanding = true;
    devices[d].sent_at = Clock::now();
    return true;
  }
  void publish(size_t d) {
    const std::string t = topic(d);
    // One window outstanding per device: only this call touches devices[d].published now.
    const size_t k = devices[d].published++ % (more.size() + 1);
    const std::string& body = k == 0 ? payload : more[k - 1];
    const int rc = mosquitto_publish(pub, nullptr, t.c_str(), int(body.size()), body.data(), 1, false);
    if (rc != MOSQ_ERR_SUCCESS) std::fprintf(stderr, "mqtt_load: publish: %s\n", mosquitto_strerror(rc));
  }
};

void on_message(mosquitto*, void* self, const mosquitto_message* m) {
  auto* l = static_cast<Load*>(self);
  // <prefix>/<tag><index>/<kind>
  const char* dev = std::strchr(m->topic, '/');
  if (!dev || std::strncmp(dev + 1, l->tag.c_str(), l->tag.size()) != 0) return;  // another run's
  const size_t d = std::strtoul(dev + 1 + l->tag.size(), nullptr, 10);
  if (d >= l->devices.size()) return;
  const bool error = l->mode == "serve" && m->payloadlen > 0 &&
                     std::string_view(static_cast<const char*>(m->payload), size_t(m->payloadlen)).find("\"error\"") !=
                         std::string_view::npos;
  bool next = false;
  {
    std::lock_guard<std::mutex> lock(l->mutex);
    if (!l->devices[d].outstanding) {
      ++l->duplicated;
      return;
    }
    l->devices[d].outstanding = false;
    ++l->answered;
    l->errors += error;
    l->last = Clock::now();
    next = l->claim(d);
  }
  if (next) l->publish(d);
}

mosquitto* client(const char* host, int port, Load* l, bool subscriber) {
  mosquitto* m = mosquitto_new(nullptr, true, l);
  // MQTT_LOAD_PROTOCOL=311: MQTT 3.1.1, for brokers without MQTT 5 (nats-server; bench/nats/run.sh).
  const char* protocol = std::getenv("MQTT_LOAD_PROTOCOL");
  mosquitto_int_option(m, MOSQ_OPT_PROTOCOL_VERSION,
                       protocol && std::string(protocol) == "311" ? MQTT_PROTOCOL_V311 : MQTT_PROTOCOL_V5);
  mosquitto_int_option(m, MOSQ_OPT_TCP_NODELAY, 1);
  if (const char* e = std::getenv("MQTT_LOAD_SENDMAX")) mosquitto_int_option(m, MOSQ_OPT_SEND_MAXIMUM, std::atoi(e));
  if (const char* e = std::getenv("MQTT_LOAD_RECVMAX")) mosquitto_int_option(m, MOSQ_OPT_RECEIVE_MAXIMUM, std::atoi(e));
  if (subscriber) mosquitto_message_callback_set(m, on_message);
  if (mosquitto_connect(m, host, port, 60) != MOSQ_ERR_SUCCESS || mosquitto_loop_start(m) != MOSQ_ERR_SUCCESS) {
    std::fprintf(stderr, "mqtt_load: cannot connect to %s:%d\n", host, port);
    std::exit(1);
  }
  return m;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 8) {
    std::fprintf(stderr, "usage: mqtt_load echo|serve HOST PORT DEVICES WINDOWS PAYLOAD_FILE TIMEOUT_S\n");
    return 2;
  }
  Load l;
  l.mode = argv[1];
  const char* host = argv[2];
  const int port = std::atoi(argv[3]);
  l.devices.resize(size_t(std::atol(argv[4])));
  l.total = std::atol(argv[5]);
  std::ifstream in(argv[6], std::ios::binary);
  l.payload.assign(std::istreambuf_iterator<char>(in), {});
  l.timeout_s = std::atof(argv[7]);
  // MQTT_LOAD_MORE_PAYLOADS=FILE:FILE...: distinct windows (per-device
  // baselines learn nothing from one window repeated; bench/nats/run.sh BODIES).
  if (const char* e = std::getenv("MQTT_LOAD_MORE_PAYLOADS")) {
    for (std::string rest = e; !rest.empty();) {
      const size_t colon = rest.find(':');
      std::ifstream f(rest.substr(0, colon), std::ios::binary);
      l.more.emplace_back(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
      if (l.more.back().empty()) {
        std::fprintf(stderr, "mqtt_load: MQTT_LOAD_MORE_PAYLOADS: %s is empty or missing\n", rest.substr(0, colon).c_str());
        return 2;
      }
      rest = colon == std::string::npos ? "" : rest.substr(colon + 1);
    }
  }
  if ((l.mode != "echo" && l.mode != "serve") || l.devices.empty() || l.total < 1 || l.payload.empty()) {
    std::fprintf(stderr, "mqtt_load: bad arguments (or empty payload file)\n");
    return 2;
  }
  l.prefix = l.mode == "echo" ? "bench" : "tinyad";
  l.tag = "L" + std::to_string(::getpid()) + "d";
  mosquitto_lib_init();
  mosquitto* sub = client(host, port, &l, true);
  const std::string filter = l.prefix + (l.mode == "echo" ? "/+/samples" : "/+/verdict");
  mosquitto_subscribe_callback_set(sub, [](mosquitto*, void* self, int, int, const int*) {
    static_cast<Load*>(self)->subscribed = true;
  });
  if (mosquitto_subscribe(sub, nullptr, filter.c_str(), 1) != MOSQ_ERR_SUCCESS) return 1;
  for (int i = 0; i < 500 && !l.subscribed; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  if (!l.subscribed) {
    std::fprintf(stderr, "mqtt_load: no SUBACK\n");
    return 1;
  }
  l.pub = client(host, port, &l, false);

  std::vector<size_t> start;
  {
    std::lock_guard<std::mutex> lock(l.mutex);
    l.first = l.last = Clock::now();
    for (size_t d = 0; d < l.devices.size(); ++d)
      if (l.claim(d)) start.push_back(d);
  }
  for (size_t d : start) l.publish(d);

  // Windows unanswered past the timeout are lost; their devices go on.
  for (;;) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    std::vector<size_t> again;
    bool done;
    {
      std::lock_guard<std::mutex> lock(l.mutex);
      const auto now = Clock::now();
      for (size_t d = 0; d < l.devices.size(); ++d) {
        Device& dev = l.devices[d];
        if (dev.outstanding && std::chrono::duration<double>(now - dev.sent_at).count() > l.timeout_s) {
          dev.outstanding = false;
          ++l.lost;
          if (l.claim(d)) again.push_back(d);
        }
      }
      done = l.answered + l.lost >= l.total;
    }
    for (size_t d : again) l.publish(d);
    if (done) break;
  }
  std::this_thread::sleep_for(std::chrono::seconds(1));  // late duplicates
  std::lock_guard<std::mutex> lock(l.mutex);
  const double secs = std::chrono::duration<double>(l.last - l.first).count();
  std::printf("mode=%s devices=%zu sent=%ld answered=%ld lost=%ld duplicated=%ld errors=%ld seconds=%.3f rate=%.0f\n",
              l.mode.c_str(), l.devices.size(), l.sent, l.answered, l.lost, l.duplicated, l.errors, secs,
              secs > 0 ? double(l.answered) / secs : 0.0);
  std::fflush(stdout);
  std::_Exit(0);  // the network threads are not worth a clean shutdown here
}
