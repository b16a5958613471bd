// feature_table.cpp: see feature_table.h. Files are spread over the cores
// (parallel_for.h); each row is written by exactly one thread.
#include "feature_table.h"

#include <algorithm>

#include "csv_reader.h"
#include "window_features.h"
#include "parallel_for.h"
#include "progress.h"

namespace tinyad {

FeatureTable feature_table_load(const std::vector<DatasetFile>& files, const tinyad_recipe& recipe,
                                bool show_progress, bool keep_readings) {
  const size_t n = files.size();
  const size_t n_features = tinyad_recipe_n_features(&recipe);
  Eigen::MatrixXd all(n, n_features);
  std::vector<std::string> errors(n);
  std::vector<size_t> n_rows(n, 0);
  std::vector<std::vector<double>> readings(keep_readings ? n : 0);
  Progress progress("reading", show_progress ? n : 0);
  struct Buffers {
    std::vector<double> rows, features;
  };
  parallel_for(n, [] { return Buffers{}; }, [&](size_t i, Buffers& b) {
    std::string err;
    b.rows.clear();  // an unopenable file must not count the previous file's rows
    if (csv_read_window(files[i].path, &b.rows, &err) &&
        window_features(recipe, b.rows, files[i].path, &b.features, &err)) {
      for (size_t k = 0; k < n_features; ++k) all(Eigen::Index(i), Eigen::Index(k)) = b.features[k];
      if (keep_readings) readings[i] = b.rows;
    } else {
      n_rows[i] = b.rows.size() / 3;
      errors[i] = err.empty() ? files[i].path + ": unreadable" : err;
    }
    progress.add();
  });

  FeatureTable table;
  std::vector<Eigen::Index> good;
  for (size_t i = 0; i < n; ++i) {
    if (errors[i].empty()) {
      good.push_back(Eigen::Index(i));
      table.files.push_back(files[i]);
      if (keep_readings) table.readings.push_back(std::move(readings[i]));
    } else {
      table.skipped.push_back(errors[i]);
      table.skipped_files.push_back({files[i], n_rows[i]});
    }
  }
  table.X = all(good, Eigen::all);
  return table;
}

std::vector<size_t> rows_with_labels(const FeatureTable& table, const std::vector<std::string>& labels) {
  std::vector<size_t> rows;
  for (size_t i = 0; i < table.files.size(); ++i)
    if (std::find(labels.begin(), labels.end(), table.files[i].label) != labels.end()) rows.push_back(i);
  return rows;
}

}  // namespace tinyad
