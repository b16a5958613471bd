// feature_table.h: many dataset files -> one feature matrix, read and
// computed in parallel. Bad files are skipped and reported, never guessed at.
#pragma once

#include <Eigen/Dense>
#include <string>
#include <vector>

#include "dataset.h"
#include "recipe.h"
#include "window_file.h"

namespace tinyad {

struct SkippedFile {
  DatasetFile file;
  size_t n_rows = 0;  // readings parsed before the file was refused; 0 when unreadable
};

struct FeatureTable {
  std::vector<DatasetFile> files;  // one per row of X (a window: part >= 0 when its file was cut), in the input order
  Eigen::MatrixXd X;               // (files.size(), n_features)
  std::vector<std::string> skipped;  // "path:line: reason" per file left out
  std::vector<SkippedFile> skipped_files;  // parallel to `skipped`
  std::vector<std::vector<double>> readings;  // per row of X, (n_rows, 3) in g; only when asked for
  // What the user should know about how the files became windows, one line
  // each: files cut into several windows (notes); a file's stated rate that
  // is not the recipe's, files of an unknown kind (warnings; dataset_load
  // adds the latter).
  std::vector<std::string> notes, warnings;
};

/// Reads every file (window_file.h) and extracts the recipe's features. A
/// file of L rows gives floor(L / window) windows: one keeps the file's id,
/// several get ids "label/name#k" (rows k*window ..); rows after the last
/// whole window are not used. Never fails as a whole: unreadable, malformed
/// or short files go to `skipped`. With `keep_readings` the window's
/// readings of the kept rows stay in the table (the whole file for a file
/// that is one window).
FeatureTable feature_table_load(const std::vector<DatasetFile>& files, const tinyad_recipe& recipe,
                                bool show_progress = true, bool keep_readings = false,
                                const WindowReadOptions& read = {});

/// Rows of `table` whose file label is in `labels`.
std::vector<size_t> rows_with_labels(const FeatureTable& table, const std::vector<std::string>& labels);

}  // namespace tinyad
