// verdict.h: the one place a score becomes a verdict. `tinyad score`, eval
// (per label and in the confusion counts), serve (HTTP and MQTT), the reports
// and the C export's expected verdicts all call judge(); the exported header's
// tinyad_model_anomalous() is the same rule written in C by c_export.cpp
// (verdict_parity_test checks the two agree on the real recordings).
// What it avoids: feature extraction and scoring (core_model.h, model.h).
#pragma once

#include <cstddef>

#include "threshold.h"

namespace tinyad {

template <typename T>
struct CoreModel;  // core_model.h; not included so low layers (metrics) can use the rule alone

/// What one window got.
struct WindowVerdict {
  double score = 0;      // the detector's score of the window
  double threshold = 0;  // the model's threshold value it was compared with
  bool anomaly = false;  // score > threshold
};

/// The rule: anomalous when score > threshold, strictly. A NaN score (an
/// autoencoder's window with non-finite features) is NOT anomalous, because
/// the comparison is false; a Mahalanobis window with non-finite features
/// scores +inf and is. This is what every caller did before there was one rule.
inline bool verdict_anomalous(double score, double threshold) { return score > threshold; }

/// The verdict for a score under a model's threshold.
WindowVerdict judge(double score, const Threshold& t);

/// Scores one feature vector (n values, the recipe's features) with the
/// model's detector in the core and judges it: the one window -> verdict
/// function of the host. Where the core refuses the features, the score is
/// what model_scores gives (CoreModel::score_or_nonfinite).
WindowVerdict judge_features(const CoreModel<double>& core, const Threshold& t, const double* features, size_t n);

}  // namespace tinyad
