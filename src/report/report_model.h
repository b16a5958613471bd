// report_model.h: the data behind `tinyad train --report` and `tinyad eval
// --report`: score histograms per label (log-spaced bins), ROC curves, the
// confusion matrix, per-label detection, the model's recipe and provenance.
// Only numbers go into the JSON; web/report.js draws the charts.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "eval.h"
#include "model.h"
#include "train.h"

namespace tinyad {

/// Training and validation loss per epoch (a detector trained by gradient
/// descent, e.g. the autoencoder). Empty vectors: no loss chart.
struct LossCurves {
  std::vector<double> train;       // mean loss per epoch on the training windows
  std::vector<double> validation;  // same on the validation windows (may be empty)
};

/// Report data for a model evaluated on labelled windows. `kind` is "train"
/// (the held-out test split right after training) or "eval". The document's
/// "eval" member is exactly eval_to_json(r), what `tinyad eval --json` prints.
nlohmann::json report_model_data(const std::string& kind, const Model& model, const EvalResult& r);

/// Adds a loss chart to report data; a no-op when `loss.train` is empty.
void report_add_loss_curves(nlohmann::json* data, const LossCurves& loss);

/// Loss curves a model file carries in provenance["loss_history"] as
/// {"train": [...], "validation": [...]}; empty when it has none.
LossCurves loss_curves_from_model(const Model& model);

/// Loss curves of a train result, when its detector was trained by gradient
/// descent (the autoencoder); empty otherwise.
LossCurves loss_curves_of(const TrainResult& r);

/// `tinyad train --report`: the model's test split (and the anomaly labels,
/// when given) scored right after training, written as one HTML page.
bool report_train_write(const TrainOptions& opt, const TrainResult& r, const std::string& path, std::string* err);

/// `tinyad eval --report`: the evaluation written as one HTML page.
bool report_eval_write(const Model& model, const EvalResult& r, const std::string& path, std::string* err);

/// Histogram over log-spaced bins: `edges` (n_bins + 1,) from just below the
/// smallest positive score to the largest; non-positive scores fall in bin 0.
struct LogHistogram {
  std::vector<double> edges;
  std::vector<std::vector<size_t>> counts;  // (n_series, n_bins)
};
LogHistogram log_histogram(const std::vector<std::vector<double>>& series, size_t n_bins, double include = 0);

}  // namespace tinyad
