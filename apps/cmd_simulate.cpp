// cmd_simulate.cpp: `tinyad simulate -o DIR`, a synthetic fan dataset in the
// layout DIR/<label>/NNNN.csv (model and calibration: docs/simulator.md).
#include <cstdio>
#include <memory>

#include "commands.h"
#include "dataset.h"
#include "simulator.h"

namespace tinyad::app {

RunFn attach_simulate(CLI::App* cmd) {
  struct Args {
    SimulateOptions opt;
    std::string labels;
    bool list = false;
  };
  auto a = std::make_shared<Args>();
  cmd->add_option("-o,--output", a->opt.out, "Dataset folder to write (created if missing)");
  cmd->add_option("--labels", a->labels, "Labels to write, comma-separated (default: all; see --list)");
  cmd->add_option("-n,--windows", a->opt.windows, "Windows per label (default 300)")->check(CLI::Range(1, 10000));
  cmd->add_option("--rows", a->opt.rows, "Readings per window (default 200: 1 s at 200 Hz)")
      ->check(CLI::Range(1, 100000));
  cmd->add_option("--rate", a->opt.rate_hz,
                  "Sampling rate in Hz (default 200); lines above rate/2 alias as on a real logger without "
                  "an anti-alias filter (docs/foreign-data.md)")
      ->check(CLI::Range(1.0, 1e5));
  cmd->add_option("--seed", a->opt.seed, "Seed (same seed, same files on every machine)");
  cmd->add_flag("--list", a->list, "List the labels and their rotation frequencies, then exit");
  return [a] {
    if (a->list) {
      for (const FanLabel& l : simulator_labels()) {
        std::printf("%-28s rotation %4.1f Hz  gravity (%.3f, %.3f, %.3f) g\n", l.name.c_str(),
                    simulator_rotation_hz(l.name), l.gravity[0], l.gravity[1], l.gravity[2]);
      }
      return 0;
    }
    if (a->opt.out.empty()) return fail("simulate: give the dataset folder to write with -o DIR");
    a->opt.labels = split_list(a->labels);
    std::string err;
    if (!simulate_dataset(a->opt, &err)) return fail(err);
    const size_t n_labels = a->opt.labels.empty() ? simulator_labels().size() : a->opt.labels.size();
    std::printf("simulated %zu labels x %zu windows of %zu readings at %g Hz into %s (seed %llu)\n", n_labels,
                a->opt.windows, a->opt.rows, a->opt.rate_hz, a->opt.out.c_str(),
                static_cast<unsigned long long>(a->opt.seed));
    return 0;
  };
}

}  // namespace tinyad::app
