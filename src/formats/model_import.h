// model_import.h: a tinyad Model from any model file a user brings: tinyad's
// own .json, the original system's Mahalanobis .npz (model_mu, model_cov),
// a Keras .h5 or a .tflite autoencoder. The foreign files carry no threshold
// (and no feature recipe: the original's per-axis MAD is assumed), so the
// threshold is given: a number, or a rule such as mean+3sd fitted on normal
// windows read from a dataset. Used by `convert` and `serve`.
#pragma once

#include <string>
#include <vector>

#include "model.h"

namespace tinyad {

struct ImportOptions {
  std::string threshold = "3.0";  // the original notebook's fixed threshold
  bool threshold_given = false;   // false: warn that the default was used
  std::string data;               // dataset and normal labels to calibrate
  std::vector<std::string> normal;  // the threshold on (both or neither)
  double false_alarms = 0;          // > 0: conformal rule with this rate on those windows (not with a threshold)
};

/// True for the extensions model_import reads without a threshold of its own
/// (.npz, .h5, .tflite).
bool model_is_foreign(const std::string& path);

/// A Keras .h5 autoencoder as a tinyad model: original recipe, identity
/// standardisation, a fixed threshold (replaced by calibration if asked).
bool import_keras_model(const std::string& path, double threshold, Model* m, std::string* err);

/// Reads `path` by its extension. .json files are loaded as they are (the
/// options are not used). Warnings (default threshold used, dead ReLU units
/// on the calibration windows, int8 weights dequantised) go to *warnings.
bool model_import(const std::string& path, const ImportOptions& options, Model* m, std::vector<std::string>* warnings,
                  std::string* err);

}  // namespace tinyad
