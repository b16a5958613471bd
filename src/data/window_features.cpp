// window_features.cpp: see window_features.h.
#include "window_features.h"

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
  // The Hann window and FFT twiddles depend only on the window and FFT
  // sizes: computed once per thread and size, not per window. A recipe
  // without bands sorts where the tables live, so it invalidates them.
  thread_local std::vector<double> scratch;
  // The window the tables in scratch are for; 0: none. Enough on its own:
  // the FFT size is a function of the window (tinyad_recipe_fft_size).
  thread_local size_t tables_window = 0;
  const size_t need = tinyad_features_scratch_size(&recipe);
  if (scratch.size() != need) {
    scratch.assign(need, 0.0);
    tables_window = 0;
  }
  if (!tinyad_recipe_uses_bands(&recipe)) {
    tables_window = 0;
  } else if (recipe.window != tables_window) {
    tables_window =
        tinyad_features_prepare(&recipe, scratch.data(), scratch.size()) == TINYAD_STATUS_OK ? recipe.window : 0;
  }
  const tinyad_status st =
      tables_window ? tinyad_features_extract<double, TINYAD_GROUPS_ALL, true>(
                          &recipe, rows.data(), n_rows, features->data(), features->size(), scratch.data(),
                          scratch.size())
                    : tinyad_features_extract(&recipe, rows.data(), n_rows, features->data(), features->size(),
                                              scratch.data(), scratch.size());
  if (st != TINYAD_STATUS_OK) {
    *err = path + ": features: " + tinyad_status_str(st);
    return false;
  }
  return true;
}

}  // namespace tinyad
