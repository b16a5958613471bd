// eval.cpp: see eval.h.
#include "eval.h"

#include <algorithm>
#include <cstdio>

#include "dataset_load.h"
#include "roc.h"
#include "verdict.h"

namespace tinyad {

EvalResult eval_table(const Model& model, const FeatureTable& table, const std::vector<size_t>& normal_rows,
                      const std::vector<size_t>& anomaly_rows) {
  EvalResult r;
  r.threshold = model.threshold.value;
  r.skipped = table.skipped;
  const Eigen::VectorXd scores = model_scores(model, table.X);
  std::vector<double> normal, anomaly;
  auto add = [&](size_t row, bool is_normal) {
    const std::string& label = table.files[row].label;
    auto it = std::find_if(r.per_label.begin(), r.per_label.end(),
                           [&](const LabelResult& l) { return l.label == label; });
    if (it == r.per_label.end()) {
      r.per_label.push_back({label, is_normal, 0, 0, std::nullopt, {}});
      it = r.per_label.end() - 1;
    }
    const double s = scores[Eigen::Index(row)];
    it->n++;
    it->flagged += judge(s, model.threshold).anomaly;
    it->scores.push_back(s);
    (is_normal ? normal : anomaly).push_back(s);
  };
  for (size_t row : normal_rows) add(row, true);
  for (size_t row : anomaly_rows) add(row, false);

  r.n_normal = normal.size();
  r.n_anomaly = anomaly.size();
  r.fp = count_above(normal, r.threshold);
  r.tn = r.n_normal - r.fp;
  r.tp = count_above(anomaly, r.threshold);
  r.fn = r.n_anomaly - r.tp;
  r.fpr = r.n_normal ? double(r.fp) / double(r.n_normal) : 0.0;
  r.tpr = r.n_anomaly ? double(r.tp) / double(r.n_anomaly) : 0.0;
  r.auc = roc_auc(normal, anomaly);
  for (auto& l : r.per_label)
    if (!l.normal) l.auc = roc_auc(normal, l.scores);
  return r;
}

bool eval_run(const Model& model, const EvalOptions& opt, EvalResult* out, std::string* err) {
  if (opt.normal.empty()) {
    *err = "no --normal label given";
    return false;
  }
  if (!labels_disjoint(opt.normal, opt.anomaly, err)) return false;
  std::vector<std::string> labels = opt.normal;
  labels.insert(labels.end(), opt.anomaly.begin(), opt.anomaly.end());
  // The model's own training and calibration files are never scored again,
  // wherever the dataset now lies (split.h says how they are recognised).
  const DatasetSelection selection = model.split ? selection_excluding(*model.split) : selection_all();
  DatasetLoadOptions load;
  load.needed = opt.normal;  // no false-alarm rate, no AUC without normal windows
  load.progress = opt.progress;
  load.read.columns = opt.columns;
  LoadedDataset loaded;
  if (!dataset_load(opt.data, labels, model.recipe.core, selection, load, &loaded, err)) return false;
  const FeatureTable& table = loaded.table;
  *out = eval_table(model, table, rows_with_labels(table, opt.normal), rows_with_labels(table, opt.anomaly));
  out->n_excluded = loaded.n_excluded;
  return true;
}

nlohmann::json eval_to_json(const EvalResult& r) {
  using nlohmann::json;
  auto opt = [](const std::optional<double>& v) { return v ? json(*v) : json(nullptr); };
  json per_label = json::object();
  for (const auto& l : r.per_label)
    per_label[l.label] = {{"n", l.n}, {"flagged", l.flagged}, {"auc", opt(l.auc)}, {"normal", l.normal}};
  return {{"auc", opt(r.auc)},
          {"threshold", r.threshold},
          {"tpr", r.tpr},
          {"fpr", r.fpr},
          {"confusion", {{r.tn, r.fp}, {r.fn, r.tp}}},
          {"n_normal", r.n_normal},
          {"n_anomaly", r.n_anomaly},
          {"n_excluded", r.n_excluded},
          {"n_skipped", r.skipped.size()},
          {"per_label", per_label}};
}

std::string eval_summary(const EvalResult& r) {
  std::string out;
  char buf[256];
  auto fmt_auc = [](const std::optional<double>& a) {
    char b[16];
    if (a) std::snprintf(b, sizeof b, "%.3f", *a);
    else std::snprintf(b, sizeof b, "-");
    return std::string(b);
  };
  std::snprintf(buf, sizeof buf, "%-32s %6s %8s %7s %6s\n", "label", "n", "flagged", "rate", "auc");
  out += buf;
  for (const auto& l : r.per_label) {
    std::snprintf(buf, sizeof buf, "%-32s %6zu %8zu %6.1f%% %6s%s\n", l.label.c_str(), l.n, l.flagged,
                  l.n ? 100.0 * double(l.flagged) / double(l.n) : 0.0, fmt_auc(l.auc).c_str(),
                  l.normal ? "  (normal)" : "");
    out += buf;
  }
  std::snprintf(buf, sizeof buf,
                "threshold %.6g: detected %zu/%zu anomalous windows (tpr %.3f), %zu/%zu false alarms "
                "(fpr %.3f); auc %s\n",
                r.threshold, r.tp, r.n_anomaly, r.tpr, r.fp, r.n_normal, r.fpr, fmt_auc(r.auc).c_str());
  out += buf;
  if (r.n_excluded) {
    std::snprintf(buf, sizeof buf, "%zu training/validation files of the model were not scored\n", r.n_excluded);
    out += buf;
  }
  if (!r.skipped.empty()) {
    std::snprintf(buf, sizeof buf, "%zu malformed files skipped\n", r.skipped.size());
    out += buf;
  }
  return out;
}

}  // namespace tinyad
