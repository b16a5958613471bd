// mqtt_bridge.h: `tinyad serve --mqtt`: windows arrive on the shared
// subscription $share/tinyad/tinyad/+/samples, each is scored by a handler
// (FleetMonitor::process_window) and answered on tinyad/<device>/verdict,
// QoS 1. Several serve processes on one broker split the load: the broker
// hands each message of the share group to one of them.
//
// MQTT 5 (not 3.1.1): shared subscriptions are part of the MQTT 5 standard
// (in 3.1.1 they are a per-broker extension), SUBACK carries a reason code so
// a refused subscription is seen, and the Maximum Packet Size property lets
// the broker drop oversized windows instead of this process buffering them.
//
// Threads: libmosquitto's network thread (mosquitto_loop_start) receives and
// queues; a pool of workers scores and publishes (mosquitto_publish is thread
// safe with loop_start: it queues the packet and wakes the network thread).
// Each worker has its own queue and a device always goes to the same one, so
// one process answers a device's windows in the order they arrived (alarm
// debouncing sees them in order too). The queues are bounded: when one is
// full the network thread waits, so reading from the socket stops and TCP
// pushes back to the broker. Memory stays below queue capacity x largest
// packet. Across processes sharing the subscription there is no order.
//
// Errors: a window that cannot be scored (bad JSON, bad device id, too many
// readings) is answered on the same verdict topic with
// {"device":..,"status":4xx,"error":".."} so a device is never left waiting
// (the status is window_error_status of the monitor's typed error).
// Security: user name and password (MQTT CONNECT), TLS with the broker's
// certificate checked against a CA, and client certificates (MqttSecurity).
// What it avoids: retained messages, persistent sessions (clean start: messages
// published while no serve process is connected are the broker's to drop).
#pragma once

#include <mosquitto.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "fleet_event.h"
#include "fleet_monitor.h"

namespace tinyad {

/// Parses mqtt://host[:port] (port 1..65535, default 1883); false with a
/// one-line reason.
bool mqtt_url_parse(const std::string& url, std::string* host, int* port, std::string* err);

struct MqttOptions;
/// Parses [mqtt|mqtts]://[user@]host[:port] into out's host, port, TLS flag
/// and user name (mqtts: default port 8883). A password in the URL is
/// refused: it would show in `ps` and shell history.
bool mqtt_url_parse(const std::string& url, MqttOptions* out, std::string* err);

/// How serve proves who it is to the broker and checks the broker: what
/// production brokers ask for (mosquitto 2 refuses remote anonymous clients).
struct MqttSecurity {
  bool tls = false;      // mqtts://: TLS, the broker's certificate checked
  std::string username;  // mqtt://user@host
  std::string password;  // from --mqtt-password-file (never the command line)
  std::string cafile;    // CA certificate(s) to check the broker against; "" = the system's (/etc/ssl/certs)
  std::string certfile, keyfile;  // a client certificate, where the broker asks for one
};

struct MqttOptions {
  std::string host = "127.0.0.1";
  int port = 1883;
  MqttSecurity security;
  std::string client_id;        // "" = tinyad-<hostname>-<pid>
  int workers = 2;              // scoring threads
  size_t queue_capacity = 256;  // windows received, not yet scored
  size_t max_payload = 1 << 20;
  int keepalive = 30;            // s
  unsigned reconnect_max = 30;   // s, the longest wait between reconnect attempts
};

class MqttBridge {
 public:
  /// Scores one window (the verdict's JSON, or a typed refusal); called
  /// from the worker threads at once.
  using Handler =
      std::function<WindowResult(const std::string& device, std::string_view payload, const std::string& topic)>;
  using Log = std::function<void(const std::string& line)>;

  static constexpr const char* kSubscription = "$share/tinyad/tinyad/+/samples";
  static constexpr size_t kMaxDeviceId = 64;

  MqttBridge(MqttOptions options, Handler handler, Log log);
  ~MqttBridge();
  MqttBridge(const MqttBridge&) = delete;
  MqttBridge& operator=(const MqttBridge&) = delete;

  /// Connects, subscribes and waits for the broker's SUBACK (at most
  /// `timeout_s`); logs "mqtt: connected to host:port, subscribed to ...".
  /// False with a one-line reason. Later connection losses are retried in the
  /// background with libmosquitto's doubling delay (1 s, 2 s, 4 s, ... up to
  /// reconnect_max), subscribing again each time.
  bool start(std::string* err, double timeout_s = 10);

  /// Publishes one alarm event line on tinyad/<device>/alarm, QoS 1. Thread
  /// safe, also before and during start() (dropped before the client exists);
  /// never blocks on the network.
  void publish_alarm(const std::string& device, const std::string& json_line);
  /// For the monitor's FleetEventSink: publishes alarm raise/clear events'
  /// lines with publish_alarm, ignores verdicts.
  void on_service_event(const FleetEvent& event);

  /// Stops taking windows (unsubscribes, so the broker sends the share
  /// group's messages to the other processes), scores and answers every
  /// window already received, waits (at most `drain_s`) for the broker to
  /// acknowledge the answers, then disconnects. Idempotent.
  void stop(double drain_s = 10);

  struct Counters {
    uint64_t messages_in = 0, verdicts_out = 0, errors_out = 0, alarms_out = 0, publish_failures = 0,
             reconnects = 0;
    size_t queued = 0;
  };
  Counters counters() const;
  /// Prometheus text exposition of the counters (appended to /metrics).
  std::string metrics_text() const;

 private:
  struct Job {
    std::string device, topic, payload;
  };
  static void on_connect(struct mosquitto*, void* self, int rc, int flags, const mosquitto_property*);
  static void on_library_log(struct mosquitto*, void* self, int level, const char* text);
  static void on_disconnect(struct mosquitto*, void* self, int rc, const mosquitto_property*);
  static void on_subscribe(struct mosquitto*, void* self, int mid, int count, const int* granted,
                           const mosquitto_property*);
  static void on_unsubscribe(struct mosquitto*, void* self, int mid, const mosquitto_property*);
  static void on_publish(struct mosquitto*, void* self, int mid, int reason, const mosquitto_property*);
  static void on_message(struct mosquitto*, void* self, const struct mosquitto_message* m,
                         const mosquitto_property*);
  void receive(const struct mosquitto_message* m);
  void answer(const Job& job);
  void publish(const std::string& topic, const std::string& payload, std::atomic<uint64_t>* counter);
  void worker(size_t shard);
  std::string where() const;
  bool apply_security(std::string* err);  // user name, password, TLS (before connecting)

  MqttOptions options_;
  Handler handler_;
  Log log_;
  struct mosquitto* mosq_ = nullptr;
  bool loop_running_ = false, stopped_ = false;
  std::atomic<bool> created_{false};  // mosq_ is set: publish_alarm may run before start() returns

  // Connection state, for start() and stop() to wait on.
  std::mutex state_mutex_;
  std::condition_variable state_cv_;
  bool subscribed_ = false, unsubscribed_ = false, ever_subscribed_ = false;
  int connect_failure_ = 0;  // CONNACK reason of a refused connection
  std::string subscribe_failure_;

  // The bounded queues between the network thread and the workers, one per
  // worker (a device's windows always go to the same one).
  struct Shard {
    mutable std::mutex mutex;
    std::condition_variable not_empty, not_full;
    std::deque<Job> jobs;
    bool closed = false;
  };
  std::vector<std::unique_ptr<Shard>> shards_;
  size_t shard_capacity_ = 1;
  std::vector<std::thread> workers_;

  std::atomic<uint64_t> messages_in_{0}, verdicts_out_{0}, errors_out_{0}, alarms_out_{0}, publish_failures_{0},
      reconnects_{0};
  std::atomic<uint64_t> published_{0}, acknowledged_{0};  // QoS 1 publishes and their PUBACKs
};

}  // namespace tinyad
