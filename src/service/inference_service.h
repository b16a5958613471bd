// inference_service.h: what `tinyad serve` answers over HTTP: the device
// protocol on / (GET: ready flag, POST: a window scored into a JSON verdict),
// GET /healthz and GET /metrics (Prometheus text), plus per-device alarm
// debouncing and the verdict/alarm event stream. Pure logic over parsed
// requests: no sockets, no files, so tests drive it directly. With --learn it
// also consults per-device baselines (device_baselines.h, which owns their
// file) and lists them on GET /devices. What it avoids: MQTT and the dashboard.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core_model.h"
#include "device_baselines.h"
#include "http_request.h"
#include "http_server.h"
#include "model.h"
#include "sample_json.h"

namespace tinyad {

/// `--alarm k/n`: an alarm is raised when k of a device's last n windows are
/// anomalous and cleared the same way, when k of its last n windows are
/// normal. The symmetric rule gives hysteresis: one normal window inside a
/// burst of anomalies does not clear the alarm.
struct AlarmRule {
  int k = 3;
  int n = 5;
};

/// Parses "k/n" (1 <= k <= n <= 64); false with a one-line reason.
bool alarm_rule_parse(const std::string& text, AlarmRule* rule, std::string* err);

/// One device's alarm state over its last n verdicts.
class AlarmDebouncer {
 public:
  enum class Change { kNone, kRaised, kCleared };
  explicit AlarmDebouncer(AlarmRule rule = {}) : rule_(rule) {}
  /// Adds one verdict; says whether the alarm state changed.
  Change push(bool anomalous);
  bool active() const { return active_; }
  /// Anomalous verdicts among the last min(n, seen) windows.
  int anomalous() const;
  int seen() const { return seen_ < rule_.n ? seen_ : rule_.n; }

 private:
  AlarmRule rule_;
  uint64_t history_ = 0;  // bit i: the window i verdicts ago was anomalous
  int seen_ = 0;
  bool active_ = false;
};

struct Verdict {
  std::string device;
  double score = 0;
  double threshold = 0;
  bool anomaly = false;
  std::vector<double> features;
  // --learn: which baseline judged the window: "fleet" (the model, while the
  // device's own is not ready), "learning", "calibrating" (no model: never
  // anomalous) or "own"; "" without --learn (the fields are left out).
  // score/threshold are written as null when has_score/has_threshold is false.
  std::string baseline;
  bool has_score = true, has_threshold = true;
  uint32_t learned = 0, calibrated = 0;
};

/// The verdict as the service contract's JSON object (one line, no newline).
std::string verdict_json(const Verdict& v);

struct InferenceOptions {
  AlarmRule alarm;
  SampleLimits limits;
  // Devices tracked (alarm state, last score): the ids come from clients, so
  // the table is bounded; windows from new devices past it get 429 (checked
  // before scoring, so concurrent first posts may overshoot by a thread or two).
  size_t max_devices = 100000;
  // --learn: per-device baselines (null: off). fleet_model false means the
  // Model carries only the feature recipe (serve --learn without --model).
  std::shared_ptr<DeviceBaselines> baselines = nullptr;
  bool fleet_model = true;
  // Paths answered in front of the service (the dashboard's), named in the
  // 404 reason so it lists everything the process serves.
  std::vector<std::string> other_paths;
};

class InferenceService {
 public:
  /// Gets one JSON line (no newline) per verdict and per alarm raise/clear,
  /// in the order they happened for each device. Called with an internal
  /// lock held: it must not call back into the service.
  using EventSink = std::function<void(const std::string& line)>;
  /// Gets one line per refused request (no newline).
  using Log = std::function<void(const std::string& line)>;

  InferenceService(Model model, InferenceOptions options, EventSink events = nullptr, Log log = nullptr);

  /// Features, score and verdict of one window of readings ((n, 3) row-major,
  /// g). False with a one-line reason for windows the recipe cannot score.
  bool score(const std::vector<double>& rows, Verdict* out, std::string* err) const;

  /// Everything served. Thread-safe.
  HttpResponse handle(const HttpRequest& req, const HttpPeer& peer);

  /// What became of one window, whatever carried it (HTTP POST, MQTT): 200
  /// with the verdict JSON as body, or a 4xx/5xx with a one-line reason.
  struct WindowOutcome {
    int status = 200;
    std::string body;
  };
  /// Parses, scores and records one window body. `device` is the id the
  /// transport names (header, topic), or "" to take the body's "device"
  /// field, else `fallback_device`; `source` (peer address, topic) goes into
  /// the log line of a refusal. Thread-safe.
  WindowOutcome process_window(std::string device, std::string_view body, const std::string& fallback_device,
                               const std::string& source);
  /// For requests the HTTP server refused itself (bad framing, timeouts).
  void on_rejected(const HttpPeer& peer, int status, const std::string& reason);

  /// The ready flag (GET / answers 1, /healthz 200) once set.
  void set_ready(bool on) { ready_ = on; }
  bool ready() const { return ready_; }

  /// GET /devices: a JSON array, one object per device seen or baselined.
  std::string devices_json() const;

  /// Prometheus text exposition of the counters below.
  std::string metrics_text() const;

  uint64_t windows() const { return windows_.load(); }
  uint64_t anomalies() const { return anomalies_.load(); }
  uint64_t bad_requests() const { return bad_requests_.load(); }
  uint64_t alarms_raised() const { return alarms_raised_.load(); }
  uint64_t alarms_cleared() const { return alarms_cleared_.load(); }
  const Model& model() const { return model_; }

  /// Upper bounds (seconds) of the request latency histogram buckets.
  static constexpr std::array<double, 10> kLatencyBuckets = {0.0005, 0.001, 0.0025, 0.005, 0.01,
                                                             0.025,  0.05,  0.1,    0.25,  1.0};

 private:
  struct DeviceState {
    AlarmDebouncer debouncer;
    double last_score = 0;
  };
  HttpResponse refuse(const HttpPeer& peer, const std::string& device, int status, const std::string& reason);
  WindowOutcome refuse_window(const std::string& source, const std::string& device, int status,
                              const std::string& reason);
  // `device`: the X-Device-Id handle() already read ("" when none).
  HttpResponse post(const HttpRequest& req, const HttpPeer& peer, std::string device);
  void observe_latency(double seconds);
  bool device_table_full(const std::string& device) const;
  void forget_alarm(const std::string& device, const char* reason);

  Model model_;
  CoreModel<double> core_;  // model_'s detector for the core, built once (read-only after)
  std::string core_error_;  // why core_ could not be built (then every window is refused)
  InferenceOptions options_;
  EventSink events_;
  Log log_;
  std::atomic<bool> ready_{false};
  std::atomic<uint64_t> windows_{0}, anomalies_{0}, bad_requests_{0}, alarms_raised_{0}, alarms_cleared_{0};
  std::array<std::atomic<uint64_t>, kLatencyBuckets.size() + 1> latency_counts_{};  // last: +Inf
  std::atomic<uint64_t> latency_sum_ns_{0};
  mutable std::mutex devices_mutex_;  // devices_ and the order of events
  std::map<std::string, DeviceState> devices_;
};

}  // namespace tinyad
