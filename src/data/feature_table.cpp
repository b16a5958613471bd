// feature_table.cpp: see feature_table.h. Files are spread over the cores
// (parallel_for.h); each row is written by exactly one thread.
#include "feature_table.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "csv_reader.h"
#include "window_cut.h"
#include "window_features.h"
#include "parallel_for.h"
#include "progress.h"

namespace tinyad {

FeatureTable feature_table_load(const std::vector<DatasetFile>& files, const tinyad_recipe& recipe,
                                bool show_progress, bool keep_readings, const WindowReadOptions& read) {
  const size_t n = files.size();
  const size_t n_features = tinyad_recipe_n_features(&recipe);
  const size_t w3 = size_t(recipe.window) * 3;
  // Per file: its windows' features, (n_windows, n_features) row-major.
  std::vector<std::vector<double>> features(n);
  std::vector<std::string> errors(n);
  std::vector<size_t> n_rows(n, 0);
  std::vector<double> file_rate(n, 0.0);
  std::vector<std::vector<double>> readings(keep_readings ? n : 0);
  Progress progress("reading", show_progress ? n : 0);
  struct Buffers {
    std::vector<double> rows, features, part;
  };
  parallel_for(n, [] { return Buffers{}; }, [&](size_t i, Buffers& b) {
    std::string err;
    b.rows.clear();  // an unopenable file must not count the previous file's rows
    WindowFileInfo info;
    if (!window_file_read(files[i].path, read, &b.rows, &info, &err)) {
      n_rows[i] = b.rows.size() / 3;
      errors[i] = err.empty() ? files[i].path + ": unreadable" : err;
    } else {
      const size_t n_windows = window_count(b.rows.size(), recipe.window);
      for (size_t k = 0; k < n_windows; ++k) {
        window_part(b.rows, recipe.window, k, n_windows, &b.part);
        if (!window_features(recipe, b.part, window_name(files[i].path, k, n_windows), &b.features, &err)) {
          errors[i] = err;  // a non-finite reading in one window refuses the file, as for one window
          features[i].clear();
          if (keep_readings) readings[i].clear();
          break;
        }
        features[i].insert(features[i].end(), b.features.begin(), b.features.end());
        if (keep_readings) readings[i].insert(readings[i].end(), b.part.begin(), b.part.end());
      }
      if (!errors[i].empty()) n_rows[i] = b.rows.size() / 3;
    }
    file_rate[i] = info.rate_hz;
    progress.add();
  });

  FeatureTable table;
  size_t n_good = 0, n_cut = 0, n_cut_windows = 0, n_rate_off = 0;
  for (size_t i = 0; i < n; ++i) n_good += features[i].size() / std::max<size_t>(n_features, 1);
  table.X.resize(Eigen::Index(n_good), Eigen::Index(n_features));
  Eigen::Index row = 0;
  std::string first_rate_off;
  for (size_t i = 0; i < n; ++i) {
    if (!errors[i].empty()) {
      table.skipped.push_back(errors[i]);
      table.skipped_files.push_back({files[i], n_rows[i]});
      continue;
    }
    const size_t n_windows = features[i].size() / std::max<size_t>(n_features, 1);
    if (n_windows > 1) {
      ++n_cut;
      n_cut_windows += n_windows;
    }
    for (size_t k = 0; k < n_windows; ++k, ++row) {
      for (size_t f = 0; f < n_features; ++f) table.X(row, Eigen::Index(f)) = features[i][k * n_features + f];
      DatasetFile window = files[i];
      if (n_windows > 1) window.part = int(k);
      table.files.push_back(window);
      if (keep_readings) {
        if (n_windows == 1) {
          table.readings.push_back(std::move(readings[i]));
        } else {
          table.readings.emplace_back(readings[i].begin() + long(k * w3), readings[i].begin() + long((k + 1) * w3));
        }
      }
    }
    // A stated rate more than 1 % off the recipe's: the bands would mean other frequencies.
    if (file_rate[i] > 0 && std::abs(file_rate[i] - recipe.rate_hz) > 0.01 * recipe.rate_hz) {
      if (n_rate_off++ == 0) {
        char buf[64];
        std::snprintf(buf, sizeof buf, "%g Hz, but the model's rate is %g Hz", file_rate[i], recipe.rate_hz);
        first_rate_off = files[i].path + " states " + buf;
      }
    }
  }
  if (n_cut > 0) {
    table.notes.push_back(std::to_string(n_cut) + " files longer than " + std::to_string(recipe.window) +
                          " rows were cut into " + std::to_string(n_cut_windows) + " windows");
  }
  if (n_rate_off > 0) {
    table.warnings.push_back(first_rate_off + (n_rate_off > 1 ? " (and " + std::to_string(n_rate_off - 1) + " more files)" : "") +
                          " (give --rate to train at the file's rate)");
  }
  return table;
}

std::vector<size_t> rows_with_labels(const FeatureTable& table, const std::vector<std::string>& labels) {
  std::vector<size_t> rows;
  for (size_t i = 0; i < table.files.size(); ++i)
    if (std::find(labels.begin(), labels.end(), table.files[i].label) != labels.end()) rows.push_back(i);
  return rows;
}

}  // namespace tinyad
