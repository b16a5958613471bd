// mqtt_bridge.h: `tinyad serve --mqtt`: windows arrive on tinyad/+/samples,
// each is scored by a handler (FleetMonitor::process_window) and answered on
// tinyad/<device>/verdict, QoS 1.
//
// Device affinity (--mqtt-partition i/N): alarms (k of a device's last n
// windows) and --learn baselines are per-device state, so every window of a
// device must reach the same process. Each of N processes subscribes to all
// windows (a plain subscription, not a shared one) and scores only the devices
// with mqtt_partition_of(device, N) == i, dropping the rest. The price is
// that the broker sends every window to every process (N times the inbound
// traffic); the gain is that devices keep their one topic and no process
// needs to know the others. A shared subscription ($share/...) would spread
// one device's windows over the processes: that split alarms (2 and 2 of 4
// anomalous windows on two processes) and learned every baseline twice, half
// each. Two processes of one partition are refused rather than allowed to
// answer every window twice: each claims its partition once with a retained
// message on tinyad/partition/<i>of<N>/owner; a process that sees a newer
// claim than its own stops (taken_over()), the newer one stays.
//
// Sessions: a stable client id, clean start off and a session expiry
// interval (--mqtt-session-expiry), QoS 1 subscription: windows the broker
// accepted while this process was away (restarting, reconnecting, the broker
// itself restarted with persistence) wait in the session and are answered
// when it comes back. libmosquitto sends CONNECT properties only on the first
// connect, so this bridge runs its own network loop and reconnects itself
// with the same properties (session expiry, maximum packet size).
//
// MQTT 5 (not 3.1.1): session expiry, reason codes on SUBACK and DISCONNECT
// (a session taken over is seen), the Maximum Packet Size property (the broker
// drops oversized windows instead of this process buffering them).
//
// Threads: the bridge's network thread (mosquitto_loop) receives and queues;
// a pool of workers scores and publishes (mosquitto_publish is thread safe
// with mosquitto_threaded_set: it queues the packet and wakes the network
// thread). Each worker has its own queue and a device always goes to the same
// one, so a device's windows are answered in the order they arrived (alarm
// debouncing sees them in order too). The queues are bounded: when one is
// full the network thread waits, so reading from the socket stops and TCP
// pushes back to the broker. Memory stays below queue capacity x largest
// packet.
//
// What else goes out: a retained "online"/"offline" on the status topic
// (tinyad/status, or tinyad/status/<i>of<N>; "offline" is also the last
// will, so a crash shows), a retained ON/OFF per device on
// tinyad/<device>/alarm_state, and with ha_discovery_prefix Home Assistant
// discovery configs (retained) for each device this process judges.
//
// Redeliveries: a window the broker sends again with the packet id and bytes
// of one of the last 4096 (after a reconnect; a broker restarted from its
// persistence file that had not saved our acknowledgement) is dropped, so it
// is scored and answered once (tinyad_mqtt_redelivered_total).
//
// Errors: a window that cannot be scored (bad JSON, bad device id, too many
// readings) is answered on the same verdict topic with
// {"device":..,"status":4xx,"error":".."} so a device is never left waiting
// (the status is window_error_status of the monitor's typed error).
// Security: user name and password (MQTT CONNECT), TLS with the broker's
// certificate checked against a CA, and client certificates (MqttSecurity).
#pragma once

#include <mosquitto.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "fleet_event.h"
#include "fleet_monitor.h"

namespace tinyad {

/// Parses mqtt://host[:port] (port 1..65535, default 1883); false with a
/// one-line reason.
bool mqtt_url_parse(const std::string& url, std::string* host, int* port, std::string* err);

/// The partition (0..partitions-1) a device's windows belong to under
/// --mqtt-partition: FNV-1a (32 bit) of the id, modulo `partitions`. Stable
/// across processes, builds and machines (std::hash is not), so devices or
/// dashboards can compute it too.
uint32_t mqtt_partition_of(std::string_view device, uint32_t partitions);

/// Parses "i/N" (0 <= i < N <= 1024); false with a one-line reason.
bool mqtt_partition_parse(const std::string& text, uint32_t* index, uint32_t* count, std::string* err);

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
  std::string client_id;        // "" = tinyad-<partition>of<partitions>: stable, so the session is found again
  uint32_t partition = 0, partitions = 1;  // --mqtt-partition i/N: the devices this process judges
  uint32_t session_expiry = 3600;          // s the broker keeps the session (and queues windows) while away; 0 = clean
  bool verdict_features = true;            // --mqtt-verdict features|score: the 60 features in each verdict or not
  std::string ha_discovery_prefix;         // "" = no Home Assistant discovery; else e.g. "homeassistant"
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

  static constexpr const char* kSubscription = "tinyad/+/samples";
  /// Waits up to `seconds`; false when the wait was cut short (serve got
  /// SIGTERM): start() gives up retrying then.
  using Wait = std::function<bool(double seconds)>;
  static constexpr size_t kMaxDeviceId = 64;

  MqttBridge(MqttOptions options, Handler handler, Log log);
  ~MqttBridge();
  MqttBridge(const MqttBridge&) = delete;
  MqttBridge& operator=(const MqttBridge&) = delete;

  /// Connects, subscribes and waits for the broker's SUBACK (at most
  /// `timeout_s`); logs "mqtt: connected to host:port, subscribed to ...".
  /// A broker that cannot be reached (refused, unreachable, no name yet) is
  /// tried again after 1 s, 2 s, 4 s, ... up to reconnect_max, each wait
  /// through `wait` and logged, until it answers or `wait` returns false
  /// (then false with *err ""). A broker that answers and refuses (password,
  /// TLS certificate, subscription) fails at once: false with a one-line
  /// reason. Later connection losses are retried in the background the same
  /// way, subscribing again each time.
  bool start(std::string* err, double timeout_s = 10, const Wait& wait = nullptr);

  /// True once a newer process claimed this partition (or took over this
  /// client id's session): this one should stop. `on_taken_over` is called once when it
  /// happens (from the network thread).
  bool taken_over() const { return taken_over_.load(); }
  std::function<void()> on_taken_over;

  /// Publishes one alarm event line on tinyad/<device>/alarm, QoS 1. Thread
  /// safe, also before and during start() (dropped before the client exists);
  /// never blocks on the network.
  void publish_alarm(const std::string& device, const std::string& json_line);
  /// For the monitor's FleetEventSink: publishes alarm raise/clear events'
  /// lines with publish_alarm, ignores verdicts.
  void on_service_event(const FleetEvent& event);

  /// Scores and answers every window already received (and those arriving
  /// meanwhile, until none came for a moment), publishes "offline", waits (at
  /// most `drain_s`) for the broker to acknowledge the answers, then
  /// disconnects. The subscription stays in the session: windows published
  /// while this process is away wait for its successor. Idempotent.
  void stop(double drain_s = 10);

  struct Counters {
    uint64_t messages_in = 0, verdicts_out = 0, errors_out = 0, alarms_out = 0, publish_failures = 0,
             reconnects = 0, other_partition = 0, redelivered = 0;
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
  bool connect_once(std::string* err, bool* retryable);  // one CONNECT with our properties
  void network_loop();                                  // the network thread: I/O and reconnects
  void publish_retained(const std::string& topic, const std::string& payload);
  void announce_device(const std::string& device);      // first verdict of a device: state, discovery
  void on_claim(const std::string& payload);            // a claim on the partition: ours, or a newer process's
  static void on_library_log(struct mosquitto*, void* self, int level, const char* text);
  static void on_disconnect(struct mosquitto*, void* self, int rc, const mosquitto_property*);
  static void on_subscribe(struct mosquitto*, void* self, int mid, int count, const int* granted,
                           const mosquitto_property*);
  static void on_unsubscribe(struct mosquitto*, void* self, int mid, const mosquitto_property*);
  static void on_publish(struct mosquitto*, void* self, int mid, int reason, const mosquitto_property*);
  static void on_message(struct mosquitto*, void* self, const struct mosquitto_message* m,
                         const mosquitto_property*);
  void receive(const struct mosquitto_message* m);
  bool seen_before(int mid, const std::string& topic, const void* payload, int payloadlen);
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
  std::thread network_;
  std::atomic<bool> stopping_{false}, taken_over_{false};
  std::atomic<bool> disconnecting_{false};  // stop() sent DISCONNECT: the network thread ends
  std::string status_topic_;
  std::string claim_topic_, nonce_;  // tinyad/partition/<i>of<N>/owner, and this process's claim on it
  std::atomic<bool> claimed_{false}, own_claim_seen_{false};
  std::mutex announced_mutex_;
  std::set<std::string> announced_;  // devices whose state/discovery went out (bounded: the monitor's device table)
  std::atomic<int64_t> last_message_ms_{0};  // steady clock of the latest window, for stop()'s quiet moment
  std::atomic<bool> created_{false};  // mosq_ is set: publish_alarm may run before start() returns

  // Connection state, for start() and stop() to wait on.
  std::mutex state_mutex_;
  std::condition_variable state_cv_;
  bool subscribed_ = false, unsubscribed_ = false, ever_subscribed_ = false;
  int connect_failure_ = 0;  // CONNACK reason of a refused connection
  bool session_present_ = false;  // the latest CONNACK resumed a session
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
      reconnects_{0}, other_partition_{0};
  std::atomic<uint64_t> published_{0}, acknowledged_{0};  // QoS 1 publishes and their PUBACKs
  bool publish_refusal_logged_ = false;  // under state_mutex_: one log line, not one per verdict
  std::atomic<uint64_t> redelivered_{0};
  // The last kRecentWindows windows received (packet id and a hash of topic
  // and bytes) and when, to drop a redelivery (seen_before; network thread only).
  static constexpr size_t kRecentWindows = 4096;
  std::unordered_map<uint64_t, uint64_t> recent_;  // key -> messages_in_ when it came
  std::deque<std::pair<uint64_t, uint64_t>> recent_order_;  // (key, when), oldest first
};

}  // namespace tinyad
