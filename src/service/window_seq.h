// window_seq.h: a device's own window ids for `serve --nats` (nats_bridge.h,
// docs/fleet.md): the "seq" number a device puts in its window JSON, and
// which of a device's numbers were answered, so a window it sends again is
// answered once. What it avoids: any parsing of the readings (the window
// is parsed once, by the monitor).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tinyad {

/// The top-level "seq" number of a window's JSON (a key: preceded by '{'
/// or ',' and followed by ':'); 0 when there is none.
uint64_t window_seq(std::string_view json);

/// Which of a device's sequence numbers were answered: all up to `high`
/// except the `gaps`, ranges skipped when a later number came first (windows
/// lost on the way that the device sends again). At most kMaxGaps ranges,
/// the oldest forgotten. A number kRestartBelow or more below `high` means
/// the device started counting again (a reboot).
struct DeviceSeqs {
  static constexpr size_t kMaxGaps = 16;
  static constexpr uint64_t kRestartBelow = 1000;
  uint64_t high = 0;
  std::vector<std::pair<uint64_t, uint64_t>> gaps;  // [first, last], ascending

  /// True (and recorded) when `seq` was not answered before.
  bool accept(uint64_t seq);
  /// "high[,first-last...]" (the Tinyad-Seq header), and back.
  std::string text() const;
  void parse(const char* text);
};

}  // namespace tinyad
