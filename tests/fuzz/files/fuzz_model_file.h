// fuzz_model_file.h: the body the model-file fuzzers share: the bytes as a
// model file of the given extension, read through model_import (what every
// command that takes --model calls). A refusal must name the file; a model
// that loads must also score a window by the Eigen path and by the core (as
// serve does), so a detector whose sizes disagree with its recipe is found
// here and not by the first device.
#pragma once

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <string>
#include <vector>

#include "core_model.h"
#include "fuzz_check.h"
#include "model.h"
#include "model_import.h"
#include "verdict.h"
#include "window_features.h"

namespace tinyad::fuzz {

/// Imports the file at `path` and scores one window with the result.
inline void import_and_score(const std::string& path) {
  Model m;
  std::string err;
  std::vector<std::string> warnings;
  if (!model_import(path, ImportOptions{}, &m, &warnings, &err)) {
    check_reason(err, path);
    return;
  }
  // A window as long as the recipe asks for (window_features refuses what
  // serve would refuse).
  const size_t n_rows = std::min<size_t>(4096, std::max<size_t>(16, m.recipe.core.window));
  std::vector<double> rows(n_rows * 3);
  for (size_t i = 0; i < rows.size(); ++i) rows[i] = 0.01 * double((i * 7919) % 200) - 1.0;
  std::vector<double> features;
  if (!window_features(m.recipe.core, rows, "window", &features, &err)) {
    check_reason(err);
    return;
  }
  CoreModel<double> core;
  if (core_model_build(m, &core, &err)) {
    (void)judge_features(core, m.threshold, features.data(), features.size());
  } else {
    check_reason(err);
  }
  Eigen::MatrixXd x(1, Eigen::Index(features.size()));
  for (size_t i = 0; i < features.size(); ++i) x(0, Eigen::Index(i)) = features[i];
  check(model_scores(m, x).size() == 1);
}

/// Writes the bytes to a scratch file named *`ext` and imports it.
inline void import_bytes(const uint8_t* data, size_t size, const char* ext) {
  const std::string path = scratch_path((std::string("model") + ext).c_str());
  std::ofstream(path, std::ios::binary | std::ios::trunc)
      .write(reinterpret_cast<const char*>(data), std::streamsize(size));
  import_and_score(path);
}

}  // namespace tinyad::fuzz
