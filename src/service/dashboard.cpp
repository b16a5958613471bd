// dashboard.cpp: see dashboard.h. The page template has two comments that
// the assets replace, in this order: <!--TINYAD_PLOTLY_JS--> and
// <!--TINYAD_DASHBOARD_JS-->.
#include "dashboard.h"

#include <chrono>
#include <cmath>

#include "report_html.h"

extern "C" {
extern const char tinyad_asset_dashboard_html[], tinyad_asset_dashboard_html_end[];
extern const char tinyad_asset_dashboard_js[], tinyad_asset_dashboard_js_end[];
}

namespace tinyad {
namespace {

std::string_view blob(const char* begin, const char* end) { return {begin, size_t(end - begin)}; }

// Replaces each key once, searching only the template after the previous
// replacement, so nothing inserted (plotly.js) is searched.
std::string fill(std::string_view tpl, std::initializer_list<std::pair<std::string_view, std::string_view>> slots) {
  std::string out;
  size_t pos = 0;
  for (const auto& [key, value] : slots) {
    const size_t at = tpl.find(key, pos);
    if (at == std::string_view::npos) continue;
    out.append(tpl.substr(pos, at - pos));
    out.append(value);
    pos = at + key.size();
  }
  out.append(tpl.substr(pos));
  return out;
}

double unix_seconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

int64_t steady_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::string dump(const nlohmann::json& j) { return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace); }

}  // namespace

std::string_view dashboard_asset_template() {
  return blob(tinyad_asset_dashboard_html, tinyad_asset_dashboard_html_end);
}
std::string_view dashboard_asset_script() { return blob(tinyad_asset_dashboard_js, tinyad_asset_dashboard_js_end); }

Dashboard::Dashboard(DashboardInfo info, DashboardOptions options)
    : info_(std::move(info)), options_(options), hub_(options.max_pending) {
  // "</script" cannot occur in our own script; plotly.min.js is inlined by
  // the reports the same way and checked by their tests.
  page_ = std::make_shared<const std::string>(
      fill(dashboard_asset_template(), {{"<!--TINYAD_PLOTLY_JS-->", report_asset_plotly_js()},
                                        {"<!--TINYAD_DASHBOARD_JS-->", dashboard_asset_script()}}));
}

void Dashboard::on_event(const FleetEvent& e) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = devices_.find(e.device);
  if (it == devices_.end()) {
    if (devices_.size() >= options_.max_devices) {
      ++untracked_events_;
      return;
    }
    it = devices_.emplace(e.device, Device{}).first;
  }
  Device& d = it->second;
  switch (e.kind) {
    case FleetEventKind::kVerdict: {
      // NaN: no score yet (written as null, a gap in the timeline).
      const Point p{e.time, e.has_score ? e.score : std::nan(""), e.anomaly};
      d.points.push_back(p);
      while (d.points.size() > options_.history) d.points.pop_front();
      if (e.has_threshold) d.threshold = e.threshold;
      else if (d.points.size() <= 1) d.threshold = info_.threshold;  // the model's until the device has its own
      d.phase = e.baseline;
      ++d.windows;
      d.anomalies += p.anomaly;
      break;
    }
    case FleetEventKind::kAlarmRaised: d.alarm = true; break;
    case FleetEventKind::kAlarmCleared: d.alarm = false; break;
  }
  // The event log's line as it is: the page reads the event log's contract.
  publish_locked(sse_event(fleet_event_name(e.kind), e.json));
}

// Under mutex_: to every browser, and to since_ for the next subscribers of
// the shared snapshot.
void Dashboard::publish_locked(std::string bytes) {
  hub_.publish(bytes);
  if (!since_valid_) return;
  if (since_.size() + bytes.size() > options_.max_since) {
    since_valid_ = false;  // the snapshot is too far behind: the next subscriber rebuilds it
    std::string().swap(since_);
    return;
  }
  since_ += bytes;
}

void Dashboard::forget(const std::string& device) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (devices_.erase(device) == 0) return;
  publish_locked(sse_event("forgotten", dump(nlohmann::json{{"device", device}})));
}

nlohmann::json Dashboard::snapshot_of(const DashboardInfo& info, const DashboardOptions& options,
                                      const std::map<std::string, Device>& devices_in, uint64_t untracked,
                                      double time) {
  nlohmann::json devices = nlohmann::json::array();
  for (const auto& [name, d] : devices_in) {
    nlohmann::json points = nlohmann::json::array();
    for (const Point& p : d.points) {
      points.push_back({p.time, std::isnan(p.score) ? nlohmann::json(nullptr) : nlohmann::json(p.score), p.anomaly ? 1 : 0});
    }
    devices.push_back({{"device", name},
                       {"alarm", d.alarm},
                       {"threshold", d.threshold},
                       {"phase", d.phase},
                       {"windows", d.windows},
                       {"anomalies", d.anomalies},
                       {"points", std::move(points)}});
  }
  return {{"time", time},
          {"model", info.model},
          {"detector", info.detector},
          {"threshold", info.threshold},
          {"alarm", info.alarm},
          {"history", options.history},
          {"max_devices", options.max_devices},
          {"untracked_events", untracked},
          {"devices", std::move(devices)}};
}

nlohmann::json Dashboard::snapshot() const {
  std::map<std::string, Device> copy;
  uint64_t untracked = 0;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    copy = devices_;
    untracked = untracked_events_;
  }
  return snapshot_of(info_, options_, copy, untracked, unix_seconds());
}

// A new /events client: the shared snapshot if it is recent, else one built
// now from a copy (outside mutex_); then the events since, then live events.
HttpResponse Dashboard::subscribe() {
  HttpResponse r;
  std::lock_guard<std::mutex> build(build_mutex_);
  for (int attempt = 0;; ++attempt) {
    std::map<std::string, Device> copy;
    uint64_t untracked = 0;
    int64_t copied_ms = 0;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (snap_ && since_valid_ && steady_ms() - snap_ms_ <= options_.snapshot_max_age_ms) {
        r.stream = hub_.subscribe(snap_, since_);
        return r;
      }
      copy = devices_;  // the only part under the lock: no JSON is built here
      untracked = untracked_events_;
      copied_ms = steady_ms();
      snap_.reset();
      since_.clear();
      since_valid_ = true;
    }
    auto text = std::make_shared<const std::string>(
        "retry: 2000\n\n" +
        sse_event("snapshot", dump(snapshot_of(info_, options_, copy, untracked, unix_seconds()))));
    snapshots_built_.fetch_add(1, std::memory_order_relaxed);
    std::lock_guard<std::mutex> lock(mutex_);
    // since_ overflowed while building (a flood of events): the copy is too
    // old to catch up from. Build again; after a few tries, under the lock.
    if (!since_valid_ && attempt < 2) continue;
    if (!since_valid_) {
      text = std::make_shared<const std::string>(
          "retry: 2000\n\n" +
          sse_event("snapshot", dump(snapshot_of(info_, options_, devices_, untracked_events_, unix_seconds()))));
      r.stream = hub_.subscribe(text, "");
      return r;
    }
    snap_ = text;
    snap_ms_ = copied_ms;
    r.stream = hub_.subscribe(snap_, since_);
    return r;
  }
}

std::optional<HttpResponse> Dashboard::handle(const HttpRequest& req) {
  const std::string_view path = req.path();
  if (path != "/dashboard" && path != "/events") return std::nullopt;
  if (req.method != "GET") {
    HttpResponse r = HttpResponse::text(405, "method " + req.method + " is not served on " + std::string(path) +
                                                 ": use GET\n");
    r.headers.emplace_back("Allow", "GET");
    return r;
  }
  if (path == "/dashboard") {
    HttpResponse r;
    r.content_type = "text/html; charset=utf-8";
    r.shared_body = page_;  // not copied per client
    r.headers.emplace_back("Cache-Control", "no-cache");
    return r;
  }
  return subscribe();
}

}  // namespace tinyad
