// core_model.h: a Model's detector turned into the core's structures once
// (tinyad_mahalanobis / tinyad_autoencoder over arrays it owns), so a host
// scoring window after window (serve, export's float check) runs exactly the
// code a microcontroller runs, without copying the detector per window.
// double is the host's score (the same bits as model_scores); float is what a
// device with the exported float constants computes. What it avoids: feature
// extraction (feature_table.h), thresholds, Eigen on the scoring path.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "autoencoder.h"
#include "model.h"
#include "tinyad_status.h"

namespace tinyad {

/// MahalanobisModel's arrays in T.
template <typename T>
struct CoreMahalanobis {
  std::vector<T> mean;       // (n_features,) feature means
  std::vector<T> precision;  // (n_features, n_features), row-major
};

/// AutoencoderModel's arrays in T and the core struct pointing into them
/// (behind a pointer so moving the model does not move the arrays).
template <typename T>
struct CoreAutoencoder {
  std::unique_ptr<AutoencoderView<T>> net;
};

/// One alternative per alternative of Detector (model.h), in the same order:
/// core_model_build maps each to its twin by visiting, so the two cannot
/// disagree and a new detector does not compile until it has a core scorer.
template <typename T>
using CoreDetector = std::variant<CoreMahalanobis<T>, CoreAutoencoder<T>>;

template <typename T>
struct CoreModel {
  size_t n_features = 0;
  CoreDetector<T> detector;

  /// Score of one feature vector, (n,) with n == n_features, through the
  /// core. Thread-safe: the model is only read; the autoencoder's scratch is
  /// per thread.
  tinyad_status score(const T* features, size_t n, T* out) const;

  /// The score as model_scores gives it: where the core refuses (non-finite
  /// features or result), +inf for Mahalanobis and NaN for an autoencoder.
  T score_or_nonfinite(const T* features, size_t n) const;
};

/// Builds *out from m's detector; checks the detector's sizes against the recipe's features. False with *err otherwise.
template <typename T>
bool core_model_build(const Model& m, CoreModel<T>* out, std::string* err);

extern template struct CoreModel<float>;
extern template struct CoreModel<double>;
extern template bool core_model_build<float>(const Model&, CoreModel<float>*, std::string*);
extern template bool core_model_build<double>(const Model&, CoreModel<double>*, std::string*);

}  // namespace tinyad
