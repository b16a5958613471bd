// fleet_monitor.cpp: see fleet_monitor.h.
//
// Event delivery: events are made under mutex_ (so their order is the order
// the device's windows changed its state) and queued in the device's outbox;
// whoever finds the device's delivery turn free takes it and gives the
// outbox to the sink with no lock held, until the outbox is empty. So the
// sink never runs under the monitor's lock (it may be slow, or read
// /metrics), a slow sink holds up only the device whose turn it has, and one
// device's events never overtake each other. A per-device turn rather than
// one delivery thread: no thread to start and stop, and in the usual case
// (one window of a device at a time) the posting thread delivers its own
// events before it answers, as before. The price: a thread that holds a busy
// device's turn also delivers the events of that device's later windows.
#include "fleet_monitor.h"

#include <algorithm>
#include <bit>
#include <chrono>
#include <cmath>
#include <cstdio>

#include "device_id.h"
#include "feature_table.h"
#include "json_line.h"
#include "window_features.h"
#include "verdict.h"

namespace tinyad {
namespace {

// The verdict of a device with --learn: its own baseline once it monitors;
// before that the fleet model's verdict when there is one, else a neutral
// "not anomalous" with whatever score calibration has.
// Under --commission the fleet model judges the K commissioning windows
// ("commissioning"; cmd_serve requires a model).
void apply_baseline(const BaselineStep& b, bool fleet_model, uint32_t commission, Verdict* v) {
  v->learned = b.learned;
  v->calibrated = b.calibrated;
  v->commission = commission;
  if (b.monitored) {
    v->baseline = "own";
    v->score = b.score;
    v->threshold = b.threshold;
    v->anomaly = b.anomaly;
    v->has_score = v->has_threshold = true;
    return;
  }
  if (fleet_model) {
    v->baseline = commission ? "commissioning" : "fleet";
    return;
  }
  v->baseline = b.scored ? "calibrating" : "learning";
  v->has_score = b.scored;
  v->score = b.scored ? b.score : std::nan("");
  v->has_threshold = false;
  v->threshold = std::nan("");
  v->anomaly = false;
}

// Readings (all axes) whose buffers a thread keeps between windows.
constexpr size_t kKeptReadings = 3 * 4096;

double steady_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

double unix_seconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

FleetEvent verdict_event(const Verdict& v, double time) {
  FleetEvent e;
  e.kind = FleetEventKind::kVerdict;
  e.time = time;
  e.device = v.device;
  e.has_score = v.has_score;
  e.has_threshold = v.has_threshold;
  e.score = v.score;
  e.threshold = v.threshold;
  e.anomaly = v.anomaly;
  e.baseline = v.baseline;
  e.json = fleet_event_json(e);
  return e;
}

}  // namespace

bool alarm_rule_parse(const std::string& text, AlarmRule* rule, std::string* err) {
  int k = 0, n = 0;
  char tail = 0;
  if (std::sscanf(text.c_str(), "%d/%d%c", &k, &n, &tail) != 2 || k < 1 || n < k || n > 64) {
    *err = "--alarm: expected k/n with 1 <= k <= n <= 64 (e.g. 3/5), got '" + text + "'";
    return false;
  }
  rule->k = k;
  rule->n = n;
  return true;
}

int AlarmDebouncer::anomalous() const {
  const uint64_t mask = rule_.n >= 64 ? ~uint64_t(0) : (uint64_t(1) << rule_.n) - 1;
  return std::popcount(history_ & mask);
}

AlarmDebouncer::Change AlarmDebouncer::push(bool anomalous_window) {
  history_ = (history_ << 1) | (anomalous_window ? 1u : 0u);
  if (seen_ < rule_.n) ++seen_;
  const int bad = anomalous();
  const int good = seen() - bad;
  if (!active_ && bad >= rule_.k) {
    active_ = true;
    return Change::kRaised;
  }
  if (active_ && good >= rule_.k) {
    active_ = false;
    return Change::kCleared;
  }
  return Change::kNone;
}

// Written directly (json_line.h), not through a DOM: 60 features per window,
// left out when the MQTT verdict carries the score only.
std::string verdict_json(const Verdict& v, bool features) {
  std::string out;
  out.reserve(64 + (features ? 24 * v.features.size() : 0) + v.device.size());
  out += "{\"device\":";
  json_append_string(&out, v.device);
  out += ",\"score\":";
  json_append_number(&out, v.has_score ? v.score : std::nan(""));
  out += ",\"threshold\":";
  json_append_number(&out, v.has_threshold ? v.threshold : std::nan(""));
  out += v.anomaly ? ",\"anomaly\":true" : ",\"anomaly\":false";
  if (features) {
    out += ",\"features\":[";
    for (size_t i = 0; i < v.features.size(); ++i) {
      if (i) out += ',';
      json_append_number(&out, v.features[i]);
    }
    out += ']';
  }
  if (!v.baseline.empty()) {
    out += ",\"baseline\":";
    json_append_string(&out, v.baseline);
    out += ",\"learned\":" + std::to_string(v.learned) + ",\"calibrated\":" + std::to_string(v.calibrated);
    if (v.commission) out += ",\"commission\":" + std::to_string(v.commission);
  }
  out += '}';
  return out;
}

int window_error_status(WindowError e) {
  switch (e) {
    case WindowError::kNone: return 200;
    case WindowError::kBadBody: return 400;
    case WindowError::kTooLarge: return 413;
    case WindowError::kTooManyDevices: return 429;
    case WindowError::kUnscorable: return 422;
  }
  return 500;
}

FleetMonitor::FleetMonitor(Model model, FleetMonitorOptions options, FleetEventSink events, Log log)
    : model_(std::move(model)), options_(std::move(options)), events_(std::move(events)), log_(std::move(log)),
      started_(steady_seconds()) {
  // One limit: the baselines table never holds more devices than the monitor tracks.
  if (options_.baselines) options_.max_devices = std::min(options_.max_devices, options_.baselines->options().max_devices);
  if (options_.fleet_model && !core_model_build(model_, &core_, &core_error_)) {
    core_error_ = "the model cannot be scored: " + core_error_;
  }
}

bool FleetMonitor::score(const std::vector<double>& rows, Verdict* out, std::string* err) const {
  for (size_t i = 0; i < rows.size(); ++i) {
    if (!std::isfinite(rows[i])) {
      *err = "reading " + std::to_string(i / 3) + " of axis " + "xyz"[i % 3] +
             " is not a finite number (a failed sensor read?)";
      return false;
    }
  }
  if (!window_features(model_.recipe.core, rows, "window", &out->features, err)) return false;
  if (!options_.fleet_model) {  // --learn alone: the device's baseline scores it (process_window)
    out->has_score = out->has_threshold = false;
    return true;
  }
  if (!core_error_.empty()) {
    *err = core_error_;
    return false;
  }
  // The core's scorer, as on a device; the same bits as model_scores.
  const WindowVerdict v = judge_features(core_, model_.threshold, out->features.data(), out->features.size());
  out->score = v.score;
  out->threshold = v.threshold;
  out->anomaly = v.anomaly;
  return true;
}

void FleetMonitor::note_refused(const std::string& source, const std::string& device, int status,
                                const std::string& reason) {
  refused_.fetch_add(1, std::memory_order_relaxed);
  {
    std::lock_guard<std::mutex> lock(refused_mutex_);
    ++refused_by_status_[status];
  }
  if (log_) {
    // The id as a client sent it may hold anything: printable, one line.
    const std::string who = device.empty() ? source : device_id_printable(device) + " (" + source + ")";
    log_("refused " + who + ": " + std::to_string(status) +
         " " + reason);
  }
}

WindowResult FleetMonitor::refuse(const std::string& source, const std::string& device, WindowError error,
                                  std::string reason) {
  note_refused(source, device, window_error_status(error), reason);
  WindowResult r;
  r.error = error;
  r.message = std::move(reason);
  r.device = device;
  return r;
}

bool FleetMonitor::admits(const std::string& device) const {
  std::lock_guard<std::mutex> lock(mutex_);
  return devices_.size() < options_.max_devices || devices_.find(device) != devices_.end();
}

// --learn: the device's own baseline takes the window and may judge it.
// kNone, or why the baseline refused the window (*err says it in words).
WindowError FleetMonitor::judge_by_baseline(const std::string& device, Verdict* v, std::string* err) {
  BaselineStep b;
  if (!options_.baselines->add(device, v->features, &b, err)) {
    if (b.table_full) devices_refused_.fetch_add(1, std::memory_order_relaxed);
    return b.table_full ? WindowError::kTooManyDevices : WindowError::kUnscorable;
  }
  if (b.restarted && log_) {
    log_("device " + device +
         (options_.baselines->commissioning_mode()
              ? ": its commissioning windows are all alike (a stuck or silent sensor?): commissioning again"
              : ": its baseline covariance is singular (a stuck or silent axis?): learning again"));
  }
  apply_baseline(b, options_.fleet_model, options_.baselines->options().commission, v);
  return WindowError::kNone;
}

WindowResult FleetMonitor::process_window(std::string device, std::string_view body,
                                          const std::string& fallback_device, const std::string& source,
                                          bool features) {
  // Per thread and reused: the body is read into the buffers of the thread's
  // last window (sample_json_parse), no allocation for windows of the usual
  // size; a huge window's buffers are given back when it is done.
  thread_local SampleWindow w;
  struct GiveBackHuge {
    SampleWindow& w;
    ~GiveBackHuge() {
      if (w.rows.capacity() > kKeptReadings) w = SampleWindow();
    }
  } give_back{w};
  int status = 400;
  std::string err;
  if (!sample_json_parse(body, options_.limits, &w, &status, &err)) {
    return refuse(source, device, status == 413 ? WindowError::kTooLarge : WindowError::kBadBody, err);
  }
  // Ids come from clients and go into JSON, metrics, files and log lines:
  // cut at a character boundary, and refused unless UTF-8 without controls.
  device = device_id_cut(device.empty() ? w.device : device);
  if (std::string why; !device_id_valid(device, &why))
    return refuse(source, device, WindowError::kBadBody, "the device id " + why);
  if (device.empty()) device = fallback_device;
  if (!admits(device)) {
    devices_refused_.fetch_add(1, std::memory_order_relaxed);
    return refuse(source, device, WindowError::kTooManyDevices,
                  "too many devices: already tracking " + std::to_string(options_.max_devices) + " (the limit)");
  }
  WindowResult r;
  if (!score(w.rows, &r.verdict, &err)) return refuse(source, device, WindowError::kUnscorable, err);
  r.verdict.device = r.device = device;
  if (options_.baselines) {
    const WindowError e = judge_by_baseline(device, &r.verdict, &err);
    if (e != WindowError::kNone) return refuse(source, device, e, err);
  }
  windows_.fetch_add(1, std::memory_order_relaxed);
  if (r.verdict.anomaly) anomalies_.fetch_add(1, std::memory_order_relaxed);
  r.json = verdict_json(r.verdict, features);
  record(r.verdict);
  return r;
}

FleetEvent FleetMonitor::alarm_event(FleetEventKind kind, const std::string& device, double time) const {
  FleetEvent e;
  e.kind = kind;
  e.time = time;
  e.device = device;
  return e;
}

// The window's verdict into the device table and the debouncer; its events
// are queued under the lock and delivered outside it (see the file header).
void FleetMonitor::record(const Verdict& v) {
  DeviceState* d = nullptr;
  bool my_turn = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    d = &devices_.try_emplace(v.device, DeviceState{AlarmDebouncer(options_.alarm)}).first->second;
    d->last_seen = steady_seconds();
    d->forget = false;  // a window after DELETE: the device is back
    d->last_score = v.has_score ? v.score : std::nan("");
    d->last_threshold = v.has_threshold ? v.threshold : std::nan("");
    ++d->windows;
    if (v.anomaly) ++d->anomalies;
    const AlarmDebouncer::Change change = d->debouncer.push(v.anomaly);
    if (change == AlarmDebouncer::Change::kRaised) alarms_raised_.fetch_add(1, std::memory_order_relaxed);
    if (change == AlarmDebouncer::Change::kCleared) alarms_cleared_.fetch_add(1, std::memory_order_relaxed);
    if (!events_) return;
    const double now = unix_seconds();
    my_turn = queue_locked(d, verdict_event(v, now));
    if (change != AlarmDebouncer::Change::kNone) {
      FleetEvent a = alarm_event(
          change == AlarmDebouncer::Change::kRaised ? FleetEventKind::kAlarmRaised : FleetEventKind::kAlarmCleared,
          v.device, now);
      a.anomalous = d->debouncer.anomalous();
      a.of = d->debouncer.seen();
      a.json = fleet_event_json(a);
      my_turn = queue_locked(d, std::move(a)) || my_turn;
    }
  }
  if (my_turn) deliver(v.device, d);
}

// Under mutex_: queues `e`; true when the caller took the device's delivery
// turn and must call deliver().
bool FleetMonitor::queue_locked(DeviceState* d, FleetEvent e) {
  d->outbox.push_back(std::move(e));
  if (d->delivering) return false;
  d->delivering = true;
  return true;
}

// Holding the device's turn: gives its queued events to the sink, no lock
// held, until none is left; then gives the turn up.
void FleetMonitor::deliver(const std::string& device, DeviceState* d) {
  std::vector<FleetEvent> batch;
  for (;;) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      batch.clear();
      batch.swap(d->outbox);
      if (batch.empty()) {
        d->delivering = false;
        if (!d->forget) return;
        devices_.erase(device);  // `device` may be d's own key: not used after this
        break;
      }
    }
    try {
      if (events_)
        for (const FleetEvent& e : batch) events_(e);
    } catch (...) {  // a failing sink must not keep the device's turn forever
      std::lock_guard<std::mutex> lock(mutex_);
      d->delivering = false;
      throw;
    }
  }
  if (options_.on_forget) options_.on_forget(device);
}

// A reset device starts over (re-mounted, repaired): its alarm history is
// about the old baseline, so a raised alarm is cleared now, with an event
// saying why, rather than after k of its learning windows.
bool FleetMonitor::reset_baseline(const std::string& device, std::string* err) {
  if (!options_.baselines) {
    *err = "per-device baselines are off: serve with --learn N";
    return false;
  }
  if (!options_.baselines->reset(device)) {
    *err = "no baseline for device '" + device_id_printable(device) + "'";
    return false;
  }
  if (log_) {
    log_("device " + device + ": baseline reset over HTTP: " +
         (options_.baselines->commissioning_mode() ? "commissioning again" : "learning again"));
  }
  DeviceState* d = nullptr;
  bool my_turn = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = devices_.find(device);
    if (it == devices_.end()) return true;
    d = &it->second;
    const bool was_active = d->debouncer.active();
    d->debouncer = AlarmDebouncer(options_.alarm);
    if (!was_active) return true;
    alarms_cleared_.fetch_add(1, std::memory_order_relaxed);
    if (!events_) return true;
    FleetEvent a = alarm_event(FleetEventKind::kAlarmCleared, device, unix_seconds());
    a.reason = "baseline reset";
    a.json = fleet_event_json(a);
    my_turn = queue_locked(d, std::move(a));
  }
  if (my_turn) deliver(device, d);
  return true;
}

// Under mutex_: clears a raised alarm with an event saying why and marks the
// device to be erased by whoever holds (or now takes) its delivery turn.
void FleetMonitor::forget_locked(const std::string& device, DeviceState* d, bool* my_turn) {
  if (d->debouncer.active()) {
    alarms_cleared_.fetch_add(1, std::memory_order_relaxed);
    FleetEvent a = alarm_event(FleetEventKind::kAlarmCleared, device, unix_seconds());
    a.reason = "device forgotten";
    a.json = fleet_event_json(a);
    d->outbox.push_back(std::move(a));
  }
  d->forget = true;
  if (!d->delivering) *my_turn = d->delivering = true;
}

bool FleetMonitor::forget(const std::string& device, std::string* err) {
  const bool had_baseline = options_.baselines && options_.baselines->forget(device);
  bool my_turn = false;
  DeviceState* d = nullptr;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = devices_.find(device);
    if (it == devices_.end() || it->second.forget) {
      if (!had_baseline) {
        *err = "no device '" + device_id_printable(device) + "'";
        return false;
      }
    } else {
      d = &it->second;
      forget_locked(it->first, d, &my_turn);
    }
  }
  devices_forgotten_.fetch_add(1, std::memory_order_relaxed);
  if (log_) log_("device " + device + ": forgotten over HTTP");
  if (my_turn) deliver(std::string(device), d);
  else if (!d && options_.on_forget) options_.on_forget(device);
  return true;
}

size_t FleetMonitor::forget_idle(double idle_s) {
  const double cutoff = steady_seconds() - idle_s;
  std::vector<std::pair<std::string, DeviceState*>> turns;
  size_t n = 0;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (auto& [device, d] : devices_) {
      if (d.forget || d.last_seen > cutoff) continue;
      bool my_turn = false;
      forget_locked(device, &d, &my_turn);
      if (my_turn) turns.emplace_back(device, &d);
      if (options_.baselines) options_.baselines->forget(device);
      ++n;
    }
  }
  // Baselines of devices that sent nothing since the start (loaded from the file).
  if (options_.baselines && started_ <= cutoff) {
    for (const BaselineInfo& b : options_.baselines->list()) {
      {
        std::lock_guard<std::mutex> lock(mutex_);
        if (devices_.count(b.device)) continue;
      }
      if (!options_.baselines->forget(b.device)) continue;
      ++n;
      if (options_.on_forget) options_.on_forget(b.device);
    }
  }
  for (auto& [device, d] : turns) deliver(device, d);
  devices_forgotten_.fetch_add(n, std::memory_order_relaxed);
  if (n > 0 && log_) log_(std::to_string(n) + " devices forgotten: no window for " + std::to_string(int(idle_s)) + " s (--forget-after)");
  return n;
}

size_t FleetMonitor::device_count() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return devices_.size();
}

AlarmState FleetMonitor::alarm_state(const std::string& device) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = devices_.find(device);
  return it == devices_.end() ? AlarmState{} : it->second.debouncer.state();
}

void FleetMonitor::restore_alarm_state(const std::string& device, const AlarmState& state) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = devices_.find(device);
  if (it == devices_.end()) {
    if (state.seen == 0 && !state.active) return;  // nothing to remember
    it = devices_.try_emplace(device, DeviceState{AlarmDebouncer(options_.alarm)}).first;
  }
  it->second.last_seen = steady_seconds();
  it->second.debouncer.restore(state);
}

std::vector<TrackedDevice> FleetMonitor::tracked() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<TrackedDevice> out;
  out.reserve(devices_.size());
  for (const auto& [device, st] : devices_)
    if (!st.forget)
      out.push_back({device, st.last_score, st.debouncer.active(), st.windows, st.anomalies, st.last_threshold});
  return out;
}

std::map<int, uint64_t> FleetMonitor::refused_by_status() const {
  std::lock_guard<std::mutex> lock(refused_mutex_);
  return refused_by_status_;
}

}  // namespace tinyad
