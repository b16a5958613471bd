// fleet_metrics_text.h: GET /metrics of `tinyad serve`: the fleet monitor's
// counters and device table, the per-phase baseline counts and the request
// latency histogram, as Prometheus text exposition (version 0.0.4). What it
// avoids: keeping any state but the histogram's counts; scoring; HTTP.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <string>

#include "fleet_monitor.h"

namespace tinyad {

/// Request latencies, counted into fixed buckets. Thread-safe.
class LatencyHistogram {
 public:
  /// Upper bounds (seconds) of the buckets; one more bucket counts the rest (+Inf).
  static constexpr std::array<double, 10> kBuckets = {0.0005, 0.001, 0.0025, 0.005, 0.01,
                                                      0.025,  0.05,  0.1,    0.25,  1.0};
  void observe(double seconds);
  /// Appends the histogram `name` (HELP `help`) to *s.
  void append_text(const char* name, const char* help, std::string* s) const;

 private:
  std::array<std::atomic<uint64_t>, kBuckets.size() + 1> counts_{};  // last: +Inf
  std::atomic<uint64_t> sum_ns_{0};
};

/// Appends one unlabelled sample with its HELP and TYPE lines (type:
/// "counter" or "gauge") in Prometheus' text format: the bridges' /metrics
/// parts use it too.
void metrics_append(const char* name, const char* type, const char* help, uint64_t v, std::string* s);

/// The whole /metrics page but the MQTT bridge's part.
std::string fleet_metrics_text(const FleetMonitor& monitor, const LatencyHistogram& latency);

}  // namespace tinyad
