// train.h: the training pipeline behind `tinyad train`: list files, split
// the normal ones, extract features, fit the detector, set the threshold from
// validation normals, and (when anomalies are given) evaluate on the test split.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "autoencoder_train.h"
#include "eval.h"
#include "mahalanobis.h"
#include "model.h"
#include "session_distance.h"

namespace tinyad {

struct TrainOptions {
  std::string data;
  std::vector<std::string> normal, anomaly;
  std::string recipe = "default";
  std::vector<std::string> features;  // feature groups replacing the recipe's (recipe_with_groups); empty: keep
  double rate_hz = kDefaultRateHz;  // sampling rate of the data; the recipe's bands are in Hz (recipe.h)
  int window = 0;                   // rows per window; 0: the recipe's own (128 original, 200 default)
  std::vector<std::string> columns;  // x, y, z columns by name or 1-based number (window_file.h); empty: the last three
  uint64_t seed = 0;
  std::string threshold;  // empty: the recipe's default rule (see default_threshold_spec)
  // > 0: conformal threshold with this false-alarm probability (refused when
  // the calibration windows are too few for it); excludes `threshold`.
  double false_alarms = 0;
  // How --false-alarms calibrates: "split" (conformal on the validation
  // windows), "cv" (cv-conformal: out-of-fold scores of all non-test normal
  // windows, cross_conformal.h; Mahalanobis only; the detector is then fitted
  // on all of them) or "auto" (cv for Mahalanobis, split for the autoencoder).
  std::string calibration = "auto";
  // Folds of the cv-conformal calibration. 10: each fold model is fitted on
  // 9/10 of the windows the final model is fitted on.
  size_t cv_folds = 10;
  std::optional<Shrinkage> shrinkage;  // empty: default_shrinkage(recipe)
  std::string fit = "classical";  // Mahalanobis only: "classical" or "mcd" (robust, docs/mcd.md)
  double mcd_support = 0;         // MCD support fraction of the training windows; 0: (n + p + 1) / 2
  Detector detector;  // which kind to train (its contents are ignored); default Mahalanobis
  // Autoencoder settings; empty: autoencoder_default_options(recipe). Its
  // seed is replaced by `seed` above, so one seed fixes split and training.
  std::optional<AutoencoderTrainOptions> autoencoder;
  bool progress = true;
};

struct TrainResult {
  Model model;
  size_t n_train = 0, n_validation = 0, n_test = 0;
  size_t n_fitted = 0;  // windows the detector was fitted on: n_train, or train + validation for cv-conformal
  std::vector<std::string> skipped;
  std::optional<EvalResult> test_eval;  // test split vs anomalies, when anomalies were given
  std::optional<AutoencoderTrainReport> autoencoder;  // loss curves, dead units
  std::string threshold_note;  // set when the default rule had to be adapted (too few windows)
  // With several --normal labels (sessions): how far apart each pair lies,
  // measured on their training windows (session_distance.h).
  std::vector<SessionDistance> session_distances;
};

/// The threshold rule used when none is asked for.
std::string default_threshold_spec(const std::string& recipe_name, const Detector& detector);

/// The covariance shrinkage used when none is asked for.
Shrinkage default_shrinkage(const std::string& recipe_name);

bool train_run(const TrainOptions& opt, TrainResult* out, std::string* err);

}  // namespace tinyad
