// fleet_monitor.h: the transport-neutral heart of `tinyad serve`: one window
// of readings -> features -> score (the model's CoreModel) -> the device's
// own baseline (--learn) -> alarm debouncing, with the fleet's one device
// table and its one limit, and the typed events of fleet_event.h. HTTP
// (inference_service.h) and MQTT (mqtt_bridge.h) both call process_window
// and get a typed result; neither the monitor nor its errors know about
// status lines, topics or Prometheus. What it avoids: sockets, files,
// transports, presentation beyond the verdict's contract JSON.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "core_model.h"
#include "device_baselines.h"
#include "fleet_event.h"
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

/// What an AlarmDebouncer remembers, to carry a device's alarm state from one
/// process to another (serve --nats keeps it with each verdict).
struct AlarmState {
  uint64_t history = 0;  // bit i: the window i verdicts ago was anomalous
  int seen = 0;
  bool active = false;
};

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
  AlarmState state() const { return {history_, seen_, active_}; }
  void restore(const AlarmState& s) {
    history_ = s.history;
    seen_ = s.seen < 0 ? 0 : s.seen;
    active_ = s.active;
  }

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
  // device's own is not ready; "commissioning" under --commission), "own",
  // device's own is not ready), "learning", "calibrating" (no model: never
  // anomalous) or "own"; "" without --learn (the fields are left out).
  // score/threshold are written as null when has_score/has_threshold is false.
  std::string baseline;
  bool has_score = true, has_threshold = true;
  uint32_t learned = 0, calibrated = 0;
  uint32_t commission = 0;  // --commission K: written as "commission": K (0: left out)
};

/// The verdict as the service contract's JSON object (one line, no newline).
/// Without `features` the 60 numbers are left out (most of its bytes and of
/// the time writing it: MQTT's --mqtt-verdict score).
std::string verdict_json(const Verdict& v, bool features = true);

/// Why a window got no verdict.
enum class WindowError {
  kNone,
  kBadBody,         // not a window: bad JSON, bad device id, a non-finite reading
  kTooLarge,        // more readings or bytes than the limits allow
  kTooManyDevices,  // a new device while the device table is full
  kUnscorable,      // a well-formed window the recipe or the model cannot score
};

/// The status number a refusal is reported with, the same on every
/// transport: the HTTP status line, and "status" in MQTT's error answer.
int window_error_status(WindowError e);

/// What became of one window.
struct WindowResult {
  WindowError error = WindowError::kNone;
  std::string message;  // the one-line reason, when refused
  std::string device;   // the id the window was counted under
  Verdict verdict;      // when not refused
  std::string json;     // verdict_json(verdict), when not refused
  bool ok() const { return error == WindowError::kNone; }
};

struct FleetMonitorOptions {
  AlarmRule alarm;
  SampleLimits limits;
  // Devices tracked (alarm state, last score): the ids come from clients, so
  // the table is bounded; windows from new devices past it are refused
  // (kTooManyDevices; checked before scoring, so concurrent first posts may
  // overshoot by a thread or two). The baselines and the dashboard are given
  // the same number (cmd_serve.cpp).
  size_t max_devices = 100000;
  // --learn: per-device baselines (null: off). fleet_model false means the
  // Model carries only the feature recipe (serve --learn without --model).
  std::shared_ptr<DeviceBaselines> baselines = nullptr;
  bool fleet_model = true;
  // Told each device the monitor forgot (DELETE /devices/<id>, --forget-after),
  // after its last event was given to the sink: the dashboard forgets it too.
  std::function<void(const std::string& device)> on_forget = nullptr;
};

/// One row of the device table, as the views (/devices, /metrics) read it.
struct TrackedDevice {
  std::string device;
  double last_score = 0;  // NaN: the latest window had no score
  bool alarm = false;
  uint64_t windows = 0, anomalies = 0;  // scored here since start
  double threshold = 0;  // the latest window's threshold (its own baseline's, or the fleet's); NaN: none yet
};

class FleetMonitor {
 public:
  /// Gets one line per refused window and per baseline restart/reset.
  using Log = std::function<void(const std::string& line)>;

  FleetMonitor(Model model, FleetMonitorOptions options, FleetEventSink events = nullptr, Log log = nullptr);

  /// Features, score and verdict of one window of readings ((n, 3) row-major,
  /// g). False with a one-line reason for windows the recipe cannot score.
  bool score(const std::vector<double>& rows, Verdict* out, std::string* err) const;

  /// Parses, scores and records one window body. `device` is the id the
  /// transport names (header, topic), or "" to take the body's "device"
  /// field, else `fallback_device`; `source` (peer address, topic) goes into
  /// the log line of a refusal. Thread-safe; the events are given to the
  /// sink before it returns unless another thread is delivering this
  /// device's events (then that thread gives them, in order).
  /// `features` false: the result's json leaves them out (verdict_json).
  WindowResult process_window(std::string device, std::string_view body, const std::string& fallback_device,
                              const std::string& source, bool features = true);

  /// Counts and logs a refusal: of a window, or of a request a transport
  /// refused before it reached the monitor.
  void note_refused(const std::string& source, const std::string& device, int status, const std::string& reason);

  /// Forgets the device's baseline (it learns again) and clears its alarm,
  /// with an event saying why. False with a one-line reason when --learn is
  /// off or the device has no baseline.
  bool reset_baseline(const std::string& device, std::string* err);

  /// Forgets everything about the device: its alarm state (a raised alarm
  /// is cleared, with an event saying why), its baseline, its slot in the
  /// table. False with a one-line reason when the device is unknown.
  bool forget(const std::string& device, std::string* err);

  /// Forgets every device that sent no window for `idle_s` seconds (devices
  /// loaded from the baselines file count from the monitor's start).
  /// Returns how many. Thread-safe; `serve --forget-after` calls it each second.
  size_t forget_idle(double idle_s);

  /// The device's alarm state (the default for a device not seen), and its
  /// replacement: serve --nats hands a device from one worker to another
  /// with it. Call neither while a window of the device is being processed.
  AlarmState alarm_state(const std::string& device) const;
  void restore_alarm_state(const std::string& device, const AlarmState& state);

  /// The device table, ordered by id.
  std::vector<TrackedDevice> tracked() const;
  size_t device_count() const;
  /// Refusals by status number (400, 413, 429, ...), for /metrics' code label.
  std::map<int, uint64_t> refused_by_status() const;

  uint64_t windows() const { return windows_.load(); }
  uint64_t anomalies() const { return anomalies_.load(); }
  uint64_t refused() const { return refused_.load(); }
  uint64_t alarms_raised() const { return alarms_raised_.load(); }
  uint64_t alarms_cleared() const { return alarms_cleared_.load(); }
  /// Windows of new devices refused because the table was full (429).
  uint64_t devices_refused() const { return devices_refused_.load(); }
  uint64_t devices_forgotten() const { return devices_forgotten_.load(); }
  const Model& model() const { return model_; }
  const FleetMonitorOptions& options() const { return options_; }

 private:
  struct DeviceState {
    AlarmDebouncer debouncer;
    double last_score = 0;
    uint64_t windows = 0, anomalies = 0;
    double last_threshold = 0;
    std::vector<FleetEvent> outbox;  // made under mutex_, not yet given to the sink
    bool delivering = false;         // a thread holds this device's delivery turn
    double last_seen = 0;            // steady-clock seconds of its latest window
    bool forget = false;             // erase once its outbox is delivered (forget())
  };
  WindowResult refuse(const std::string& source, const std::string& device, WindowError error, std::string reason);
  bool admits(const std::string& device) const;
  WindowError judge_by_baseline(const std::string& device, Verdict* v, std::string* err);
  void record(const Verdict& v);
  FleetEvent alarm_event(FleetEventKind kind, const std::string& device, double time) const;
  bool queue_locked(DeviceState* d, FleetEvent e);
  void deliver(const std::string& device, DeviceState* d);
  void forget_locked(const std::string& device, DeviceState* d, bool* my_turn);

  Model model_;
  CoreModel<double> core_;  // model_'s detector for the core, built once (read-only after)
  std::string core_error_;  // why core_ could not be built (then every window is refused)
  FleetMonitorOptions options_;
  FleetEventSink events_;
  Log log_;
  std::atomic<uint64_t> windows_{0}, anomalies_{0}, refused_{0}, alarms_raised_{0}, alarms_cleared_{0};
  std::atomic<uint64_t> devices_refused_{0}, devices_forgotten_{0};
  double started_ = 0;  // steady-clock seconds at construction
  mutable std::mutex refused_mutex_;
  std::map<int, uint64_t> refused_by_status_;  // a handful of statuses: bounded
  mutable std::mutex mutex_;  // devices_ (the states and their outboxes)
  // A node is erased only when no thread holds its delivery turn (deliver()
  // keeps a pointer): forget() marks it, and the turn's holder erases it.
  std::map<std::string, DeviceState> devices_;
};

}  // namespace tinyad
