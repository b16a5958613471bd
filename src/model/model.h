// model.h: the tinyad model file: one self-describing JSON document carrying
// the feature recipe, the detector, the threshold, the split it was trained
// on and its provenance. Every place that scores a window reads this.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "autoencoder.h"
#include "mahalanobis.h"
#include "recipe.h"
#include "split.h"  // ModelSplit
#include "threshold.h"

namespace tinyad {

inline constexpr const char* kModelFormat = "tinyad-model";
inline constexpr int kModelVersion = 1;

/// The detector a model scores with: exactly one of these. Code that handles
/// every detector does so with std::visit over `overloaded` lambdas, one per
/// alternative and no catch-all, so a third alternative is a compile error at
/// each such place until it is handled there.
using Detector = std::variant<MahalanobisModel, AutoencoderModel>;

/// `std::visit(overloaded{[](const A&) {...}, [](const B&) {...}}, v)`.
template <class... F>
struct overloaded : F... {
  using F::operator()...;
};
template <class... F>
overloaded(F...) -> overloaded<F...>;

struct Model {
  Recipe recipe;
  Detector detector;  // default: an empty Mahalanobis detector
  Threshold threshold;
  std::optional<ModelSplit> split;  // absent for imported models
  nlohmann::json provenance = nlohmann::json::object();  // labels, counts, metrics, tool version
};

/// The detector's name as the model file spells it ("type" of "detector"),
/// for messages and reports. The only place the names are written down.
const char* detector_name(const Detector& d);
inline const char* detector_name(const Model& m) { return detector_name(m.detector); }

/// An empty detector of the kind `name` names (train's --detector), or false
/// with *err listing the known names.
bool detector_from_name(const std::string& name, Detector* out, std::string* err);

/// The known detector names, in the variant's order (for --help and checks).
std::vector<std::string> detector_names();

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
