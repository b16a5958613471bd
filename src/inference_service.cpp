// inference_service.cpp: see inference_service.h.
#include "inference_service.h"

#include <bit>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "feature_table.h"
#include "verdict.h"

namespace tinyad {
namespace {

// The peer's address without its port: a device reconnects from a new port
// for every window and must stay one device.
std::string peer_host(const HttpPeer& peer) {
  const size_t colon = peer.address.rfind(':');
  return colon == std::string::npos ? peer.address : peer.address.substr(0, colon);
}

// Prometheus label values escape backslash, double quote and newline.
std::string label_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

std::string number(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  std::string s;
  append_shortest(&s, v);
  return s;
}

// A number, or null for a value the verdict does not have.
nlohmann::ordered_json number_or_null(bool has, double v) {
  return has && std::isfinite(v) ? nlohmann::ordered_json(v) : nlohmann::ordered_json(nullptr);
}

// The verdict of a device with --learn: its own baseline once it monitors;
// before that the fleet model's verdict when there is one, else a neutral
// "not anomalous" with whatever score calibration has.
void apply_baseline(const BaselineStep& b, bool fleet_model, Verdict* v) {
  v->learned = b.learned;
  v->calibrated = b.calibrated;
  if (b.monitored) {
    v->baseline = "own";
    v->score = b.score;
    v->threshold = b.threshold;
    v->anomaly = b.anomaly;
    v->has_score = v->has_threshold = true;
    return;
  }
  if (fleet_model) {
    v->baseline = "fleet";
    return;
  }
  v->baseline = b.scored ? "calibrating" : "learning";
  v->has_score = b.scored;
  v->score = b.scored ? b.score : std::nan("");
  v->has_threshold = false;
  v->threshold = std::nan("");
  v->anomaly = false;
}

// "/devices/<id>/baseline" -> id, %XX decoded; false for other paths.
bool baseline_path_device(std::string_view path, std::string* device) {
  constexpr std::string_view head = "/devices/", tail = "/baseline";
  if (path.size() <= head.size() + tail.size() || !path.starts_with(head) || !path.ends_with(tail)) return false;
  const std::string_view id = path.substr(head.size(), path.size() - head.size() - tail.size());
  device->clear();
  for (size_t i = 0; i < id.size(); ++i) {
    if (id[i] == '%' && i + 2 < id.size() && std::isxdigit(static_cast<unsigned char>(id[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(id[i + 2]))) {
      *device += char(std::stoi(std::string(id.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else {
      *device += id[i];
    }
  }
  return true;
}

double unix_seconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
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

std::string verdict_json(const Verdict& v) {
  nlohmann::ordered_json j = {{"device", v.device},
                      {"score", number_or_null(v.has_score, v.score)},
                      {"threshold", number_or_null(v.has_threshold, v.threshold)},
                      {"anomaly", v.anomaly},
                      {"features", v.features}};
  if (!v.baseline.empty()) {
    j["baseline"] = v.baseline;
    j["learned"] = v.learned;
    j["calibrated"] = v.calibrated;
  }
  return j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

InferenceService::InferenceService(Model model, InferenceOptions options, EventSink events, Log log)
    : model_(std::move(model)), options_(options), events_(std::move(events)), log_(std::move(log)) {
  if (options_.fleet_model && !core_model_build(model_, &core_, &core_error_)) {
    core_error_ = "the model cannot be scored: " + core_error_;
  }
}

bool InferenceService::score(const std::vector<double>& rows, Verdict* out, std::string* err) const {
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
  out->score = core_.score_or_nonfinite(out->features.data(), out->features.size());
  const WindowVerdict v = judge(out->score, model_.threshold);
  out->threshold = v.threshold;
  out->anomaly = v.anomaly;
  return true;
}

HttpResponse InferenceService::refuse(const HttpPeer& peer, const std::string& device, int status,
                                      const std::string& reason) {
  return HttpResponse::text(status, refuse_window(peer.address, device, status, reason).body + "\n");
}

void InferenceService::on_rejected(const HttpPeer& peer, int status, const std::string& reason) {
  bad_requests_.fetch_add(1, std::memory_order_relaxed);
  if (log_) log_("refused " + peer.address + ": " + std::to_string(status) + " " + reason);
}

void InferenceService::observe_latency(double seconds) {
  size_t i = 0;
  while (i < kLatencyBuckets.size() && seconds > kLatencyBuckets[i]) ++i;
  latency_counts_[i].fetch_add(1, std::memory_order_relaxed);
  latency_sum_ns_.fetch_add(uint64_t(seconds * 1e9), std::memory_order_relaxed);
}

HttpResponse InferenceService::handle(const HttpRequest& req, const HttpPeer& peer) {
  const auto t0 = std::chrono::steady_clock::now();
  HttpResponse r;
  const std::string_view path = req.path();
  const std::string* id = req.header("x-device-id");
  const std::string device = id ? id->substr(0, 64) : "";
  if (path == "/") {
    if (req.method == "GET") {
      // Status line, exactly two header lines, blank line, one digit: the
      // firmware skips four lines and reads the flag.
      r.body = ready() ? "1" : "0";
      r.bare_head = true;
    } else if (req.method == "POST") {
      r = post(req, peer, device);
    } else {
      r = refuse(peer, device, 405, "method " + req.method + " is not served on /: use GET or POST");
      r.headers.emplace_back("Allow", "GET, POST");
    }
  } else if (path == "/healthz" && req.method == "GET") {
    r = ready() ? HttpResponse::text(200, "ok\n") : HttpResponse::text(503, "not ready\n");
  } else if (path == "/metrics" && req.method == "GET") {
    r.content_type = "text/plain; version=0.0.4";
    r.body = metrics_text();
  } else if (path == "/devices" && req.method == "GET") {
    r.content_type = "application/json";
    r.body = devices_json() + "\n";
  } else if (std::string baseline_device; baseline_path_device(path, &baseline_device)) {
    if (req.method != "DELETE") {
      r = refuse(peer, device, 405, "method " + req.method + " is not served on " + std::string(path) + ": use DELETE");
      r.headers.emplace_back("Allow", "DELETE");
    } else if (!options_.baselines) {
      r = refuse(peer, device, 404, "per-device baselines are off: serve with --learn N");
    } else if (!options_.baselines->reset(baseline_device)) {
      r = refuse(peer, device, 404, "no baseline for device '" + baseline_device + "'");
    } else {
      if (log_) log_("device " + baseline_device + ": baseline reset over HTTP: learning again");
      forget_alarm(baseline_device, "baseline reset");
      r.content_type = "application/json";
      r.body = nlohmann::json({{"device", baseline_device}, {"phase", "learning"}}).dump() + "\n";
    }
  } else if (path == "/healthz" || path == "/metrics" || path == "/devices") {
    r = refuse(peer, device, 405, "method " + req.method + " is not served on " + std::string(path) + ": use GET");
    r.headers.emplace_back("Allow", "GET");
  } else {
    std::string paths = "/, /healthz, /metrics, /devices, /devices/<id>/baseline (DELETE)";
    for (const std::string& p : options_.other_paths) paths += ", " + p;
    r = refuse(peer, device, 404, "no such path " + req.target + ": the service answers " + paths);
  }
  observe_latency(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  return r;
}

HttpResponse InferenceService::post(const HttpRequest& req, const HttpPeer& peer, std::string device) {
  if (!ready()) return refuse(peer, device, 503, "not serving yet: wait for the ready flag 1");
  if (!http_is_json_content_type(req.header("content-type"))) {
    return refuse(peer, device, 415, "expected Content-Type: application/json, got " + *req.header("content-type"));
  }
  WindowOutcome o = process_window(std::move(device), req.body, peer_host(peer), peer.address);
  if (o.status != 200) return HttpResponse::text(o.status, o.body + "\n");
  HttpResponse r;
  r.status = 200;
  r.content_type = "application/json";
  r.body = std::move(o.body);
  return r;
}

InferenceService::WindowOutcome InferenceService::refuse_window(const std::string& source, const std::string& device,
                                                                int status, const std::string& reason) {
  bad_requests_.fetch_add(1, std::memory_order_relaxed);
  if (log_) {
    log_("refused " + (device.empty() ? source : device + " (" + source + ")") + ": " + std::to_string(status) +
         " " + reason);
  }
  return {status, reason};
}

InferenceService::WindowOutcome InferenceService::process_window(std::string device, std::string_view body,
                                                                 const std::string& fallback_device,
                                                                 const std::string& source) {
  SampleWindow w;
  int status = 400;
  std::string err;
  if (!sample_json_parse(body, options_.limits, &w, &status, &err)) return refuse_window(source, device, status, err);
  if (device.empty()) device = w.device.substr(0, 64);
  if (device.empty()) device = fallback_device;
  if (device_table_full(device)) {
    return refuse_window(source, device, 429,
                         "too many devices: already tracking " + std::to_string(options_.max_devices) + " (the limit)");
  }
  Verdict v;
  if (!score(w.rows, &v, &err)) return refuse_window(source, device, 422, err);
  v.device = device;
  if (options_.baselines) {
    BaselineStep b;
    if (!options_.baselines->add(device, v.features, &b, &err)) {
      return refuse_window(source, device, err.rfind("too many", 0) == 0 ? 429 : 422, err);
    }
    if (b.restarted && log_) {
      log_("device " + device + ": its baseline covariance is singular (a stuck or silent axis?): learning again");
    }
    apply_baseline(b, options_.fleet_model, &v);
  }
  windows_.fetch_add(1, std::memory_order_relaxed);
  if (v.anomaly) anomalies_.fetch_add(1, std::memory_order_relaxed);
  std::string verdict = verdict_json(v);
  {
    std::lock_guard<std::mutex> lock(devices_mutex_);
    auto it = devices_.try_emplace(device, DeviceState{AlarmDebouncer(options_.alarm), 0}).first;
    it->second.last_score = v.has_score ? v.score : std::nan("");
    const AlarmDebouncer::Change change = it->second.debouncer.push(v.anomaly);
    if (change == AlarmDebouncer::Change::kRaised) alarms_raised_.fetch_add(1, std::memory_order_relaxed);
    if (change == AlarmDebouncer::Change::kCleared) alarms_cleared_.fetch_add(1, std::memory_order_relaxed);
    if (events_) {
      const double now = unix_seconds();
      // A score or threshold the window does not have yet (--learn) is left
      // out rather than null: event readers default a missing field.
      nlohmann::ordered_json e = {{"time", now}, {"event", "verdict"}, {"device", device}};
      if (v.has_score) e["score"] = v.score;
      if (v.has_threshold) e["threshold"] = v.threshold;
      e["anomaly"] = v.anomaly;
      if (!v.baseline.empty()) e["baseline"] = v.baseline;
      events_(e.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace));
      if (change != AlarmDebouncer::Change::kNone) {
        nlohmann::ordered_json a = {
            {"time", now},
            {"event", change == AlarmDebouncer::Change::kRaised ? "alarm_raised" : "alarm_cleared"},
            {"device", device},
            {"anomalous", it->second.debouncer.anomalous()},
            {"of", it->second.debouncer.seen()}};
        events_(a.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace));
      }
    }
  }
  return {200, std::move(verdict)};
}

// A reset device starts over (re-mounted, repaired): its alarm history is
// about the old baseline, so a raised alarm is cleared now, with an event
// saying why, rather than after k of its learning windows.
void InferenceService::forget_alarm(const std::string& device, const char* reason) {
  std::lock_guard<std::mutex> lock(devices_mutex_);
  auto it = devices_.find(device);
  if (it == devices_.end()) return;
  const bool was_active = it->second.debouncer.active();
  it->second.debouncer = AlarmDebouncer(options_.alarm);
  if (!was_active) return;
  alarms_cleared_.fetch_add(1, std::memory_order_relaxed);
  if (events_) {
    nlohmann::ordered_json a = {
        {"time", unix_seconds()}, {"event", "alarm_cleared"}, {"device", device}, {"reason", reason}};
    events_(a.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace));
  }
}

bool InferenceService::device_table_full(const std::string& device) const {
  std::lock_guard<std::mutex> lock(devices_mutex_);
  return devices_.size() >= options_.max_devices && devices_.find(device) == devices_.end();
}

std::string InferenceService::devices_json() const {
  struct Row {
    const char* phase = "fleet";
    uint32_t learned = 0, calibrated = 0;
    bool has_threshold = false;
    double threshold = 0;
    bool alarm = false;
    double last_score = std::nan("");
  };
  std::map<std::string, Row> rows;
  if (options_.baselines) {
    for (const BaselineInfo& b : options_.baselines->list()) {
      Row& r = rows[b.device];
      r.phase = baseline_phase_name(b.phase);
      r.learned = b.learned;
      r.calibrated = b.calibrated;
      r.has_threshold = b.phase == BaselinePhase::kMonitoring;
      r.threshold = b.threshold;
    }
  }
  {
    std::lock_guard<std::mutex> lock(devices_mutex_);
    for (const auto& [device, st] : devices_) {
      Row& r = rows[device];
      r.alarm = st.debouncer.active();
      r.last_score = st.last_score;
    }
  }
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (auto& [device, r] : rows) {
    if (!r.has_threshold && options_.fleet_model) {  // judged by the fleet model for now
      r.has_threshold = true;
      r.threshold = model_.threshold.value;
    }
    nlohmann::ordered_json j = {{"device", device}, {"phase", r.phase}};
    if (options_.baselines) {
      j["learned"] = r.learned;
      j["calibrated"] = r.calibrated;
    }
    j["threshold"] = number_or_null(r.has_threshold, r.threshold);
    j["alarm"] = r.alarm;
    j["last_score"] = number_or_null(true, r.last_score);
    out.push_back(std::move(j));
  }
  return out.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

std::string InferenceService::metrics_text() const {
  std::string s;
  auto counter = [&s](const char* name, const char* help, uint64_t v) {
    s += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " counter\n" + name + " " +
         std::to_string(v) + "\n";
  };
  counter("tinyad_windows_scored_total", "Windows scored.", windows_.load());
  counter("tinyad_anomalies_total", "Windows scored above the threshold.", anomalies_.load());
  counter("tinyad_bad_requests_total", "Requests refused with a 4xx/5xx status.", bad_requests_.load());
  counter("tinyad_alarms_raised_total", "Device alarms raised (k of the last n windows anomalous).",
          alarms_raised_.load());
  counter("tinyad_alarms_cleared_total", "Device alarms cleared (k of the last n windows normal).",
          alarms_cleared_.load());
  s += "# HELP tinyad_device_last_score Score of the device's latest window.\n"
       "# TYPE tinyad_device_last_score gauge\n";
  std::string active = "# HELP tinyad_device_alarm Whether the device's alarm is raised.\n"
                       "# TYPE tinyad_device_alarm gauge\n";
  {
    std::lock_guard<std::mutex> lock(devices_mutex_);
    for (const auto& [device, st] : devices_) {
      const std::string label = "{device=\"" + label_escape(device) + "\"}";
      s += "tinyad_device_last_score" + label + " " + number(st.last_score) + "\n";
      active += "tinyad_device_alarm" + label + (st.debouncer.active() ? " 1\n" : " 0\n");
    }
  }
  s += active;
  if (options_.baselines) {
    const std::array<size_t, 3> phases = options_.baselines->phase_counts();
    s += "# HELP tinyad_baseline_devices Devices per baseline phase (--learn).\n"
         "# TYPE tinyad_baseline_devices gauge\n";
    for (size_t p = 0; p < phases.size(); ++p) {
      s += std::string("tinyad_baseline_devices{phase=\"") + baseline_phase_name(BaselinePhase(p)) + "\"} " +
           std::to_string(phases[p]) + "\n";
    }
  }
  s += "# HELP tinyad_request_duration_seconds Time to answer a request (handler only).\n"
       "# TYPE tinyad_request_duration_seconds histogram\n";
  uint64_t cumulative = 0;
  for (size_t i = 0; i <= kLatencyBuckets.size(); ++i) {
    cumulative += latency_counts_[i].load(std::memory_order_relaxed);
    char le[32] = "+Inf";  // plain decimals ("0.0005", not "5e-04"): what dashboards show as bucket names
    if (i < kLatencyBuckets.size()) std::snprintf(le, sizeof le, "%g", kLatencyBuckets[i]);
    s += "tinyad_request_duration_seconds_bucket{le=\"" + std::string(le) + "\"} " + std::to_string(cumulative) + "\n";
  }
  s += "tinyad_request_duration_seconds_sum " + number(double(latency_sum_ns_.load()) * 1e-9) + "\n";
  s += "tinyad_request_duration_seconds_count " + std::to_string(cumulative) + "\n";
  return s;
}

}  // namespace tinyad
