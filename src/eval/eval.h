// eval.h: scoring labelled windows with a model and summarising detection
// quality (the contract of `tinyad eval --json`).
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "false_alarm_rate.h"
#include "feature_table.h"
#include "model.h"

namespace tinyad {

struct LabelResult {
  std::string label;
  bool normal = false;          // given as --normal
  size_t n = 0, flagged = 0;    // windows scored, windows above the threshold
  std::optional<double> auc;    // normal vs this label; null for normal labels
  std::vector<double> scores;   // per window, in file order
};

struct EvalResult {
  std::optional<double> auc;  // all normal vs all anomaly windows
  double threshold = 0;
  double tpr = 0, fpr = 0;
  size_t tn = 0, fp = 0, fn = 0, tp = 0;
  size_t n_normal = 0, n_anomaly = 0;
  size_t n_excluded = 0;              // training/validation files left out
  RateCI false_alarms;                // fp of n_normal, with its 95 % Clopper-Pearson interval
  std::string threshold_rule;         // threshold_spec() of the model
  std::optional<double> expected_false_alarms;  // what the model's rule promised (conformal), if known
  std::vector<LabelResult> per_label;
  // Normal windows of other recording sessions (--other-normal), per label:
  // false alarms on a day or mounting the model never saw. Kept apart: they
  // never enter auc, tpr, fpr or the confusion counts above.
  std::vector<LabelResult> other_normal;
  std::vector<std::string> skipped;   // malformed files
};

struct EvalOptions {
  std::string data;
  std::vector<std::string> normal, anomaly;
  bool progress = true;
  std::vector<std::string> other_normal = {};  // normal labels of other sessions, reported on their own
  std::vector<std::string> columns = {};  // x, y, z columns by name or 1-based number (window_file.h); empty: the last three
};

/// Scores rows of an already loaded table; `normal_rows`/`anomaly_rows` index it.
/// `other_normal_rows` (normal windows of other sessions) only fill
/// EvalResult::other_normal, per label.
EvalResult eval_table(const Model& model, const FeatureTable& table, const std::vector<size_t>& normal_rows,
                      const std::vector<size_t>& anomaly_rows, const std::vector<size_t>& other_normal_rows = {});

/// Loads the labels from a dataset and evaluates; files the model was trained
/// or calibrated on (same dataset) are never scored.
bool eval_run(const Model& model, const EvalOptions& opt, EvalResult* out, std::string* err);

nlohmann::json eval_to_json(const EvalResult& r);
std::string eval_summary(const EvalResult& r);

}  // namespace tinyad
