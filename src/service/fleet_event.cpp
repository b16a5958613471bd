// fleet_event.cpp: see fleet_event.h.
#include "fleet_event.h"

#include <nlohmann/json.hpp>

namespace tinyad {

const char* fleet_event_name(FleetEventKind kind) {
  switch (kind) {
    case FleetEventKind::kVerdict: return "verdict";
    case FleetEventKind::kAlarmRaised: return "alarm_raised";
    case FleetEventKind::kAlarmCleared: return "alarm_cleared";
  }
  return "?";
}

std::string fleet_event_json(const FleetEvent& e) {
  nlohmann::ordered_json j = {{"time", e.time}, {"event", fleet_event_name(e.kind)}, {"device", e.device}};
  if (e.kind == FleetEventKind::kVerdict) {
    if (e.has_score) j["score"] = e.score;
    if (e.has_threshold) j["threshold"] = e.threshold;
    j["anomaly"] = e.anomaly;
    if (!e.baseline.empty()) j["baseline"] = e.baseline;
  } else if (!e.reason.empty()) {
    j["reason"] = e.reason;
  } else {
    j["anomalous"] = e.anomalous;
    j["of"] = e.of;
  }
  return j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

std::string fleet_event_console_line(const FleetEvent& e) {
  if (e.kind == FleetEventKind::kVerdict) return "";
  std::string line = std::string(e.kind == FleetEventKind::kAlarmRaised ? "alarm raised: " : "alarm cleared: ") + e.device;
  if (!e.reason.empty()) return line + " (" + e.reason + ")";
  if (e.kind == FleetEventKind::kAlarmRaised)
    return line + " (" + std::to_string(e.anomalous) + " of its last " + std::to_string(e.of) + " windows anomalous)";
  return line + " (" + std::to_string(e.of - e.anomalous) + " of its last " + std::to_string(e.of) + " windows normal)";
}

}  // namespace tinyad
