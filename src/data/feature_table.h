// feature_table.h: many dataset files -> one feature matrix, read and
// computed in parallel. Bad files are skipped and reported, never guessed at.
#pragma once

#include <Eigen/Dense>
#include <string>
#include <vector>

#include "dataset.h"
#include "recipe.h"

namespace tinyad {

struct SkippedFile {
  DatasetFile file;
  size_t n_rows = 0;  // readings parsed before the file was refused; 0 when unreadable
};

struct FeatureTable {
  std::vector<DatasetFile> files;  // one per row of X, in the input order
  Eigen::MatrixXd X;               // (files.size(), n_features)
  std::vector<std::string> skipped;  // "path:line: reason" per file left out
  std::vector<SkippedFile> skipped_files;  // parallel to `skipped`
  std::vector<std::vector<double>> readings;  // per row of X, (n_rows, 3) in g; only when asked for
};

/// Reads every file and extracts the recipe's features. Never fails as a
/// whole: unreadable, malformed or short files go to `skipped`. With
/// `keep_readings` the parsed readings of the kept files stay in the table.
FeatureTable feature_table_load(const std::vector<DatasetFile>& files, const tinyad_recipe& recipe,
                                bool show_progress = true, bool keep_readings = false);

/// Rows of `table` whose file label is in `labels`.
std::vector<size_t> rows_with_labels(const FeatureTable& table, const std::vector<std::string>& labels);

}  // namespace tinyad
