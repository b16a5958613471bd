// cmd_score.cpp: `tinyad score`: one line per CSV window.
#include <cstdio>
#include <memory>

#include "commands.h"
#include "core_model.h"
#include "window_cut.h"
#include "window_file.h"
#include "feature_table.h"
#include "window_features.h"
#include "model.h"
#include "verdict.h"

namespace tinyad::app {

RunFn attach_score(CLI::App* cmd) {
  struct Args {
    std::string model;
    std::vector<std::string> files;
    bool json = false;
  };
  auto a = std::make_shared<Args>();
  cmd->add_option("--model", a->model, "Model file (tinyad .json)")->required();
  cmd->add_option("files", a->files, "Window files (CSV x, y, z rows, or JSON; docs/foreign-data.md); a file of several whole windows gives one line per window, path#k")->required();
  cmd->add_flag("--json", a->json, "One JSON object per line: path, score, threshold, anomaly");
  return [a] {
    Model model;
    std::string err;
    CoreModel<double> core;  // the scorer serve uses, so both give the same verdicts
    if (!model_load(a->model, &model, &err) || !core_model_build(model, &core, &err)) return fail(err);
    int status = 0;
    std::vector<double> rows, part, features;
    for (const std::string& path : a->files) {
      WindowFileInfo info;  // any window file train reads (window_file.h)
      if (!window_file_read(path, {}, &rows, &info, &err)) {
        status = fail(err);  // keep going: report every bad file, exit non-zero
        continue;
      }
      // A file of several whole windows is cut as train and eval cut it
      // (window_cut.h): one line per window, "path#k".
      const size_t n_windows = window_count(rows.size(), size_t(model.recipe.core.window));
      for (size_t k = 0; k < n_windows; ++k) {
        const std::string name = window_name(path, k, n_windows);
        window_part(rows, size_t(model.recipe.core.window), k, n_windows, &part);
        if (!window_features(model.recipe.core, part, name, &features, &err)) {
          status = fail(err);
          continue;
        }
        const WindowVerdict v = judge_features(core, model.threshold, features.data(), features.size());
        if (a->json) {
          nlohmann::json j = {{"path", name}, {"score", v.score}, {"threshold", v.threshold}, {"anomaly", v.anomaly}};
          std::printf("%s\n", j.dump().c_str());
        } else {
          std::printf("%s %.6g %s\n", name.c_str(), v.score, v.anomaly ? "anomaly" : "normal");
        }
      }
    }
    return status;
  };
}

}  // namespace tinyad::app
