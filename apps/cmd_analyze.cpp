// cmd_analyze.cpp: `tinyad analyze`: one HTML page that shows which features
// tell the normal labels from the anomalous ones (see report_analysis.h).
#include <chrono>
#include <cstdio>
#include <memory>

#include "commands.h"
#include "dataset.h"
#include "report_analysis.h"
#include "report_html.h"

namespace tinyad::app {

RunFn attach_analyze(CLI::App* cmd) {
  struct Args {
    AnalysisOptions opt;
    std::string normal, anomaly, out;
    size_t splits = 3;
  };
  auto a = std::make_shared<Args>();
  cmd->add_option("--data", a->opt.data, "Dataset folder: DATA/<label>/<NNNN>.csv")->required();
  cmd->add_option("--normal", a->normal,
                  "Normal label(s), comma-separated; the first trains the feature-set check, "
                  "the others count as unseen normal sessions")
      ->required();
  cmd->add_option("--anomaly", a->anomaly, "Anomaly label(s), comma-separated")->required();
  cmd->add_option("--window", a->opt.window, "Rows used from the start of each recording")
      ->capture_default_str();
  cmd->add_option("--rate", a->opt.sample_rate, "Sample rate in Hz (frequency axis of the spectra)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--splits", a->splits, "Seeded train/validation/test splits per feature set in the detector check")
      ->capture_default_str()
      ->check(CLI::Range(1, 100));
  cmd->add_option("-o,--output", a->out, "HTML report to write")->required();
  return [a] {
    const auto start = std::chrono::steady_clock::now();
    a->opt.normal = split_list(a->normal);
    a->opt.anomaly = split_list(a->anomaly);
    a->opt.seeds.clear();
    for (size_t s = 0; s < a->splits; ++s) a->opt.seeds.push_back(s);
    nlohmann::json data;
    std::string err;
    if (!analysis_report_data(a->opt, &data, &err)) return fail(err);
    if (!report_write_html(a->out, data, &err)) return fail(err);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const auto& rec = data["feature_sets"]["recommended"];
    std::string groups;
    for (const auto& g : rec) groups += (groups.empty() ? "" : ", ") + g.get<std::string>();
    std::string by_session;
    for (const auto& g : data["ranking"]["groups_by_session_relative"]) {
      char buf[96];
      std::snprintf(buf, sizeof buf, "%s%s %.2f", by_session.empty() ? "" : ", ",
                    g["group"].get<std::string>().c_str(), g["session_relative"].get<double>());
      by_session += buf;
    }
    std::printf("feature groups by anomaly shift / normal session spread (mean over the group's features): %s\n",
                by_session.c_str());
    const size_t n_bad = data["dataset"]["n_bad"].get<size_t>();
    if (a->opt.normal.size() < 2)
      warn("one normal label: session drift is not measured; add a normal label from another recording session");
    if (n_bad) warn(std::to_string(n_bad) + " files could not be used (listed in the report)");
    std::printf("recommended feature groups: %s\nto train on them:\n  %s\nanalysis written to %s (%.1f s)\n",
                groups.c_str(), data["train_command"].get<std::string>().c_str(), a->out.c_str(), seconds);
    return 0;
  };
}

}  // namespace tinyad::app
