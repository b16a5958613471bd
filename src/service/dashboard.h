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

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
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
  size_t max_pending = 256 << 10;  // bytes a browser may fall behind before it is dropped
  int snapshot_max_age_ms = 500;   // a new /events client gets a snapshot at most this old (shared)
  size_t max_since = 256 << 10;    // bytes of events after a shared snapshot before it is rebuilt
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

  /// Drops the device (DELETE /devices/<id>, --forget-after) and tells the
  /// browsers ("forgotten" event). Thread-safe.
  void forget(const std::string& device);

  /// What a new /events subscriber gets first.
  nlohmann::json snapshot() const;
  /// The whole page (built once, shared by every reply).
  const std::string& page() const { return *page_; }
  /// Snapshots built so far (shared by the /events clients of the same moment).
  uint64_t snapshots_built() const { return snapshots_built_.load(); }
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
  static nlohmann::json snapshot_of(const DashboardInfo& info, const DashboardOptions& options,
                                    const std::map<std::string, Device>& devices, uint64_t untracked, double time);
  void publish_locked(std::string bytes);
  HttpResponse subscribe();

  DashboardInfo info_;
  DashboardOptions options_;
  std::shared_ptr<const std::string> page_;
  mutable std::mutex mutex_;  // devices_, the shared snapshot, and the order of published events
  std::map<std::string, Device> devices_;
  uint64_t untracked_events_ = 0;
  // The /events snapshot new clients share: built from a copy of devices_
  // outside mutex_ (a 1000-device snapshot is megabytes of JSON; building it
  // under the lock held up every verdict), then every event published since
  // that copy (since_), so a subscriber gets snapshot + since_ and misses
  // nothing. Rebuilt when older than snapshot_max_age_ms or since_ is full.
  std::shared_ptr<const std::string> snap_;
  int64_t snap_ms_ = 0;         // steady ms of the copy it was built from
  bool since_valid_ = false;    // since_ holds every event after the copy
  std::string since_;
  std::mutex build_mutex_;      // one builder at a time; the others reuse its snapshot
  std::atomic<uint64_t> snapshots_built_{0};
  HttpStreamHub hub_;
};

}  // namespace tinyad
