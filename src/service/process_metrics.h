// process_metrics.h: the process_* metrics Prometheus clients conventionally
// export (resident memory, CPU seconds, start time, open and maximum file
// descriptors), read from Linux's /proc/self. What it avoids: any state; a
// value it cannot read is left out rather than made up.
#pragma once

#include <string>

namespace tinyad {

/// The process_* families as Prometheus text exposition; "" where /proc is
/// missing (not Linux).
std::string process_metrics_text();

}  // namespace tinyad
