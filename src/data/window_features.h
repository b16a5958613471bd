// window_features.h: the features of one window already in memory, as every
// host path computes them (feature tables, score, serve, the C export's
// self-test windows): the core's extractor with per-thread prepared tables.
#pragma once

#include <string>
#include <vector>

#include "recipe.h"

namespace tinyad {

/// Features of one window, (n_rows, 3) row-major readings in g; false with
/// "path: reason" when the window is too short or the core refuses it.
bool window_features(const tinyad_recipe& recipe, const std::vector<double>& rows,
                     const std::string& path, std::vector<double>* features, std::string* err);

}  // namespace tinyad
