// recipe.h: named feature recipes and their JSON form inside model files.
// The recipe itself is the core's plain struct (tinyad_features.h), so what
// the host computes is what a microcontroller computes.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tinyad_features.h"

namespace tinyad {

struct Recipe {
  std::string name;  // "original", "default", or "custom"
  tinyad_recipe core{};
};

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

nlohmann::json recipe_to_json(const Recipe& r);

/// Reads a recipe from a model file; validates it with tinyad_recipe_check.
bool recipe_from_json(const nlohmann::json& j, Recipe* out, std::string* err);

/// One name per feature, in output order, e.g. "mad_x", "band03_z".
std::vector<std::string> recipe_feature_names(const tinyad_recipe& r);

/// Name of a feature group as written in model files ("mad", "bands", ...).
const char* feature_group_name(uint8_t group);

}  // namespace tinyad
