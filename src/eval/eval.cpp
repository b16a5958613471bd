// eval.cpp: see eval.h.
#include "eval.h"

#include <algorithm>
#include <cstdio>

#include "dataset_load.h"
#include "roc.h"
#include "verdict.h"

namespace tinyad {

namespace {

// The result of `label` in `list`, appended when missing.
LabelResult& label_entry(std::vector<LabelResult>* list, const std::string& label, bool is_normal) {
  auto it = std::find_if(list->begin(), list->end(), [&](const LabelResult& l) { return l.label == label; });
  if (it != list->end()) return *it;
  list->push_back({label, is_normal, 0, 0, std::nullopt, {}});
  return list->back();
}

}  // namespace

EvalResult eval_table(const Model& model, const FeatureTable& table, const std::vector<size_t>& normal_rows,
                      const std::vector<size_t>& anomaly_rows, const std::vector<size_t>& other_normal_rows) {
  EvalResult r;
  r.threshold = model.threshold.value;
  r.skipped = table.skipped;
  const Eigen::VectorXd scores = model_scores(model, table.X);
  std::vector<double> normal, anomaly;
  auto add = [&](size_t row, bool is_normal) {
    LabelResult& l = label_entry(&r.per_label, table.files[row].label, is_normal);
    const double s = scores[Eigen::Index(row)];
    l.n++;
    l.flagged += judge(s, model.threshold).anomaly;
    l.scores.push_back(s);
    (is_normal ? normal : anomaly).push_back(s);
  };
  for (size_t row : normal_rows) add(row, true);
  for (size_t row : anomaly_rows) add(row, false);
  for (size_t row : other_normal_rows) {
    LabelResult& l = label_entry(&r.other_normal, table.files[row].label, true);
    const double s = scores[Eigen::Index(row)];
    l.n++;
    l.flagged += judge(s, model.threshold).anomaly;
    l.scores.push_back(s);
  }

  r.n_normal = normal.size();
  r.n_anomaly = anomaly.size();
  r.fp = count_above(normal, r.threshold);
  r.tn = r.n_normal - r.fp;
  r.tp = count_above(anomaly, r.threshold);
  r.fn = r.n_anomaly - r.tp;
  r.fpr = r.n_normal ? double(r.fp) / double(r.n_normal) : 0.0;
  r.tpr = r.n_anomaly ? double(r.tp) / double(r.n_anomaly) : 0.0;
  r.auc = roc_auc(normal, anomaly);
  r.false_alarms = clopper_pearson(r.fp, r.n_normal, 0.95);
  r.threshold_rule = threshold_spec(model.threshold);
  r.expected_false_alarms = model.threshold.expected_false_alarms;
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
  if (!labels_disjoint(opt.normal, "--normal", opt.other_normal, "--other-normal", err)) return false;
  if (!labels_disjoint(opt.anomaly, "--anomaly", opt.other_normal, "--other-normal", err)) return false;
  std::vector<std::string> labels = opt.normal;
  labels.insert(labels.end(), opt.anomaly.begin(), opt.anomaly.end());
  labels.insert(labels.end(), opt.other_normal.begin(), opt.other_normal.end());
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
  *out = eval_table(model, table, rows_with_labels(table, opt.normal), rows_with_labels(table, opt.anomaly),
                    rows_with_labels(table, opt.other_normal));
  out->n_excluded = loaded.n_excluded;
  return true;
}

namespace {

double flagged_rate(const LabelResult& l) { return l.n ? double(l.flagged) / double(l.n) : 0.0; }

// [{label, n, flagged, rate, ci_low, ci_high}] per --other-normal label: false alarms of
// another session, k of n.
nlohmann::json other_normal_json(const EvalResult& r) {
  nlohmann::json a = nlohmann::json::array();
  for (const auto& l : r.other_normal) {
    const RateCI ci = clopper_pearson(l.flagged, l.n);
    a.push_back({{"label", l.label}, {"n", l.n}, {"flagged", l.flagged}, {"rate", flagged_rate(l)},
                 {"ci_low", ci.lo}, {"ci_high", ci.hi}});
  }
  return a;
}

}  // namespace

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
          {"false_alarms",
           {{"k", r.false_alarms.k},
            {"n", r.false_alarms.n},
            {"rate", r.false_alarms.rate},
            {"ci_low", r.false_alarms.lo},
            {"ci_high", r.false_alarms.hi},
            {"level", r.false_alarms.level}}},
          {"threshold_rule", r.threshold_rule},
          {"expected_false_alarms", opt(r.expected_false_alarms)},
          {"per_label", per_label},
          {"other_normal", other_normal_json(r)}};
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
  if (r.n_normal) {
    const RateCI& f = r.false_alarms;
    std::snprintf(buf, sizeof buf, "false alarms on normal windows: %.2f %% (95 %% CI %.2f-%.2f %%)", 100.0 * f.rate,
                  100.0 * f.lo, 100.0 * f.hi);
    out += buf;
    if (r.expected_false_alarms)
      // Split-conformal has a finite-sample bound; cv-conformal is measured (docs/thresholds.md).
      std::snprintf(buf, sizeof buf, "; the threshold (%s) expects %s %.2f %%\n", r.threshold_rule.c_str(),
                    r.threshold_rule.rfind("cv-", 0) == 0 ? "about" : "<=", 100.0 * *r.expected_false_alarms);
    else
      std::snprintf(buf, sizeof buf, "; the threshold (%s) promises no rate\n", r.threshold_rule.c_str());
    out += buf;
  }
  // Other sessions' normal windows: false alarms of their own, with the same
  // interval, never in the pooled numbers.
  for (const auto& l : r.other_normal) {
    const RateCI ci = clopper_pearson(l.flagged, l.n);
    std::snprintf(buf, sizeof buf,
                  "other session %s: %zu/%zu false alarms (%.1f %%, 95 %% CI %.1f-%.1f %%), not in the numbers above\n",
                  l.label.c_str(), l.flagged, l.n, 100.0 * flagged_rate(l), 100.0 * ci.lo, 100.0 * ci.hi);
    out += buf;
  }
  if (r.n_excluded) {
    std::snprintf(buf, sizeof buf, "%zu training/validation windows of the model were not scored\n", r.n_excluded);
    out += buf;
  }
  if (!r.skipped.empty()) {
    std::snprintf(buf, sizeof buf, "%zu malformed files skipped\n", r.skipped.size());
    out += buf;
  }
  return out;
}

}  // namespace tinyad
