// fleet_metrics_text.cpp: see fleet_metrics_text.h.
#include "fleet_metrics_text.h"

#include <cmath>
#include <cstdio>

#include "feature_table.h"
#include "process_metrics.h"

namespace tinyad {
namespace {

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

void append_counter(const char* name, const char* help, uint64_t v, std::string* s) {
  metrics_append(name, "counter", help, v, s);
}

// Per device of the table (bounded by --max-devices): its latest score,
// threshold and alarm, and its window and anomaly counters.
void append_devices(const FleetMonitor& monitor, std::string* s) {
  std::string score = "# HELP tinyad_device_last_score Score of the device's latest window.\n"
                      "# TYPE tinyad_device_last_score gauge\n";
  std::string threshold = "# HELP tinyad_device_threshold Threshold the device's latest window was judged by "
                          "(its own baseline's or the fleet's).\n# TYPE tinyad_device_threshold gauge\n";
  std::string active = "# HELP tinyad_device_alarm Whether the device's alarm is raised.\n"
                       "# TYPE tinyad_device_alarm gauge\n";
  std::string windows = "# HELP tinyad_device_windows_total Windows of the device scored.\n"
                        "# TYPE tinyad_device_windows_total counter\n";
  std::string anomalies = "# HELP tinyad_device_anomalies_total Windows of the device scored above its threshold.\n"
                          "# TYPE tinyad_device_anomalies_total counter\n";
  for (const TrackedDevice& d : monitor.tracked()) {
    const std::string label = "{device=\"" + label_escape(d.device) + "\"}";
    score += "tinyad_device_last_score" + label + " " + number(d.last_score) + "\n";
    threshold += "tinyad_device_threshold" + label + " " + number(d.threshold) + "\n";
    active += "tinyad_device_alarm" + label + (d.alarm ? " 1\n" : " 0\n");
    windows += "tinyad_device_windows_total" + label + " " + std::to_string(d.windows) + "\n";
    anomalies += "tinyad_device_anomalies_total" + label + " " + std::to_string(d.anomalies) + "\n";
  }
  *s += score + threshold + active + windows + anomalies;
}

// The same refusals as tinyad_bad_requests_total, by status number.
void append_refusals(const FleetMonitor& monitor, std::string* s) {
  *s += "# HELP tinyad_refusals_total Requests and windows refused, by status (400 bad window, 413 too large, "
        "429 too many devices, ...).\n# TYPE tinyad_refusals_total counter\n";
  for (const auto& [status, n] : monitor.refused_by_status())
    *s += "tinyad_refusals_total{code=\"" + std::to_string(status) + "\"} " + std::to_string(n) + "\n";
}

void append_baselines(const DeviceBaselines& baselines, std::string* s) {
  const std::array<size_t, 3> phases = baselines.phase_counts();
  *s += "# HELP tinyad_baseline_devices Devices per baseline phase (--learn).\n"
        "# TYPE tinyad_baseline_devices gauge\n";
  for (size_t p = 0; p < phases.size(); ++p) {
    *s += std::string("tinyad_baseline_devices{phase=\"") + baselines.phase_name(BaselinePhase(p)) + "\"} " +
          std::to_string(phases[p]) + "\n";
  }
}

}  // namespace

void metrics_append(const char* name, const char* type, const char* help, uint64_t v, std::string* s) {
  *s += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n" + name + " " +
        std::to_string(v) + "\n";
}

void LatencyHistogram::observe(double seconds) {
  size_t i = 0;
  while (i < kBuckets.size() && seconds > kBuckets[i]) ++i;
  counts_[i].fetch_add(1, std::memory_order_relaxed);
  sum_ns_.fetch_add(uint64_t(seconds * 1e9), std::memory_order_relaxed);
}

void LatencyHistogram::append_text(const char* name, const char* help, std::string* s) const {
  const std::string n = name;
  *s += "# HELP " + n + " " + help + "\n# TYPE " + n + " histogram\n";
  uint64_t cumulative = 0;
  for (size_t i = 0; i <= kBuckets.size(); ++i) {
    cumulative += counts_[i].load(std::memory_order_relaxed);
    char le[32] = "+Inf";  // plain decimals ("0.0005", not "5e-04"): what dashboards show as bucket names
    if (i < kBuckets.size()) std::snprintf(le, sizeof le, "%g", kBuckets[i]);
    *s += n + "_bucket{le=\"" + le + "\"} " + std::to_string(cumulative) + "\n";
  }
  *s += n + "_sum " + number(double(sum_ns_.load()) * 1e-9) + "\n";
  *s += n + "_count " + std::to_string(cumulative) + "\n";
}

std::string fleet_metrics_text(const FleetMonitor& monitor, const LatencyHistogram& latency) {
  std::string s;
  append_counter("tinyad_windows_scored_total", "Windows scored.", monitor.windows(), &s);
  append_counter("tinyad_anomalies_total", "Windows scored above the threshold.", monitor.anomalies(), &s);
  append_counter("tinyad_bad_requests_total", "Requests refused with a 4xx/5xx status.", monitor.refused(), &s);
  append_counter("tinyad_alarms_raised_total", "Device alarms raised (k of the last n windows anomalous).",
                 monitor.alarms_raised(), &s);
  append_counter("tinyad_alarms_cleared_total", "Device alarms cleared (k of the last n windows normal).",
                 monitor.alarms_cleared(), &s);
  append_counter("tinyad_devices_refused_total",
                 "Windows of new devices refused (429) because --max-devices devices are tracked.",
                 monitor.devices_refused(), &s);
  append_counter("tinyad_devices_forgotten_total", "Devices forgotten (DELETE /devices/<id>, --forget-after).",
                 monitor.devices_forgotten(), &s);
  s += "# HELP tinyad_devices Devices tracked (at most --max-devices).\n# TYPE tinyad_devices gauge\ntinyad_devices " +
       std::to_string(monitor.device_count()) + "\n";
  append_refusals(monitor, &s);
  if (monitor.options().fleet_model) {
    s += "# HELP tinyad_threshold The fleet model's threshold.\n# TYPE tinyad_threshold gauge\ntinyad_threshold " +
         number(monitor.model().threshold.value) + "\n";
  }
  s += "# HELP tinyad_build_info The tinyad version serving, always 1.\n# TYPE tinyad_build_info gauge\n"
       "tinyad_build_info{version=\"" TINYAD_VERSION "\"} 1\n";
  append_devices(monitor, &s);
  if (monitor.options().baselines) append_baselines(*monitor.options().baselines, &s);
  latency.append_text("tinyad_request_duration_seconds", "Time to answer a request (handler only).", &s);
  s += process_metrics_text();
  return s;
}

}  // namespace tinyad
