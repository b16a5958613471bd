// recipe.h: named feature recipes and their JSON form inside model files.
// The recipe itself is the core's plain struct (tinyad_features.h), so what
// the host computes is what a microcontroller computes.
//
// Sampling rate and window (`train --rate HZ --window N`). A recipe's FFT
// bands are defined in Hz (band_edges_hz); the core's bin edges are derived
// from them for the model's rate and window: bin = round(f * fft_size /
// rate), fft_size = next power of two >= window. A band therefore means the
// same frequencies at any rate. Bands that start at or above the Nyquist
// frequency (rate / 2) do not exist at that rate and are dropped; the last
// remaining band is cut at Nyquist. So `default` (16 bands of 6.25 Hz from
// 0.78 Hz) keeps all 16 at 200 Hz (bins 1, 9, ..., 129: bit-identical to the
// recipe before rates existed) and 4 at 50 Hz (0.78-25 Hz). Model files
// without a rate were all recorded at 200 Hz and read as 200 Hz.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tinyad_features.h"

namespace tinyad {

struct Recipe {
  std::string name;  // "original", "default", or "custom"
  tinyad_recipe core{};
  std::vector<double> band_edges_hz;  // the bands' definition in Hz (empty without bands); the bands
                                      // that exist at core.rate_hz are core.n_bands of them
};

/// The sampling rate of the recordings tinyad was made for (the firmware's).
constexpr double kDefaultRateHz = 200.0;

/// The recipes a user can ask for by name: "original" and "default".
std::vector<std::string> recipe_names();

/// Looks up a named recipe; false with a message listing the names otherwise.
bool recipe_named(const std::string& name, Recipe* out, std::string* err);

/// `base` with its feature groups replaced by `groups` (names as in model
/// files, in output order; `train --features`). Window, log scaling and band
/// edges stay the base's; a base without bands gets 16 equal bands over the
/// spectrum when a band group is asked for. The result is named "custom".
/// False with a message listing the known groups on an unknown or repeated name.
bool recipe_with_groups(const Recipe& base, const std::vector<std::string>& groups, Recipe* out, std::string* err);

/// Every feature group name, in the core's order.
std::vector<std::string> feature_group_names();

/// Sets the recipe's sampling rate and window (rows) and derives its bin
/// edges from band_edges_hz (rules above). False with a one-line reason when
/// the rate or window is out of range, no band lies below Nyquist, or the
/// window is too short to tell two band edges apart.
bool recipe_set_rate_window(Recipe* r, double rate_hz, int window, std::string* err);

nlohmann::json recipe_to_json(const Recipe& r);

/// Reads a recipe from a model file; validates it with tinyad_recipe_check.
/// The bin edges in the file are used as they are; a file without "rate_hz"
/// is read as 200 Hz.
bool recipe_from_json(const nlohmann::json& j, Recipe* out, std::string* err);

/// One name per feature, in output order, e.g. "mad_x", "band03_z".
std::vector<std::string> recipe_feature_names(const tinyad_recipe& r);

/// Name of a feature group as written in model files ("mad", "bands", ...).
const char* feature_group_name(uint8_t group);

}  // namespace tinyad
