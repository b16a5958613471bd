// fleet_event.h: what the fleet monitor tells its listeners (the event log,
// the live dashboard, the MQTT alarm topics): one typed event per verdict and
// per alarm raise/clear, carrying the JSON line of the event-log contract,
// made once where the event is made. Listeners switch on `kind` and read the
// fields; none of them searches or parses the line. What it avoids: any
// knowledge of who listens or how the line is carried.
#pragma once

#include <functional>
#include <string>

namespace tinyad {

enum class FleetEventKind { kVerdict, kAlarmRaised, kAlarmCleared };

/// The event-log name of a kind: "verdict", "alarm_raised", "alarm_cleared".
const char* fleet_event_name(FleetEventKind kind);

struct FleetEvent {
  FleetEventKind kind = FleetEventKind::kVerdict;
  double time = 0;  // s since the Unix epoch, when the monitor made the event
  std::string device;
  // kVerdict: the window's verdict. A score or threshold the window does not
  // have (a device still learning its baseline) has has_* false.
  bool has_score = false, has_threshold = false;
  double score = 0, threshold = 0;
  bool anomaly = false;
  std::string baseline;  // "" without --learn, else "fleet", "learning", "calibrating", "own"
  // kAlarmRaised / kAlarmCleared by the k/n rule: anomalous windows among the
  // last `of`. `reason` is set instead when something else cleared the alarm
  // (a baseline reset).
  int anomalous = 0, of = 0;
  std::string reason;
  std::string json;  // the event-log line (no newline), from fleet_event_json
};

/// The event-log line of `e` (one JSON object, no newline). Fields a verdict
/// does not have are left out rather than null: event readers default them.
std::string fleet_event_json(const FleetEvent& e);

/// The serve console's line for an alarm event: "alarm raised: fan-1 (3 of
/// its last 5 windows anomalous)", "alarm cleared: fan-1 (...)" or with the
/// reason; "" for a verdict (one line per window would drown the console).
std::string fleet_event_console_line(const FleetEvent& e);

/// Gets every event, in the order they happened for each device. Called
/// without any lock of the monitor held: it may call back into the service.
/// Events of different devices may arrive at once from several threads.
using FleetEventSink = std::function<void(const FleetEvent& event)>;

}  // namespace tinyad
