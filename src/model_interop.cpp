// model_interop.cpp: see model_interop.h.
#include "model_interop.h"

#include <set>

#include "dataset.h"
#include "feature_table.h"
#include "keras_h5.h"

namespace tinyad {
namespace {

// The windows of one list of the model's split (`which`: train or test).
bool load_ids(const Model& m, std::vector<std::string> ModelSplit::*which, Eigen::MatrixXd* X, std::string* err) {
  if (!m.split) {
    *err = "the model records no training split (imported?): give --data and --normal";
    return false;
  }
  const std::vector<std::string>& ids = (*m.split).*which;
  Dataset ds;
  if (!dataset_open(m.split->dataset, &ds, err)) {
    *err = "cannot reopen the model's training dataset: " + *err + " (give --data and --normal instead)";
    return false;
  }
  std::vector<DatasetFile> all, files;
  if (!dataset_files(ds, m.split->normal_labels, &all, err)) return false;
  const std::set<std::string> wanted(ids.begin(), ids.end());
  for (const auto& f : all)
    if (wanted.count(f.id())) files.push_back(f);
  const FeatureTable t = feature_table_load(files, m.recipe.core, false);
  if (t.X.rows() == 0) {
    *err = "none of the model's " + std::to_string(ids.size()) + " split files could be read from " + ds.root;
    return false;
  }
  *X = t.X;
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

bool load_label_windows(const Model& m, const std::string& data, const std::vector<std::string>& labels,
                        Eigen::MatrixXd* X, std::string* err) {
  Dataset ds;
  std::vector<DatasetFile> files;
  if (!dataset_open(data, &ds, err) || !dataset_files(ds, labels, &files, err)) return false;
  const FeatureTable t = feature_table_load(files, m.recipe.core, false);
  if (t.X.rows() == 0) {
    *err = data + ": no readable windows for the given labels";
    return false;
  }
  *X = t.X;
  return true;
}

// load_ids reports a model without a split itself; the split's list is picked
// there, once, instead of a ternary in each caller.
bool load_training_windows(const Model& m, Eigen::MatrixXd* X, std::string* err) {
  return load_ids(m, &ModelSplit::train, X, err);
}

bool load_test_windows(const Model& m, Eigen::MatrixXd* X, std::string* err) {
  return load_ids(m, &ModelSplit::test, X, err);
}

Eigen::VectorXd tflite_scores(const TfliteNet& net, const AutoencoderModel& s, const Eigen::MatrixXd& X) {
  const Eigen::MatrixXd Z =
      ((X.rowwise() - s.input_mean.transpose()).array().rowwise() / s.input_scale.transpose().array()).matrix();
  const Eigen::MatrixXd Y = tflite_run(net, Z);
  return (Z - Y).rowwise().squaredNorm() / double(Z.cols());
}

bool calibrate_threshold(Model* m, const std::string& spec, const Eigen::MatrixXd& X, std::string* err) {
  Threshold t;
  if (!threshold_parse(spec, &t, err)) return false;
  const Eigen::VectorXd s = model_scores(*m, X);
  if (!threshold_fit(std::vector<double>(s.begin(), s.end()), &t, err)) return false;
  m->threshold = t;
  return true;
}

}  // namespace tinyad
