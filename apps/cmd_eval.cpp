// cmd_eval.cpp: `tinyad eval`.
#include <cstdio>
#include <memory>

#include "commands.h"
#include "eval.h"
#include "report_model.h"

namespace tinyad::app {

RunFn attach_eval(CLI::App* cmd) {
  struct Args {
    EvalOptions opt;
    std::string model, normal, anomaly, other_normal, columns, report;
    bool json = false;
  };
  auto a = std::make_shared<Args>();
  cmd->add_option("--model", a->model, "Model file (tinyad .json)")->required();
  cmd->add_option("--data", a->opt.data, "Dataset folder: DATA/<label>/<NNNN>.csv")->required();
  cmd->add_option("--normal", a->normal, "Normal label(s), comma-separated")->required();
  cmd->add_option("--columns", a->columns,
                  "The x, y, z columns of CSV files or Edge Impulse sensors, by header name or 1-based number, "
                  "e.g. accX,accY,accZ or 2,3,4 (default: the last three CSV columns; docs/foreign-data.md)");
  cmd->add_option("--anomaly", a->anomaly, "Anomaly label(s), comma-separated");
  cmd->add_option("--other-normal", a->other_normal,
                  "Normal label(s) of other recording sessions: their false alarms are reported on their own, "
                  "never mixed into auc/tpr/fpr");
  cmd->add_option("--report", a->report, "Also write an HTML report (score histograms, ROC, confusion matrix)");
  cmd->add_flag("--json", a->json, "Print one JSON object (auc, threshold, tpr, fpr, confusion, per_label)");
  return [a] {
    Model model;
    std::string err;
    if (!model_load(a->model, &model, &err)) return fail(err);
    a->opt.normal = split_list(a->normal);
    a->opt.columns = split_list(a->columns);
    a->opt.anomaly = split_list(a->anomaly);
    a->opt.other_normal = split_list(a->other_normal);
    EvalResult r;
    if (!eval_run(model, a->opt, &r, &err)) return fail(err);
    warn_skipped(r.skipped);
    if (a->json) std::printf("%s\n", eval_to_json(r).dump().c_str());
    else std::printf("%s", eval_summary(r).c_str());
    if (!a->report.empty() && !report_eval_write(model, r, a->report, &err)) return fail(err);
    return 0;
  };
}

}  // namespace tinyad::app
