// model_import.cpp: see model_import.h.
#include "model_import.h"

#include <cstdio>
#include <filesystem>
#include <map>

#include "dataset_load.h"
#include "keras_h5.h"
#include "mahalanobis.h"
#include "npz.h"
#include "recipe.h"
#include "threshold.h"
#include "threshold_calibrate.h"
#include "tflite_import.h"

namespace tinyad {
namespace {

std::string extension(const std::string& path) { return std::filesystem::path(path).extension().string(); }

// The original's Mahalanobis model: mean and covariance of the per-axis MAD.
bool import_npz(const std::string& in, const Threshold& threshold, Model* m, std::string* err) {
  std::map<std::string, NpyArray> arrays;
  if (!npz_read(in, &arrays, err)) return false;
  for (const char* key : {"model_mu", "model_cov"}) {
    if (!arrays.count(key)) {
      std::string have;
      for (const auto& [k, v] : arrays) have += (have.empty() ? "" : ", ") + npz_printable(k);  // names from the file
      *err = in + ": no '" + key + "' array (has: " + (have.empty() ? "nothing" : have) +
             "); expected the original's Mahalanobis model";
      return false;
    }
  }
  const NpyArray& mu = arrays["model_mu"];
  const NpyArray& cov = arrays["model_cov"];
  const size_t n = mu.size();
  if (mu.shape.size() != 1 || cov.shape != std::vector<size_t>{n, n}) {
    *err = in + ": model_mu must have shape (n,) and model_cov (n, n)";
    return false;
  }
  if (!recipe_named("original", &m->recipe, err)) return false;
  if (n != tinyad_recipe_n_features(&m->recipe.core)) {
    *err = in + ": " + std::to_string(n) + " features, but the original recipe (per-axis MAD) has 3";
    return false;
  }
  const Eigen::VectorXd mean = Eigen::Map<const Eigen::VectorXd>(mu.data.data(), Eigen::Index(n));
  const Eigen::MatrixXd c = Eigen::Map<const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(
      cov.data.data(), Eigen::Index(n), Eigen::Index(n));
  if (!mahalanobis_from_covariance(mean, c, &m->detector.emplace<MahalanobisModel>(), err)) {
    *err = in + ": " + *err;
    return false;
  }
  m->threshold = threshold;
  m->provenance = {{"tool", std::string("tinyad ") + TINYAD_VERSION}, {"imported_from", in}, {"dtype", mu.dtype}};
  return true;
}

}  // namespace

bool import_keras_model(const std::string& path, double threshold, Model* out, std::string* err) {
  KerasImport imp;
  if (!keras_h5_read(path, &imp, err)) return false;
  Model m;
  if (!recipe_named("original", &m.recipe, err)) return false;
  const size_t n = tinyad_recipe_n_features(&m.recipe.core);
  if (autoencoder_n_features(imp.model) != n) {
    *err = path + ": " + std::to_string(autoencoder_n_features(imp.model)) +
           " inputs, but the original recipe (per-axis MAD) makes " + std::to_string(n) + " features";
    return false;
  }
  m.detector = imp.model;
  m.threshold.method = "fixed";
  m.threshold.param = m.threshold.value = threshold;
  m.provenance = {{"tool", std::string("tinyad ") + TINYAD_VERSION},
                  {"imported_from", path},
                  {"keras_version", imp.keras_version},
                  {"keras_model", imp.model_name},
                  {"keras_layers", imp.layers}};
  *out = std::move(m);
  return true;
}

bool model_is_foreign(const std::string& path) {
  const std::string ext = extension(path);
  return ext == ".npz" || ext == ".h5" || ext == ".tflite";
}

bool model_import(const std::string& path, const ImportOptions& o, Model* m, std::vector<std::string>* warnings,
                  std::string* err) {
  if (!model_is_foreign(path)) return model_load(path, m, err);
  const bool calibrate = !o.data.empty() && !o.normal.empty();
  if (o.false_alarms > 0 && (o.threshold_given || !calibrate)) {
    *err = o.threshold_given ? "give --false-alarms or --threshold, not both"
                             : "--false-alarms needs normal windows to calibrate on: give --data and --normal";
    return false;
  }
  Threshold fixed;
  if (!threshold_parse(o.threshold, &fixed, err)) return false;
  if (!calibrate && fixed.method != "fixed") {
    *err = "a threshold rule like '" + o.threshold + "' needs normal windows to fit it on: give --data and --normal";
    return false;
  }
  const std::string ext = extension(path);
  if (ext == ".npz") {
    if (!import_npz(path, fixed, m, err)) return false;
  } else if (ext == ".h5") {
    if (!import_keras_model(path, fixed.value, m, err)) return false;
  } else {
    TfliteNet net;
    if (!tflite_load(path, &net, err) || !tflite_to_model(net, path, fixed.value, m, err)) return false;
    if (net.quantized) warnings->push_back(path + " is int8: the model gets its dequantised weights (float scoring)");
  }
  if (calibrate) {
    LoadedDataset normal;
    if (!dataset_load(o.data, o.normal, m->recipe.core, selection_all(), {}, &normal, err)) return false;
    const Eigen::MatrixXd& X = normal.table.X;
    std::string spec = o.threshold_given ? o.threshold : "mean+3sd";
    if (o.false_alarms > 0) {
      char buf[64];
      std::snprintf(buf, sizeof buf, "conformal:%.17g", o.false_alarms);
      spec = buf;
    }
    // Also a fixed threshold: the scores then say what share of these windows it flags.
    if (!calibrate_threshold(m, spec, X, err)) return false;
    if (const AutoencoderModel* ae = std::get_if<AutoencoderModel>(&m->detector)) {
      for (const auto& d : autoencoder_dead_units(*ae, X))
        warnings->push_back("dead ReLU unit on these windows: " + d);
    }
  } else if (!o.threshold_given) {
    warnings->push_back("no threshold given for " + path + ": using " + o.threshold +
                        "; give --threshold N, or --data and --normal to calibrate");
  }
  return true;
}

}  // namespace tinyad
