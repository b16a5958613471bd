// mqtt_bridge.cpp: see mqtt_bridge.h.
#include "mqtt_bridge.h"

#include <mqtt_protocol.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <nlohmann/json.hpp>

namespace tinyad {
namespace {

// mosquitto_lib_init is not thread safe: once per process, before any client.
void lib_init_once() {
  static const int rc = mosquitto_lib_init();
  (void)rc;
}

std::string default_client_id() {
  char host[64] = {0};
  if (::gethostname(host, sizeof host - 1) != 0) host[0] = 0;
  return "tinyad-" + std::string(host) + "-" + std::to_string(::getpid());
}

}  // namespace

bool mqtt_url_parse(const std::string& url, MqttOptions* out, std::string* err) {
  auto bad = [&](const std::string& why) {
    *err = "--mqtt " + url + ": " + why + " (expected mqtt://[user@]host[:port] or mqtts://[user@]host[:port])";
    return false;
  };
  bool tls = false;
  std::string rest;
  if (url.rfind("mqtt://", 0) == 0) {
    rest = url.substr(7);
  } else if (url.rfind("mqtts://", 0) == 0) {
    rest = url.substr(8);
    tls = true;
  } else {
    return bad("not an mqtt:// or mqtts:// URL");
  }
  if (!rest.empty() && rest.back() == '/') rest.pop_back();
  std::string user;
  if (const size_t at = rest.rfind('@'); at != std::string::npos) {
    user = rest.substr(0, at);
    rest = rest.substr(at + 1);
    if (user.find(':') != std::string::npos) return bad("no password in the URL: use --mqtt-password-file");
    if (user.empty()) return bad("empty user name before '@'");
  }
  if (rest.find_first_of("/?#@") != std::string::npos) return bad("no path or query is taken");
  std::string h = rest;
  int p = tls ? 8883 : 1883;
  const size_t colon = rest.rfind(':');
  if (colon != std::string::npos && rest.find(':') == colon) {  // one colon: host:port (IPv6 needs brackets)
    h = rest.substr(0, colon);
    const std::string digits = rest.substr(colon + 1);
    if (digits.empty() || digits.size() > 5 || digits.find_first_not_of("0123456789") != std::string::npos)
      return bad("bad port '" + digits + "'");
    p = std::atoi(digits.c_str());
    if (p < 1 || p > 65535) return bad("port " + digits + " out of range 1..65535");
  } else if (rest.size() > 2 && rest.front() == '[') {
    const size_t close = rest.find(']');
    if (close == std::string::npos) return bad("unclosed '['");
    h = rest.substr(1, close - 1);
    const std::string tail = rest.substr(close + 1);
    if (!tail.empty()) {
      if (tail[0] != ':' || tail.size() < 2 || tail.size() > 6 ||
          tail.find_first_not_of("0123456789", 1) != std::string::npos)
        return bad("bad port '" + tail + "'");
      p = std::atoi(tail.c_str() + 1);
      if (p < 1 || p > 65535) return bad("port out of range 1..65535");
    }
  }
  if (h.empty()) return bad("no host");
  out->host = h;
  out->port = p;
  out->security.tls = tls;
  out->security.username = user;
  return true;
}

bool mqtt_url_parse(const std::string& url, std::string* host, int* port, std::string* err) {
  MqttOptions o;
  if (!mqtt_url_parse(url, &o, err)) return false;
  *host = o.host;
  *port = o.port;
  return true;
}

MqttBridge::MqttBridge(MqttOptions options, Handler handler, Log log)
    : options_(std::move(options)), handler_(std::move(handler)), log_(std::move(log)) {
  if (options_.client_id.empty()) options_.client_id = default_client_id();
  if (options_.workers < 1) options_.workers = 1;
  if (options_.queue_capacity < 1) options_.queue_capacity = 1;
  for (int i = 0; i < options_.workers; ++i) shards_.push_back(std::make_unique<Shard>());
  shard_capacity_ = std::max<size_t>(1, options_.queue_capacity / shards_.size());
}

// User name and password, TLS: set before connecting. The broker's
// certificate is always checked (no "insecure" switch): against --mqtt-cafile,
// else the system's CA folder.
bool MqttBridge::apply_security(std::string* err) {
  const MqttSecurity& s = options_.security;
  auto failed = [&](const std::string& what, int rc) {
    *err = what + ": " + (rc == MOSQ_ERR_ERRNO ? std::string(std::strerror(errno)) : mosquitto_strerror(rc));
    return false;
  };
  if (!s.username.empty()) {
    const int rc = mosquitto_username_pw_set(mosq_, s.username.c_str(), s.password.empty() ? nullptr : s.password.c_str());
    if (rc != MOSQ_ERR_SUCCESS) return failed("MQTT user name", rc);
  }
  if (!s.tls) {
    if (!s.cafile.empty() || !s.certfile.empty()) {
      *err = "--mqtt-cafile/--mqtt-cert need TLS: use an mqtts:// URL";
      return false;
    }
    return true;
  }
  if (s.certfile.empty() != s.keyfile.empty()) {
    *err = "--mqtt-cert and --mqtt-key go together";
    return false;
  }
  const char* cafile = s.cafile.empty() ? nullptr : s.cafile.c_str();
  const char* capath = s.cafile.empty() ? "/etc/ssl/certs" : nullptr;
  const int rc = mosquitto_tls_set(mosq_, cafile, capath, s.certfile.empty() ? nullptr : s.certfile.c_str(),
                                   s.keyfile.empty() ? nullptr : s.keyfile.c_str(), nullptr);
  if (rc != MOSQ_ERR_SUCCESS) return failed("MQTT TLS settings (CA " + (cafile ? s.cafile : std::string(capath)) + ")", rc);
  return true;
}

MqttBridge::~MqttBridge() {
  stop(0);
  if (mosq_) mosquitto_destroy(mosq_);
}

std::string MqttBridge::where() const { return options_.host + ":" + std::to_string(options_.port); }

bool MqttBridge::start(std::string* err, double timeout_s) {
  lib_init_once();
  // Clean start: a new process has no session to resume.
  mosq_ = mosquitto_new(options_.client_id.c_str(), true, this);
  if (!mosq_) {
    *err = "cannot create the MQTT client";
    return false;
  }
  created_ = true;
  mosquitto_int_option(mosq_, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V5);
  // How many unacknowledged QoS 1 windows the broker may send at once (we
  // acknowledge on receipt, so this only sets the pipelining). The send
  // maximum stays at libmosquitto's 20: with larger values bench/mqtt's load
  // client saw duplicated QoS 1 messages from libmosquitto 2.0.11 under load.
  mosquitto_int_option(mosq_, MOSQ_OPT_RECEIVE_MAXIMUM, int(std::min<size_t>(options_.queue_capacity, 65535)));
  mosquitto_int_option(mosq_, MOSQ_OPT_TCP_NODELAY, 1);  // verdicts are small and latency-bound
  mosquitto_reconnect_delay_set(mosq_, 1, options_.reconnect_max, true);
  mosquitto_connect_v5_callback_set(mosq_, &MqttBridge::on_connect);
  mosquitto_disconnect_v5_callback_set(mosq_, &MqttBridge::on_disconnect);
  mosquitto_subscribe_v5_callback_set(mosq_, &MqttBridge::on_subscribe);
  mosquitto_unsubscribe_v5_callback_set(mosq_, &MqttBridge::on_unsubscribe);
  mosquitto_publish_v5_callback_set(mosq_, &MqttBridge::on_publish);
  mosquitto_message_v5_callback_set(mosq_, &MqttBridge::on_message);
  mosquitto_log_callback_set(mosq_, &MqttBridge::on_library_log);
  if (!apply_security(err)) return false;

  // The broker drops windows larger than this rather than sending them (the
  // topic and header take a few hundred bytes on top of the payload).
  mosquitto_property* props = nullptr;
  mosquitto_property_add_int32(&props, MQTT_PROP_MAXIMUM_PACKET_SIZE,
                               uint32_t(std::min<size_t>(options_.max_payload + 1024, 268435455)));
  const int rc = mosquitto_connect_bind_v5(mosq_, options_.host.c_str(), options_.port, options_.keepalive, nullptr,
                                           props);
  mosquitto_property_free_all(&props);
  if (rc != MOSQ_ERR_SUCCESS) {
    std::lock_guard<std::mutex> lock(state_mutex_);
    // A TLS failure's details came through the library's log (on_library_log).
    *err = !subscribe_failure_.empty()
               ? subscribe_failure_
               : "cannot connect to the MQTT broker " + where() + ": " +
                     (rc == MOSQ_ERR_ERRNO ? std::string(std::strerror(errno)) : std::string(mosquitto_strerror(rc)));
    return false;
  }
  for (size_t i = 0; i < shards_.size(); ++i) workers_.emplace_back([this, i] { worker(i); });
  if (mosquitto_loop_start(mosq_) != MOSQ_ERR_SUCCESS) {
    *err = "cannot start the MQTT network thread";
    stop(0);
    return false;
  }
  loop_running_ = true;

  std::unique_lock<std::mutex> lock(state_mutex_);
  const bool answered = state_cv_.wait_for(lock, std::chrono::duration<double>(timeout_s), [this] {
    return subscribed_ || connect_failure_ != 0 || !subscribe_failure_.empty();
  });
  std::string failure;
  if (connect_failure_ != 0) {
    failure = "the MQTT broker " + where() + " refused the connection: " + mosquitto_reason_string(connect_failure_);
  } else if (!subscribe_failure_.empty()) {
    failure = subscribe_failure_;
  } else if (!answered) {
    failure = "no answer from the MQTT broker " + where() + " within " + std::to_string(int(timeout_s)) + " s";
  }
  lock.unlock();
  if (!failure.empty()) {
    *err = failure;
    stop(0);
    return false;
  }
  if (log_) log_("mqtt: connected to " + where() + ", subscribed to " + kSubscription + " as " + options_.client_id);
  return true;
}

void MqttBridge::on_connect(struct mosquitto* mosq, void* self_, int rc, int, const mosquitto_property*) {
  auto* self = static_cast<MqttBridge*>(self_);
  if (rc != 0) {
    std::lock_guard<std::mutex> lock(self->state_mutex_);
    self->connect_failure_ = rc;
    self->state_cv_.notify_all();
    if (self->ever_subscribed_ && self->log_) {
      self->log_(std::string("mqtt: reconnect refused: ") + mosquitto_reason_string(rc));
    }
    return;
  }
  {
    std::lock_guard<std::mutex> lock(self->state_mutex_);
    self->connect_failure_ = 0;
  }
  // Every (re)connection starts a clean session: subscribe again. QoS 1.
  const int s = mosquitto_subscribe_v5(mosq, nullptr, kSubscription, 1, 0, nullptr);
  if (s != MOSQ_ERR_SUCCESS && self->log_) self->log_(std::string("mqtt: cannot subscribe: ") + mosquitto_strerror(s));
}

// libmosquitto reports a failed TLS handshake (a broker certificate that
// does not chain to the CA) only in its log, then retries: before the first
// connection that error is why start() is waiting, so it ends the wait.
void MqttBridge::on_library_log(struct mosquitto*, void* self_, int level, const char* text) {
  auto* self = static_cast<MqttBridge*>(self_);
  if (level != MOSQ_LOG_ERR || !text) return;
  std::lock_guard<std::mutex> lock(self->state_mutex_);
  if (self->ever_subscribed_ || self->connect_failure_ != 0 || !self->subscribe_failure_.empty()) return;
  self->subscribe_failure_ = "cannot connect to the MQTT broker " + self->where() + ": " + text +
                             (self->options_.security.tls ? " (does its certificate chain to --mqtt-cafile?)" : "");
  self->state_cv_.notify_all();
}

void MqttBridge::on_disconnect(struct mosquitto*, void* self_, int rc, const mosquitto_property*) {
  auto* self = static_cast<MqttBridge*>(self_);
  bool was_subscribed;
  {
    std::lock_guard<std::mutex> lock(self->state_mutex_);
    was_subscribed = self->subscribed_;
    self->subscribed_ = false;
  }
  // Closed before the broker ever accepted us: start() is waiting; say why
  // now rather than after its timeout (a TLS certificate that does not
  // check out, or a TLS/plain mismatch, ends here with no CONNACK).
  if (rc != 0 && !self->ever_subscribed_) {
    std::lock_guard<std::mutex> lock(self->state_mutex_);
    if (self->connect_failure_ == 0 && self->subscribe_failure_.empty()) {
      self->subscribe_failure_ = "the connection to the MQTT broker " + self->where() +
                                 " closed before it was accepted (" + mosquitto_strerror(rc) + ")" +
                                 (self->options_.security.tls
                                      ? ": does its certificate chain to --mqtt-cafile, and is the port a TLS listener?"
                                      : ": is the port a TLS listener (use mqtts://)?");
      self->state_cv_.notify_all();
    }
  }
  // rc 0: our own disconnect (stop()); anything else: the loop reconnects.
  if (rc != 0 && was_subscribed && self->log_) {
    self->log_("mqtt: connection to " + self->where() + " lost (" + mosquitto_strerror(rc) + "), reconnecting");
  }
}

void MqttBridge::on_subscribe(struct mosquitto*, void* self_, int, int count, const int* granted,
                              const mosquitto_property*) {
  auto* self = static_cast<MqttBridge*>(self_);
  std::lock_guard<std::mutex> lock(self->state_mutex_);
  // MQTT 5 SUBACK: 0..2 is the granted QoS, 0x80 and up a refusal.
  if (count < 1 || granted[0] >= 0x80) {
    self->subscribe_failure_ = "the MQTT broker " + self->where() + " refused the subscription to " + kSubscription +
                               (count >= 1 ? std::string(": ") + mosquitto_reason_string(granted[0]) : "");
    if (self->log_) self->log_("mqtt: " + self->subscribe_failure_);
  } else {
    if (self->ever_subscribed_) {
      self->reconnects_.fetch_add(1, std::memory_order_relaxed);
      if (self->log_) self->log_("mqtt: reconnected to " + self->where() + ", subscribed to " + kSubscription);
    }
    self->subscribed_ = self->ever_subscribed_ = true;
  }
  self->state_cv_.notify_all();
}

void MqttBridge::on_unsubscribe(struct mosquitto*, void* self_, int, const mosquitto_property*) {
  auto* self = static_cast<MqttBridge*>(self_);
  std::lock_guard<std::mutex> lock(self->state_mutex_);
  self->unsubscribed_ = true;
  self->state_cv_.notify_all();
}

void MqttBridge::on_publish(struct mosquitto*, void* self_, int, int, const mosquitto_property*) {
  static_cast<MqttBridge*>(self_)->acknowledged_.fetch_add(1, std::memory_order_relaxed);
}

void MqttBridge::on_message(struct mosquitto*, void* self_, const struct mosquitto_message* m,
                            const mosquitto_property*) {
  static_cast<MqttBridge*>(self_)->receive(m);
}

// Network thread: validate the topic, queue the window (waiting while the
// queue is full: that is the backpressure).
void MqttBridge::receive(const struct mosquitto_message* m) {
  messages_in_.fetch_add(1, std::memory_order_relaxed);
  Job job;
  job.topic = m->topic ? m->topic : "";
  // tinyad/<device>/samples: the subscription's + matches exactly one level.
  const size_t a = job.topic.find('/'), b = job.topic.rfind('/');
  if (a == std::string::npos || b <= a) return;  // not ours (cannot happen with our one subscription)
  job.device = job.topic.substr(a + 1, b - a - 1);
  if (m->payload && m->payloadlen > 0) job.payload.assign(static_cast<const char*>(m->payload), size_t(m->payloadlen));
  Shard& q = *shards_[std::hash<std::string>{}(job.device) % shards_.size()];
  std::unique_lock<std::mutex> lock(q.mutex);
  q.not_full.wait(lock, [&] { return q.jobs.size() < shard_capacity_ || q.closed; });
  if (q.closed) {
    // After stop() closed the queues (only windows the broker had sent
    // before our UNSUBACK): answer here rather than drop.
    lock.unlock();
    answer(job);
    return;
  }
  q.jobs.push_back(std::move(job));
  q.not_empty.notify_one();
}

void MqttBridge::worker(size_t shard) {
  Shard& q = *shards_[shard];
  for (;;) {
    Job job;
    {
      std::unique_lock<std::mutex> lock(q.mutex);
      q.not_empty.wait(lock, [&] { return !q.jobs.empty() || q.closed; });
      if (q.jobs.empty()) return;  // closed and drained
      job = std::move(q.jobs.front());
      q.jobs.pop_front();
    }
    q.not_full.notify_one();
    answer(job);
  }
}

void MqttBridge::answer(const Job& job) {
  WindowResult o;
  if (job.device.empty() || job.device.size() > kMaxDeviceId) {
    o.error = WindowError::kBadBody;
    o.message = "the device id (the topic level after tinyad/) must be 1 to " + std::to_string(kMaxDeviceId) +
                " characters, got " + std::to_string(job.device.size());
  } else if (job.payload.size() > options_.max_payload) {
    o.error = WindowError::kTooLarge;
    o.message = "window of " + std::to_string(job.payload.size()) + " bytes, the limit is " +
                std::to_string(options_.max_payload);
  } else {
    o = handler_(job.device, job.payload, job.topic);
  }
  const std::string topic = "tinyad/" + job.device + "/verdict";
  if (o.ok()) {
    publish(topic, o.json, &verdicts_out_);
    return;
  }
  nlohmann::ordered_json e = {
      {"device", job.device}, {"status", window_error_status(o.error)}, {"error", o.message}};
  publish(topic, e.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace), &errors_out_);
}

void MqttBridge::publish_alarm(const std::string& device, const std::string& json_line) {
  if (!created_) return;
  publish("tinyad/" + device + "/alarm", json_line, &alarms_out_);
}

void MqttBridge::on_service_event(const FleetEvent& event) {
  if (event.kind == FleetEventKind::kVerdict) return;
  // The device of an MQTT window is a topic level already; one from HTTP may
  // not fit in a topic: no alarm topic for it.
  const std::string& device = event.device;
  if (device.empty() || device.size() > kMaxDeviceId || device.find_first_of("/+#") != std::string::npos) return;
  publish_alarm(device, event.json);
}

void MqttBridge::publish(const std::string& topic, const std::string& payload, std::atomic<uint64_t>* counter) {
  // QoS 1. While the connection is down libmosquitto keeps QoS 1 messages
  // and sends them after it reconnects (MOSQ_ERR_NO_CONN says so).
  const int rc = mosquitto_publish_v5(mosq_, nullptr, topic.c_str(), int(payload.size()), payload.data(), 1, false,
                                      nullptr);
  if (rc == MOSQ_ERR_SUCCESS || rc == MOSQ_ERR_NO_CONN) {
    published_.fetch_add(1, std::memory_order_relaxed);
    counter->fetch_add(1, std::memory_order_relaxed);
  } else {
    publish_failures_.fetch_add(1, std::memory_order_relaxed);
    if (log_) log_("mqtt: cannot publish on " + topic + ": " + mosquitto_strerror(rc));
  }
}

void MqttBridge::stop(double drain_s) {
  if (stopped_) return;
  stopped_ = true;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(drain_s);
  // 1. No new windows: unsubscribe and wait for UNSUBACK. Windows the broker
  // sent before it are still queued here (already acknowledged to the broker,
  // so only we can answer them).
  bool connected = false;
  {
    std::lock_guard<std::mutex> lock(state_mutex_);
    connected = subscribed_;
  }
  if (loop_running_ && connected &&
      mosquitto_unsubscribe_v5(mosq_, nullptr, kSubscription, nullptr) == MOSQ_ERR_SUCCESS) {
    std::unique_lock<std::mutex> lock(state_mutex_);
    state_cv_.wait_until(lock, deadline, [this] { return unsubscribed_; });
  }
  // 2. Score and answer everything queued.
  for (auto& q : shards_) {
    {
      std::lock_guard<std::mutex> lock(q->mutex);
      q->closed = true;
    }
    q->not_empty.notify_all();
    q->not_full.notify_all();
  }
  for (auto& t : workers_) t.join();
  workers_.clear();
  // 3. Wait for the broker's PUBACKs of our answers, then leave.
  while (loop_running_ && acknowledged_.load() < published_.load() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  const uint64_t unacknowledged = published_.load() - std::min(published_.load(), acknowledged_.load());
  if (mosq_) mosquitto_disconnect_v5(mosq_, MQTT_RC_NORMAL_DISCONNECTION, nullptr);
  if (loop_running_) {
    mosquitto_loop_stop(mosq_, false);
    if (log_) {
      const Counters c = counters();
      log_("mqtt: stopped: " + std::to_string(c.messages_in) + " windows received, " +
           std::to_string(c.verdicts_out) + " verdicts and " + std::to_string(c.errors_out) + " errors published, " +
           (unacknowledged == 0 ? std::string("all acknowledged")
                                : std::to_string(unacknowledged) + " not acknowledged by the broker"));
    }
  }
  loop_running_ = false;
}

MqttBridge::Counters MqttBridge::counters() const {
  Counters c;
  c.messages_in = messages_in_.load();
  c.verdicts_out = verdicts_out_.load();
  c.errors_out = errors_out_.load();
  c.alarms_out = alarms_out_.load();
  c.publish_failures = publish_failures_.load();
  c.reconnects = reconnects_.load();
  for (const auto& q : shards_) {
    std::lock_guard<std::mutex> lock(q->mutex);
    c.queued += q->jobs.size();
  }
  return c;
}

std::string MqttBridge::metrics_text() const {
  const Counters c = counters();
  std::string s;
  auto sample = [&s](const char* name, const char* type, const char* help, uint64_t v) {
    s += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n" + name + " " +
         std::to_string(v) + "\n";
  };
  sample("tinyad_mqtt_messages_received_total", "counter", "Windows received over MQTT.", c.messages_in);
  sample("tinyad_mqtt_verdicts_published_total", "counter", "Verdicts published on tinyad/<device>/verdict.",
         c.verdicts_out);
  sample("tinyad_mqtt_errors_published_total", "counter", "Error answers published on tinyad/<device>/verdict.",
         c.errors_out);
  sample("tinyad_mqtt_alarms_published_total", "counter", "Alarm events published on tinyad/<device>/alarm.",
         c.alarms_out);
  sample("tinyad_mqtt_publish_failures_total", "counter", "Publishes libmosquitto refused.", c.publish_failures);
  sample("tinyad_mqtt_reconnects_total", "counter", "Reconnections to the broker after a lost connection.",
         c.reconnects);
  sample("tinyad_mqtt_queue_depth", "gauge", "Windows received and waiting for a worker.", c.queued);
  return s;
}

}  // namespace tinyad
