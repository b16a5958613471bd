// cmd_device.cpp: `tinyad device --server URL ...`, one or many emulated
// ESP32 collection boards talking the device protocol to `tinyad collect`
// (or to the original server).
#include <cstdio>
#include <memory>

#include "commands.h"
#include "device_emulator.h"
#include "simulator.h"

namespace tinyad::app {

RunFn attach_device(CLI::App* cmd) {
  struct Args {
    DeviceEmulatorOptions opt;
    std::string url, label, state;
    int weight = -1;
    bool moving = false;
  };
  auto a = std::make_shared<Args>();
  cmd->add_option("--server", a->url, "Collect server, e.g. http://127.0.0.1:1337")->required();
  cmd->add_option("--label", a->label, "Simulated label, e.g. fan_0_low_1_weight (default fan_0_low_0_weight)");
  cmd->add_option("--state", a->state, "Simulated fan state: off, low, med or high (with --weight)");
  cmd->add_option("--weight", a->weight, "Coins on a blade: 0 or 1 (with --state)")->check(CLI::Range(0, 1));
  cmd->add_flag("--moving", a->moving, "With --state low --weight 0: the base is moved now and then");
  cmd->add_option("--replay", a->opt.replay, "Send the CSV windows of this folder instead of simulating");
  cmd->add_option("-n,--count", a->opt.count, "Windows each device gets stored (default 10; 0 = until the server stops)");
  cmd->add_option("--devices", a->opt.devices, "Boards to emulate at once (default 1)")->check(CLI::Range(1, 4096));
  cmd->add_option("--seed", a->opt.seed, "Seed of the simulated windows");
  cmd->add_option("--rows", a->opt.rows, "Readings per simulated window (default 200)")->check(CLI::Range(1, 100000));
  cmd->add_flag("--realtime", a->opt.realtime, "Take 1 s to record 200 readings, as a board does");
  cmd->add_option("--timeout-ms", a->opt.timing.response_timeout_ms,
                  "Wait for the first byte of a reply (the firmware's 500 ms)")
      ->check(CLI::Range(1, 600000));
  cmd->add_option("--poll-ms", a->opt.poll_ms, "Pause after a flag 0 or a failed request (default 20)")
      ->check(CLI::Range(0, 600000));
  cmd->add_option("--give-up", a->opt.give_up_s, "Stop a device after this many seconds without progress (default 10)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--id", a->opt.id_prefix, "Device names: ID-0, ID-1, ... sent as X-Device-Id (default emu)");
  cmd->add_option("--save-sent", a->opt.save_sent, "Keep a CSV copy of every window the server accepted here");
  cmd->add_flag("-v,--verbose", a->opt.verbose, "A line per window (with score and verdict when the server is `tinyad serve`)");
  return [a] {
    std::string err;
    if (!device_parse_url(a->url, &a->opt.server, &err)) return fail(err);
    if (!a->state.empty() || a->weight >= 0) {
      if (!a->label.empty()) return fail("give either --label or --state/--weight, not both");
      if (a->state.empty() || a->weight < 0) return fail("--state and --weight go together, e.g. --state low --weight 1");
      a->label = simulator_label_name(a->state, a->weight, a->moving, &err);
      if (a->label.empty()) return fail(err);
    }
    if (!a->label.empty() && !a->opt.replay.empty()) return fail("give either a simulated label or --replay, not both");
    if (!a->label.empty()) a->opt.label = a->label;
    DeviceEmulatorReport r;
    if (!device_emulator_run(a->opt, &r, &err)) return fail(err);
    const double rate = r.seconds > 0 ? double(r.stored) / r.seconds : 0;
    std::printf("%zu windows stored by %d device(s) in %.2f s (%.0f windows/s); %zu refused, %zu posts unanswered; "
                "flags: %zu x 1, %zu x 0, %zu failed\n",
                r.stored, a->opt.devices, r.seconds, rate, r.refused, r.post_failures, r.flag_ones, r.flag_zeros,
                r.flag_failures);
    if (r.devices_gave_up > 0 && a->opt.count > 0) {
      return fail(std::to_string(r.devices_gave_up) + " device(s) gave up: no progress for " +
                  std::to_string(int(a->opt.give_up_s)) + " s (is the server at " + a->url + " collecting?)");
    }
    return 0;
  };
}

}  // namespace tinyad::app
