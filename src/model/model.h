// model.h: the tinyad model file: one self-describing JSON document carrying
// the feature recipe, the detector, the threshold, the split it was trained
// on and its provenance. Every place that scores a window reads this.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "autoencoder.h"
#include "mahalanobis_fit.h"
#include "recipe.h"
#include "split.h"  // ModelSplit
#include "threshold.h"

namespace tinyad {

inline constexpr const char* kModelFormat = "tinyad-model";
inline constexpr int kModelVersion = 1;

struct Model {
  Recipe recipe;
  std::string detector = "mahalanobis";  // "mahalanobis" or "autoencoder": which member below is used
  MahalanobisModel mahalanobis;
  AutoencoderModel autoencoder;
  Threshold threshold;
  std::optional<ModelSplit> split;  // absent for imported models
  nlohmann::json provenance = nlohmann::json::object();  // labels, counts, metrics, tool version
};

nlohmann::json model_to_json(const Model& m);
bool model_from_json(const nlohmann::json& j, Model* m, std::string* err);

/// Writes the model atomically (never a half-written file).
bool model_save(const Model& m, const std::string& path, std::string* err);

/// Reads a model file; a foreign or damaged file gets an error that says what
/// the file is not and what was expected.
bool model_load(const std::string& path, Model* m, std::string* err);

/// Scores feature rows (n_windows, n_features) with the model's detector.
Eigen::VectorXd model_scores(const Model& m, const Eigen::MatrixXd& features);

}  // namespace tinyad
