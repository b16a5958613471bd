// cmd_convert.cpp: `tinyad convert IN OUT`, chosen by the file extensions.
// Reads .json (tinyad), .npz (the original's Mahalanobis model_mu/model_cov),
// .h5 (Keras model.save()) or .tflite (every import is src/model_import.h,
// which `serve` uses too); writes
//   .json     the tinyad model file
//   .npz      mean and covariance, for the original's scripts (Mahalanobis)
//   .tflite   float32, or int8 with --int8 (src/tflite_export.h; autoencoders)
// so a Keras .h5 goes straight to a .tflite for TFLite Micro.
#include <cstdio>
#include <filesystem>
#include <memory>

#include "atomic_file.h"
#include "commands.h"
#include "dataset.h"
#include "dataset_load.h"
#include "roc.h"
#include "model.h"
#include "model_import.h"
#include "npz.h"
#include "tflite_export.h"
#include "tflite_import.h"

namespace tinyad::app {
namespace {

std::string extension(const std::string& path) { return std::filesystem::path(path).extension().string(); }

// Features of every window of `labels` in `data`, with the model's recipe.
bool label_windows(const Model& m, const std::string& data, const std::vector<std::string>& labels,
                   Eigen::MatrixXd* X, std::string* err) {
  LoadedDataset loaded;
  if (!dataset_load(data, labels, m.recipe.core, selection_all(), {}, &loaded, err)) return false;
  *X = std::move(loaded.table.X);
  return true;
}

// Features of one list of the model's split, read again from its dataset.
bool split_windows(const Model& m, std::vector<std::string> ModelSplit::*which, Eigen::MatrixXd* X,
                   std::string* err) {
  FeatureTable t;
  if (!dataset_load_split(m.split, which, m.recipe.core, &t, err)) return false;
  *X = std::move(t.X);
  return true;
}

bool export_npz(const Model& m, const std::string& out, std::string* err) {
  const MahalanobisModel* md = std::get_if<MahalanobisModel>(&m.detector);
  if (!md) {
    *err = std::string("only Mahalanobis models export to .npz (this one is ") + detector_name(m) + "; try .tflite)";
    return false;
  }
  const auto n = size_t(md->mean.size());
  NpyArray mu{{n}, std::vector<double>(md->mean.begin(), md->mean.end()), "<f8"};
  NpyArray cov{{n, n}, {}, "<f8"};
  for (size_t i = 0; i < n; ++i)
    for (size_t j = 0; j < n; ++j) cov.data.push_back(md->covariance(Eigen::Index(i), Eigen::Index(j)));
  return npz_write(out, {{"model_mu", mu}, {"model_cov", cov}}, err);
}

struct InteropArgs {
  std::string data, normal, anomaly;
  double false_alarms = 0;
  bool threshold_given = false, int8 = false, float_io = false;
};

// Any model file as a Model: tinyad .json as it is; .npz / .h5 / .tflite
// imported with the threshold fixed or calibrated (src/model_import.h).
bool read_model(const std::string& in, const std::string& threshold, const InteropArgs& x, Model* m,
                std::string* err) {
  ImportOptions o;
  o.threshold = threshold;
  o.threshold_given = x.threshold_given;
  o.data = x.data;
  o.false_alarms = x.false_alarms;
  if (!x.normal.empty()) o.normal = split_list(x.normal);
  std::vector<std::string> warnings;
  if (!model_import(in, o, m, &warnings, err)) return false;
  for (const auto& w : warnings) warn(w);
  const Threshold& t = m->threshold;
  if (model_is_foreign(in) && t.calibration_rate) {
    // What the threshold means on the normal windows at hand; they are not
    // held out from the imported model's training, so a new day may see more.
    std::printf("threshold %g (%s) flags %.2f %% of the %zu normal windows of %s\n", t.value,
                threshold_spec(t).c_str(), 100.0 * *t.calibration_rate, t.n_calibration, x.normal.c_str());
    if (t.expected_false_alarms)
      std::printf("a normal window like these is flagged with probability <= %.2f %%\n",
                  100.0 * *t.expected_false_alarms);
  }
  return true;
}

int save_json(const Model& m, const std::string& in, const std::string& out) {
  std::string err;
  if (!model_save(m, out, &err)) return fail(err);
  std::visit(overloaded{[&](const MahalanobisModel& md) {
                          std::printf("imported %s (%s recipe, %zu features, threshold %g) -> %s\n", in.c_str(),
                                      m.recipe.name.c_str(), size_t(md.mean.size()), m.threshold.value, out.c_str());
                        },
                        [&](const AutoencoderModel& ae) {
                          std::printf("imported %s: autoencoder %s, recipe %s, threshold %g (%s) -> %s\n",
                                      in.c_str(), autoencoder_shape(ae).c_str(), m.recipe.name.c_str(),
                                      m.threshold.value, threshold_spec(m.threshold).c_str(), out.c_str());
                        }},
             m.detector);
  return 0;
}

// tinyad model -> .tflite; int8 calibrates on the training windows.
int export_tflite(const Model& m, const std::string& in, const std::string& out, const InteropArgs& x) {
  std::string err;
  Eigen::MatrixXd rep;
  if (x.int8) {
    const bool ok = !x.data.empty() ? label_windows(m, x.data, split_list(x.normal), &rep, &err)
                                    : split_windows(m, &ModelSplit::train, &rep, &err);
    if (!ok) return fail("int8 export needs representative windows: " + err);
  }
  TfliteExportOptions o;
  o.int8 = x.int8;
  o.float_io = x.float_io;
  std::string bytes;
  if (!tflite_export(m, o, rep, &bytes, &err) || !write_file_atomic(out, bytes, &err)) return fail(err);
  std::printf("exported %s -> %s (%s, %zu bytes; inputs are standardised features, see the file's metadata)\n",
              in.c_str(), out.c_str(), x.int8 ? "int8" : "float32", bytes.size());
  if (x.int8 && !x.anomaly.empty() && m.split) {
    // What quantisation costs: float vs int8 AUC on held-out normals vs the anomalies.
    TfliteNet net;
    Eigen::MatrixXd normal, anomaly;
    if (!tflite_parse(bytes, out, &net, &err) || !split_windows(m, &ModelSplit::test, &normal, &err) ||
        !label_windows(m, m.split->dataset, split_list(x.anomaly), &anomaly, &err))
      return fail(err);
    auto auc = [&](const Eigen::VectorXd& a, const Eigen::VectorXd& b) {
      return roc_auc(std::vector<double>(a.begin(), a.end()), std::vector<double>(b.begin(), b.end())).value_or(0.0);
    };
    const double f = auc(model_scores(m, normal), model_scores(m, anomaly));
    const AutoencoderModel& ae = std::get<AutoencoderModel>(m.detector);  // tflite_export refused any other
    const double q = auc(tflite_scores(net, ae, normal), tflite_scores(net, ae, anomaly));
    std::printf("AUC on the test split vs %s: float %.4f, int8 %.4f (lost %.4f)\n", x.anomaly.c_str(), f, q, f - q);
  }
  return 0;
}

}  // namespace

RunFn attach_convert(CLI::App* cmd) {
  struct Args {
    std::string in, out, threshold = "3.0";
    InteropArgs x;
  };
  auto a = std::make_shared<Args>();
  cmd->add_option("input", a->in, "Model to read: .npz (original), .h5 (Keras), .tflite or .json (tinyad)")->required();
  cmd->add_option("output", a->out, "Model to write: .json (tinyad), .npz or .tflite")->required();
  auto* thr = cmd->add_option("--threshold", a->threshold,
                              "Threshold for an imported model (default 3.0, the original notebook's); with "
                              "--data/--normal also a rule such as mean+3sd");
  cmd->add_option("--data", a->x.data, "Dataset: calibrate an imported model's threshold, or int8 representative windows");
  cmd->add_option("--normal", a->x.normal, "Normal label(s) in --data, comma-separated");
  cmd->add_option("--false-alarms", a->x.false_alarms,
                  "With --data/--normal: threshold so that a normal window like these is flagged with probability "
                  "P (split-conformal quantile of their scores, docs/thresholds.md)")
      ->check(CLI::Range(1e-9, 0.999999))
      ->excludes(thr);
  cmd->add_option("--anomaly", a->x.anomaly, "With --int8: report the AUC int8 loses on these labels");
  cmd->add_flag("--int8", a->x.int8, "Export a full-integer int8 .tflite (calibrated on the training windows)");
  cmd->add_flag("--float-io", a->x.float_io, "With --int8: float32 input/output via QUANTIZE/DEQUANTIZE");
  return [a, thr] {
    const std::string from = extension(a->in), to = extension(a->out);
    std::string err;
    a->x.threshold_given = thr->count() > 0;
    const bool foreign = model_is_foreign(a->in);
    if ((foreign || from == ".json") && (to == ".json" || to == ".tflite" || to == ".npz")) {
      Model m;
      if (!read_model(a->in, a->threshold, a->x, &m, &err)) return fail(err);
      if (to == ".json") return save_json(m, a->in, a->out);
      if (to == ".tflite") return export_tflite(m, a->in, a->out, a->x);
      if (!export_npz(m, a->out, &err)) return fail(err);
      if (m.recipe.name != "original")
        warn("the .npz holds only mean and covariance: the recipe '" + m.recipe.name +
             "' and the threshold stay in " + a->in);
      std::printf("exported %s -> %s (model_mu, model_cov)\n", a->in.c_str(), a->out.c_str());
      return 0;
    }
    return fail("cannot convert " + (from.empty() ? std::string("(no extension)") : from) + " to " +
                (to.empty() ? std::string("(no extension)") : to) + "; supported: from .json/.npz/.h5/.tflite to .json/.npz/.tflite");
  };
}

}  // namespace tinyad::app
