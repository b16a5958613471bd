// cmd_demo.cpp: `tinyad demo`: the quick start. Trains the original recipe
// and the default one on the dataset's normal label and shows what each
// catches, including false alarms on normal windows of another session.
#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string_view>
#include <vector>

#include "commands.h"
#include "dataset.h"
#include "simulator.h"
#include "train.h"

namespace tinyad::app {

void print_train_summary(const TrainOptions& opt, const TrainResult& r, const std::string& path);

namespace {

// The ceiling-fan dataset's protocol: normal = low speed while the base was
// moved; anomalies = other speeds and a coin on a blade; another session of
// the same normal state shows false alarms.
const char* kNormal = "fan_0_low_0_weight-moving";
const char* kOtherSession = "fan_0_low_0_weight";
const char* kAnomalies =
    "fan_0_med_0_weight,fan_0_high_0_weight,fan_0_low_1_weight,fan_0_med_1_weight,fan_0_high_1_weight";

// `s` as one shell word: as is when it is plainly safe, else single-quoted.
std::string shell_word(const std::string& s) {
  const bool plain = !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || std::string_view("/._-+,:=@").find(c) != std::string_view::npos;
  });
  if (plain) return s;
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

// How the user reaches this binary from where they are: its path relative to
// the working folder (build/tinyad after `make demo`), so the closing hint
// runs as printed; "tinyad" when that cannot be told.
std::string this_binary() {
  std::error_code ec;
  const auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return "tinyad";
  const auto rel = std::filesystem::relative(exe, std::filesystem::current_path(ec), ec);
  if (ec || rel.empty()) return exe.string();
  const std::string r = rel.string();
  return r.find('/') == std::string::npos ? "./" + r : r;
}

// The first window file (by name) of `label` in `data`, "" when there is none.
std::string first_window(const std::string& data, const std::string& label) {
  std::vector<std::string> files;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(std::filesystem::path(data) / label, ec))
    if (e.is_regular_file() && e.path().extension() == ".csv") files.push_back(e.path().string());
  return files.empty() ? "" : *std::min_element(files.begin(), files.end());
}

}  // namespace

RunFn attach_demo(CLI::App* cmd) {
  struct Args {
    std::string data, out = "tinyad-demo", normal = kNormal, anomaly = kAnomalies, other = kOtherSession;
  };
  auto a = std::make_shared<Args>();
  cmd->add_option("--data", a->data, "Dataset folder (default: $TINYAD_DATA, else a simulated fan)");
  cmd->add_option("--normal", a->normal, "Normal label to train on");
  cmd->add_option("--anomaly", a->anomaly, "Anomaly labels, comma-separated");
  cmd->add_option("--other-normal", a->other, "Normal label from another session (false-alarm check)");
  cmd->add_option("-o,--output", a->out, "Folder for the trained models");
  return [a] {
    if (a->data.empty() && std::getenv("TINYAD_DATA")) a->data = std::getenv("TINYAD_DATA");
    std::error_code ec;
    std::filesystem::create_directories(a->out, ec);
    if (ec) return fail(a->out + ": " + ec.message());
    if (a->data.empty()) {
      // No recordings: simulate the fan (docs/simulator.md) so the quick
      // start runs on a fresh machine; the labels are the real dataset's.
      SimulateOptions so;
      so.out = a->out + "/simulated-data";
      std::string err;
      if (!simulate_dataset(so, &err)) return fail(err);
      std::printf("no --data or TINYAD_DATA: simulated %zu windows per label into %s (tinyad simulate)\n\n",
                  so.windows, so.out.c_str());
      a->data = so.out;
    }
    for (const char* recipe : {"original", "default"}) {
      TrainOptions opt;
      opt.data = a->data;
      opt.normal = {a->normal};
      opt.anomaly = split_list(a->anomaly);
      opt.recipe = recipe;
      TrainResult r;
      std::string err;
      std::printf("== recipe %s ==\n", recipe);
      if (!train_run(opt, &r, &err)) return fail(err);
      warn_skipped(r.skipped);
      const std::string path = a->out + "/" + recipe + ".json";
      if (!model_save(r.model, path, &err)) return fail(err);
      print_train_summary(opt, r, path);
      if (!a->other.empty()) {
        EvalOptions eo{a->data, {a->other}, {}, true};
        EvalResult er;
        if (!eval_run(r.model, eo, &er, &err)) return fail(err);
        std::printf("false alarms on %s (another session, normal): %zu/%zu (%.1f%%)\n", a->other.c_str(), er.fp,
                    er.n_normal, er.n_normal ? 100.0 * double(er.fp) / double(er.n_normal) : 0.0);
      }
      std::printf("\n");
    }
    // A command that runs as printed: this binary, the model just written and
    // a real window of the first anomaly label.
    const std::vector<std::string> anomalies = split_list(a->anomaly);
    std::string window = anomalies.empty() ? "" : first_window(a->data, anomalies.front());
    if (window.empty()) window = first_window(a->data, a->normal);
    std::printf("next: %s score --model %s %s\n", shell_word(this_binary()).c_str(),
                shell_word(a->out + "/default.json").c_str(), window.empty() ? "WINDOW.csv" : shell_word(window).c_str());
    return 0;
  };
}

}  // namespace tinyad::app
