// device_emulator.h: a fleet of emulated collection boards for `tinyad
// device`: each is a thread running the firmware's loop (ask for the flag,
// record a window, post it) with firmware_get_flag / firmware_post. Windows
// come from the fan simulator or from a folder of recorded CSV windows.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "device_client.h"

namespace tinyad {

struct DeviceEmulatorOptions {
  DeviceEndpoint server;
  FirmwareTiming timing;
  int devices = 1;
  size_t count = 10;             // windows each device gets stored (0: until the server goes away)
  std::string label = "fan_0_low_0_weight";  // simulator label (when replay is empty)
  std::string replay;            // folder of NNNN.csv windows to send instead (cycled)
  size_t rows = 200;             // readings per simulated window
  uint64_t seed = 1;
  bool realtime = false;         // take 1 s per 200-reading window, as the board does
  int poll_ms = 20;              // pause after a flag 0 or a failed request
  double give_up_s = 10;         // stop when nothing works for this long
  std::string id_prefix = "emu"; // devices are "<prefix>-<k>" (X-Device-Id)
  std::string save_sent;         // folder: keep a CSV copy of every window the server accepted
  bool verbose = false;          // a line per window on stdout
};

struct DeviceEmulatorReport {
  size_t stored = 0;         // posts answered 2xx
  size_t refused = 0;        // posts answered 4xx/5xx
  size_t post_failures = 0;  // posts with no answer (connect failed, timeout)
  size_t flag_ones = 0, flag_zeros = 0, flag_failures = 0;
  size_t devices_gave_up = 0;
  double seconds = 0;
};

/// Runs the fleet until every device has `count` windows stored (or gave up).
/// False only for setup errors (bad label, unreadable replay folder).
bool device_emulator_run(const DeviceEmulatorOptions& opt, DeviceEmulatorReport* report, std::string* err);

}  // namespace tinyad
