// feature_table.cpp: see feature_table.h. Work is shared between threads by
// an atomic file index; each row is written by exactly one thread.
#include "feature_table.h"

#include <algorithm>
#include <atomic>
#include <thread>

#include "csv_reader.h"
#include "progress.h"

namespace tinyad {

bool window_features(const tinyad_recipe& recipe, const std::vector<double>& rows,
                     const std::string& path, std::vector<double>* features, std::string* err) {
  const size_t n_rows = rows.size() / 3;
  if (n_rows < recipe.window) {
    *err = path + ": " + std::to_string(n_rows) + " rows, the recipe needs at least " +
           std::to_string(recipe.window);
    return false;
  }
  features->resize(tinyad_recipe_n_features(&recipe));
  thread_local std::vector<double> scratch;
  scratch.resize(tinyad_features_scratch_size(&recipe));
  const tinyad_status st = tinyad_features_extract(&recipe, rows.data(), n_rows, features->data(),
                                                   features->size(), scratch.data(), scratch.size());
  if (st != TINYAD_STATUS_OK) {
    *err = path + ": features: " + tinyad_status_str(st);
    return false;
  }
  return true;
}

FeatureTable feature_table_load(const std::vector<DatasetFile>& files, const tinyad_recipe& recipe,
                                bool show_progress) {
  const size_t n = files.size();
  const size_t n_features = tinyad_recipe_n_features(&recipe);
  Eigen::MatrixXd all(n, n_features);
  std::vector<std::string> errors(n);
  std::atomic<size_t> next{0};
  Progress progress("reading", show_progress ? n : 0);

  auto worker = [&] {
    std::vector<double> rows, features;
    for (size_t i = next.fetch_add(1); i < n; i = next.fetch_add(1)) {
      std::string err;
      if (csv_read_window(files[i].path, &rows, &err) &&
          window_features(recipe, rows, files[i].path, &features, &err)) {
        for (size_t k = 0; k < n_features; ++k) all(Eigen::Index(i), Eigen::Index(k)) = features[k];
      } else {
        errors[i] = err.empty() ? files[i].path + ": unreadable" : err;
      }
      progress.add();
    }
  };
  const size_t n_threads = std::clamp<size_t>(std::thread::hardware_concurrency(), 1, n / 64 + 1);
  std::vector<std::thread> threads;
  for (size_t t = 1; t < n_threads; ++t) threads.emplace_back(worker);
  worker();
  for (auto& t : threads) t.join();

  FeatureTable table;
  std::vector<Eigen::Index> good;
  for (size_t i = 0; i < n; ++i) {
    if (errors[i].empty()) {
      good.push_back(Eigen::Index(i));
      table.files.push_back(files[i]);
    } else {
      table.skipped.push_back(errors[i]);
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
