// inference_service.h: the HTTP face of `tinyad serve`: the device protocol
// on / (GET: ready flag, POST: a window scored into a JSON verdict),
// GET /healthz, GET /metrics (fleet_metrics_text.h), GET /devices and
// DELETE /devices/<id>/baseline (--learn), DELETE /devices/<id> (forget a
// device: its slot, alarm, baseline and dashboard row), all from one route table that
// also makes the 404's list of paths. The scoring, baselines, alarms and
// events are the fleet monitor's (fleet_monitor.h); this class only turns
// requests into monitor calls and typed results into status lines. Pure
// logic over parsed requests: no sockets, no files, so tests drive it
// directly. What it avoids: MQTT and the dashboard.
#pragma once

#include <atomic>
#include <string>
#include <vector>

#include "fleet_metrics_text.h"
#include "fleet_monitor.h"
#include "http_request.h"
#include "http_server.h"

namespace tinyad {

struct InferenceOptions : FleetMonitorOptions {
  // Paths answered in front of the service (the dashboard's), named in the
  // 404 reason so it lists everything the process serves.
  std::vector<std::string> other_paths;
};

class InferenceService {
 public:
  /// Gets one line per refused request (no newline).
  using Log = FleetMonitor::Log;

  /// `events`: the monitor's sink (fleet_event.h).
  InferenceService(Model model, InferenceOptions options, FleetEventSink events = nullptr, Log log = nullptr);

  /// Everything served. Thread-safe.
  HttpResponse handle(const HttpRequest& req, const HttpPeer& peer);
  /// For requests the HTTP server refused itself (bad framing, timeouts).
  void on_rejected(const HttpPeer& peer, int status, const std::string& reason);

  /// The ready flag (GET / answers 1, /healthz 200) once set.
  void set_ready(bool on) { ready_ = on; }
  bool ready() const { return ready_; }

  /// GET /devices: a JSON array, one object per device seen or baselined.
  std::string devices_json() const;
  /// GET /metrics: Prometheus text.
  std::string metrics_text() const;

  /// The monitor the MQTT bridge shares (thread-safe).
  FleetMonitor& monitor() { return monitor_; }
  uint64_t windows() const { return monitor_.windows(); }
  uint64_t anomalies() const { return monitor_.anomalies(); }
  uint64_t bad_requests() const { return monitor_.refused(); }
  uint64_t alarms_raised() const { return monitor_.alarms_raised(); }
  uint64_t alarms_cleared() const { return monitor_.alarms_cleared(); }
  const Model& model() const { return monitor_.model(); }

 private:
  // One request as a route's handler sees it.
  struct Call {
    const HttpRequest& req;
    const HttpPeer& peer;
    const std::string& device;  // X-Device-Id, "" when none
    std::string param;          // the <id> of the route's path, %XX decoded
  };
  using Handler = HttpResponse (InferenceService::*)(const Call&);
  struct Route {
    const char* method;
    const char* path;  // "<id>" stands for one path segment
    Handler handler;
  };
  static const std::vector<Route> kRoutes;

  HttpResponse dispatch(const HttpRequest& req, const HttpPeer& peer, const std::string& device);
  HttpResponse refuse(const Call& c, int status, const std::string& reason);
  std::string served_paths() const;
  HttpResponse get_flag(const Call& c);
  HttpResponse post_window(const Call& c);
  HttpResponse get_healthz(const Call& c);
  HttpResponse get_metrics(const Call& c);
  HttpResponse get_devices(const Call& c);
  HttpResponse delete_baseline(const Call& c);
  HttpResponse delete_device(const Call& c);

  FleetMonitor monitor_;
  std::vector<std::string> other_paths_;
  std::atomic<bool> ready_{false};
  LatencyHistogram latency_;
};

}  // namespace tinyad
