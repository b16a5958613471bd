// fleet_event.cpp: see fleet_event.h.
#include "fleet_event.h"

#include "json_line.h"

namespace tinyad {

const char* fleet_event_name(FleetEventKind kind) {
  switch (kind) {
    case FleetEventKind::kVerdict: return "verdict";
    case FleetEventKind::kAlarmRaised: return "alarm_raised";
    case FleetEventKind::kAlarmCleared: return "alarm_cleared";
  }
  return "?";
}

// One per window: written directly (json_line.h), in nlohmann's layout as before.
std::string fleet_event_json(const FleetEvent& e) {
  std::string out;
  out.reserve(160 + e.device.size());
  out += "{\"time\":";
  json_append_number(&out, e.time);
  out += ",\"event\":\"";
  out += fleet_event_name(e.kind);
  out += "\",\"device\":";
  json_append_string(&out, e.device);
  if (e.kind == FleetEventKind::kVerdict) {
    if (e.has_score) {
      out += ",\"score\":";
      json_append_number(&out, e.score);
    }
    if (e.has_threshold) {
      out += ",\"threshold\":";
      json_append_number(&out, e.threshold);
    }
    out += e.anomaly ? ",\"anomaly\":true" : ",\"anomaly\":false";
    if (!e.baseline.empty()) {
      out += ",\"baseline\":";
      json_append_string(&out, e.baseline);
    }
  } else if (!e.reason.empty()) {
    out += ",\"reason\":";
    json_append_string(&out, e.reason);
  } else {
    out += ",\"anomalous\":" + std::to_string(e.anomalous) + ",\"of\":" + std::to_string(e.of);
  }
  out += '}';
  return out;
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
