// cmd_score.cpp: `tinyad score`: one line per CSV window.
#include <cstdio>
#include <memory>

#include "commands.h"
#include "core_model.h"
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
  cmd->add_option("files", a->files, "CSV windows (x, y, z rows)")->required();
  cmd->add_flag("--json", a->json, "One JSON object per line: path, score, threshold, anomaly");
  return [a] {
    Model model;
    std::string err;
    CoreModel<double> core;  // the scorer serve uses, so both give the same verdicts
    if (!model_load(a->model, &model, &err) || !core_model_build(model, &core, &err)) return fail(err);
    int status = 0;
    std::vector<double> rows, features;
    for (const std::string& path : a->files) {
      WindowFileInfo info;  // any window file train reads (window_file.h); its first window is scored
      if (!window_file_read(path, {}, &rows, &info, &err) ||
          !window_features(model.recipe.core, rows, path, &features, &err)) {
        status = fail(err);  // keep going: report every bad file, exit non-zero
        continue;
      }
      const WindowVerdict v = judge_features(core, model.threshold, features.data(), features.size());
      if (a->json) {
        nlohmann::json j = {{"path", path}, {"score", v.score}, {"threshold", v.threshold}, {"anomaly", v.anomaly}};
        std::printf("%s\n", j.dump().c_str());
      } else {
        std::printf("%s %.6g %s\n", path.c_str(), v.score, v.anomaly ? "anomaly" : "normal");
      }
    }
    return status;
  };
}

}  // namespace tinyad::app
