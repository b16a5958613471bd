// inference_service.cpp: see inference_service.h.
#include "inference_service.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>

namespace tinyad {
namespace {

// The peer's address without its port: a device reconnects from a new port
// for every window and must stay one device.
std::string peer_host(const HttpPeer& peer) {
  const size_t colon = peer.address.rfind(':');
  return colon == std::string::npos ? peer.address : peer.address.substr(0, colon);
}

// Whether `path` is served by the route path `pattern`; a "<id>" in it
// matches one non-empty stretch, given %XX-decoded in *param.
bool route_matches(std::string_view pattern, std::string_view path, std::string* param) {
  const size_t at = pattern.find("<id>");
  if (at == std::string_view::npos) return pattern == path;
  const std::string_view head = pattern.substr(0, at), tail = pattern.substr(at + 4);
  if (path.size() <= head.size() + tail.size() || !path.starts_with(head) || !path.ends_with(tail)) return false;
  if (path.substr(head.size(), path.size() - head.size() - tail.size()).find('/') != std::string_view::npos)
    return false;  // one segment: /devices/<id> is not /devices/<id>/baseline
  *param = http_percent_decode(path.substr(head.size(), path.size() - head.size() - tail.size()));
  return true;
}

// A number, or null for a value the device does not have.
nlohmann::ordered_json number_or_null(bool has, double v) {
  return has && std::isfinite(v) ? nlohmann::ordered_json(v) : nlohmann::ordered_json(nullptr);
}

std::string join(const std::vector<std::string>& parts, const char* sep) {
  std::string out;
  for (const std::string& p : parts) out += (out.empty() ? "" : sep) + p;
  return out;
}

}  // namespace

const std::vector<InferenceService::Route> InferenceService::kRoutes = {
    {"GET", "/", &InferenceService::get_flag},
    {"POST", "/", &InferenceService::post_window},
    {"GET", "/healthz", &InferenceService::get_healthz},
    {"GET", "/metrics", &InferenceService::get_metrics},
    {"GET", "/devices", &InferenceService::get_devices},
    {"DELETE", "/devices/<id>/baseline", &InferenceService::delete_baseline},
    {"DELETE", "/devices/<id>", &InferenceService::delete_device},
    {"POST", "/devices/<id>/commission", &InferenceService::delete_baseline},
};

InferenceService::InferenceService(Model model, InferenceOptions options, FleetEventSink events, Log log)
    : monitor_(std::move(model), options, std::move(events), std::move(log)),
      other_paths_(std::move(options.other_paths)) {}

void InferenceService::on_rejected(const HttpPeer& peer, int status, const std::string& reason) {
  monitor_.note_refused(peer.address, "", status, reason);
}

HttpResponse InferenceService::refuse(const Call& c, int status, const std::string& reason) {
  monitor_.note_refused(c.peer.address, c.device, status, reason);
  return HttpResponse::text(status, reason + "\n");
}

HttpResponse InferenceService::handle(const HttpRequest& req, const HttpPeer& peer) {
  const auto t0 = std::chrono::steady_clock::now();
  const std::string* id = req.header("x-device-id");
  HttpResponse r = dispatch(req, peer, id ? *id : "");  // checked by the monitor (device_id.h)
  latency_.observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  return r;
}

// The route for the method and path; 405 (with Allow) when the path is
// served with other methods, 404 (naming every path) when it is not served.
HttpResponse InferenceService::dispatch(const HttpRequest& req, const HttpPeer& peer, const std::string& device) {
  Call c{req, peer, device, ""};
  std::vector<std::string> allowed;
  for (const Route& route : kRoutes) {
    if (!route_matches(route.path, req.path(), &c.param)) continue;
    if (req.method != route.method) {
      allowed.push_back(route.method);
      continue;
    }
    // Anything that changes state (windows raise alarms, resets suppress
    // them) is refused to web pages of other sites (http_is_cross_site).
    if (req.method != "GET" && http_is_cross_site(req))
      return refuse(c, 403, "a cross-site request from a web page: refused");
    return (this->*route.handler)(c);
  }
  if (allowed.empty()) {
    return refuse(c, 404, "no such path " + req.target + ": the service answers " + served_paths());
  }
  HttpResponse r = refuse(c, 405, "method " + req.method + " is not served on " + std::string(req.path()) +
                                      ": use " + join(allowed, " or "));
  r.headers.emplace_back("Allow", join(allowed, ", "));
  return r;
}

// Every path of the route table, in its order, the methods named for paths
// that do not answer GET; then the paths answered in front of the service.
std::string InferenceService::served_paths() const {
  std::vector<std::string> paths;
  std::map<std::string, std::vector<std::string>> methods;
  for (const Route& route : kRoutes) {
    if (methods.find(route.path) == methods.end()) paths.push_back(route.path);
    methods[route.path].push_back(route.method);
  }
  std::vector<std::string> shown;
  for (const std::string& p : paths) {
    const std::vector<std::string>& m = methods[p];
    const bool get = std::find(m.begin(), m.end(), "GET") != m.end();
    shown.push_back(get ? p : p + " (" + join(m, ", ") + ")");
  }
  for (const std::string& p : other_paths_) shown.push_back(p);
  return join(shown, ", ");
}

HttpResponse InferenceService::get_flag(const Call&) {
  // Status line, exactly two header lines, blank line, one digit: the
  // firmware skips four lines and reads the flag.
  HttpResponse r;
  r.body = ready() ? "1" : "0";
  r.bare_head = true;
  return r;
}

HttpResponse InferenceService::post_window(const Call& c) {
  if (!ready()) return refuse(c, 503, "not serving yet: wait for the ready flag 1");
  const std::string* type = c.req.header("content-type");
  if (!http_is_json_content_type(type)) return refuse(c, 415, http_content_type_refusal(type));
  // The monitor counts and logs its own refusals.
  const WindowResult w = monitor_.process_window(c.device, c.req.body, peer_host(c.peer), c.peer.address);
  if (!w.ok()) return HttpResponse::text(window_error_status(w.error), w.message + "\n");
  HttpResponse r;
  r.content_type = "application/json";
  r.body = w.json;
  return r;
}

HttpResponse InferenceService::get_healthz(const Call&) {
  return ready() ? HttpResponse::text(200, "ok\n") : HttpResponse::text(503, "not ready\n");
}

HttpResponse InferenceService::get_metrics(const Call&) {
  HttpResponse r;
  r.content_type = "text/plain; version=0.0.4";
  r.body = metrics_text();
  return r;
}

HttpResponse InferenceService::get_devices(const Call&) {
  HttpResponse r;
  r.content_type = "application/json";
  r.body = devices_json() + "\n";
  return r;
}

HttpResponse InferenceService::delete_baseline(const Call& c) {
  std::string err;
  if (!monitor_.reset_baseline(c.param, &err)) return refuse(c, 404, err);
  HttpResponse r;
  r.content_type = "application/json";
  const auto& b = monitor_.options().baselines;
  r.body = nlohmann::json({{"device", c.param}, {"phase", b->phase_name(BaselinePhase::kLearning)}})
               .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) +
           "\n";
  return r;
}

HttpResponse InferenceService::delete_device(const Call& c) {
  std::string err;
  if (!monitor_.forget(c.param, &err)) return refuse(c, 404, err);
  HttpResponse r;
  r.content_type = "application/json";
  r.body = nlohmann::json({{"device", c.param}, {"forgotten", true}})
               .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) +
           "\n";
  return r;
}

std::string InferenceService::metrics_text() const { return fleet_metrics_text(monitor_, latency_); }

std::string InferenceService::devices_json() const {
  struct Row {
    const char* phase = "fleet";
    uint32_t learned = 0, calibrated = 0;
    bool has_threshold = false;
    double threshold = 0;
    bool alarm = false;
    double last_score = std::nan("");
  };
  const FleetMonitorOptions& o = monitor_.options();
  std::map<std::string, Row> rows;
  if (o.baselines) {
    for (const BaselineInfo& b : o.baselines->list()) {
      Row& r = rows[b.device];
      r.phase = o.baselines->phase_name(b.phase);
      r.learned = b.learned;
      r.calibrated = b.calibrated;
      r.has_threshold = b.phase == BaselinePhase::kMonitoring;
      r.threshold = b.threshold;
    }
  }
  for (const TrackedDevice& d : monitor_.tracked()) {
    rows[d.device].alarm = d.alarm;
    rows[d.device].last_score = d.last_score;
  }
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (auto& [device, r] : rows) {
    if (!r.has_threshold && o.fleet_model) {  // judged by the fleet model for now
      r.has_threshold = true;
      r.threshold = monitor_.model().threshold.value;
    }
    nlohmann::ordered_json j = {{"device", device}, {"phase", r.phase}};
    if (o.baselines) {
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

}  // namespace tinyad
