// dashboard.h: the live dashboard of `tinyad serve`: GET /dashboard (one
// self-contained page: web/dashboard.html with web/dashboard.js and
// plotly.min.js inlined, embedded into the binary like the reports) and
// GET /events (server-sent events: a snapshot of every device with its
// recent scores on connect, then each verdict and alarm raise/clear as it
// happens). Fed by the fleet monitor's typed events (a FleetEventSink), so it
// knows nothing of scoring or alarms beyond what the events say. What it
// avoids: history beyond a small ring per device (the event log keeps it),
// and any state in the browser that a reconnect's snapshot does not rebuild.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "fleet_event.h"
#include "http_request.h"
#include "http_stream.h"

namespace tinyad {

/// What the page says about the service (shown in its header).
struct DashboardInfo {
  std::string model;     // the model file
  std::string detector;  // detector_name() of the model
  double threshold = 0;
  std::string alarm = "3/5";  // the --alarm k/n rule
};

struct DashboardOptions {
  size_t history = 120;          // scores kept per device for the timeline
  size_t max_devices = 1000;     // devices shown; events of later ones are only counted
  size_t max_pending = 1 << 20;  // bytes a browser may fall behind before it is dropped
};

/// The embedded page assets.
std::string_view dashboard_asset_template();
std::string_view dashboard_asset_script();

class Dashboard {
 public:
  explicit Dashboard(DashboardInfo info, DashboardOptions options = {});

  /// Takes one event of the fleet monitor and forwards its line to the
  /// browsers. Thread-safe (events of several devices may come at once);
  /// never blocks on a browser.
  void on_event(const FleetEvent& event);

  /// GET /dashboard and GET /events (405 for other methods on them);
  /// nullopt for every other path.
  std::optional<HttpResponse> handle(const HttpRequest& req);

  /// What a new /events subscriber gets first.
  nlohmann::json snapshot() const;
  /// The whole page (built once).
  const std::string& page() const { return page_; }
  size_t subscribers() const { return hub_.subscribers(); }
  uint64_t dropped_subscribers() const { return hub_.dropped(); }

 private:
  struct Point {
    double time, score;
    bool anomaly;
  };
  struct Device {
    std::deque<Point> points;  // the last options_.history, oldest first
    bool alarm = false;
    double threshold = 0;
    std::string phase;  // the verdict's "baseline" field when the service learns per device
    uint64_t windows = 0, anomalies = 0;
  };
  nlohmann::json snapshot_locked() const;

  DashboardInfo info_;
  DashboardOptions options_;
  std::string page_;
  mutable std::mutex mutex_;  // devices_, and the order of published events
  std::map<std::string, Device> devices_;
  uint64_t untracked_events_ = 0;
  HttpStreamHub hub_;
};

}  // namespace tinyad
