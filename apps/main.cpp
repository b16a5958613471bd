// main.cpp: `tinyad`, one binary with subcommands (a table, as in DESIGN.md).
#include <cstdio>

#include "commands.h"

namespace tinyad::app {

int fail(const std::string& msg) {
  std::fprintf(stderr, "tinyad: error: %s\n", msg.c_str());
  return 1;
}

void warn(const std::string& msg) { std::fprintf(stderr, "tinyad: warning: %s\n", msg.c_str()); }

void warn_skipped(const std::vector<std::string>& skipped) {
  constexpr size_t kShown = 5;
  for (size_t i = 0; i < skipped.size() && i < kShown; ++i) warn("skipped " + skipped[i]);
  if (skipped.size() > kShown) warn("... and " + std::to_string(skipped.size() - kShown) + " more files skipped");
}

namespace {

struct Command {
  const char* name;
  const char* summary;
  RunFn (*attach)(CLI::App*);
};

const Command kCommands[] = {
    {"demo", "Quick start: train and evaluate on a dataset, print a summary", attach_demo},
    {"analyze", "Write an HTML report on which features separate normal from anomalous windows", attach_analyze},
    {"train", "Train a detector on normal windows and write a model file", attach_train},
    {"eval", "Evaluate a model on labelled windows (held-out files only)", attach_eval},
    {"score", "Score CSV windows with a model: path, score, verdict", attach_score},
    {"convert", "Convert models between .json (tinyad), .npz, .h5 (read only) and .tflite", attach_convert},
    {"export", "Write C headers for a microcontroller: model constants and self-test windows", attach_export},
    {"simulate", "Write a synthetic fan dataset (DIR/<label>/NNNN.csv) from a calibrated model", attach_simulate},
    {"collect", "Data collection server for the device firmware: stores posted windows as NNNN.csv", attach_collect},
    {"device", "Emulate ESP32 collection boards posting windows to a collect server", attach_device},
    {"serve", "Inference service for a fleet: windows scored over HTTP and MQTT, alarms, baselines, live /dashboard",
     attach_serve},
    {"window-json", "Print a window file as the JSON body a board posts (for curl or mosquitto_pub)",
     attach_window_json},
};

}  // namespace
}  // namespace tinyad::app

int main(int argc, char** argv) {
  using namespace tinyad::app;
  CLI::App app{"tinyad: anomaly detection for machine vibration, from recordings to verdicts"};
  app.set_version_flag("--version", std::string("tinyad ") + TINYAD_VERSION);
  app.require_subcommand(1);
  std::vector<std::pair<CLI::App*, RunFn>> runs;
  for (const Command& c : kCommands) {
    CLI::App* sub = app.add_subcommand(c.name, c.summary);
    runs.emplace_back(sub, c.attach(sub));
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  for (auto& [sub, run] : runs)
    if (sub->parsed()) return run();
  return 2;
}
