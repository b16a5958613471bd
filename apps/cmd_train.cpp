// cmd_train.cpp: `tinyad train`.
#include <cstdio>
#include <memory>

#include "commands.h"
#include "dataset.h"
#include "report_model.h"
#include "train.h"

namespace tinyad::app {

void print_train_summary(const TrainOptions& opt, const TrainResult& r, const std::string& path) {
  const Model& m = r.model;
  const char* labels = opt.normal.size() == 1 ? opt.normal[0].c_str() : "the normal labels";
  std::visit(overloaded{
                 [&](const MahalanobisModel& md) {
                   char covariance[64];
                   if (md.components > 0)
                     std::snprintf(covariance, sizeof covariance, "ppca, %d components", md.components);
                   else
                     std::snprintf(covariance, sizeof covariance, "shrinkage %.3g", md.shrinkage);
                   std::printf("trained %s on %zu windows of %s (recipe %s, %zu features, %s)\n", detector_name(m),
                               r.n_fitted, labels, m.recipe.name.c_str(), size_t(md.mean.size()), covariance);
                 },
                 [&](const AutoencoderModel& ae) {
                   if (!r.autoencoder) return;
                   const AutoencoderTrainReport& a = *r.autoencoder;
                   std::printf("trained autoencoder %s on %zu windows of %s (recipe %s): %d epochs%s, kept epoch %d "
                               "(validation loss %.4g)\n",
                               autoencoder_shape(ae).c_str(), r.n_train, labels, m.recipe.name.c_str(), a.epochs_run,
                               a.stopped_early ? " (stopped early)" : "", a.best_epoch,
                               a.val_loss[size_t(a.best_epoch - 1)]);
                   if (!a.dead_units.empty()) {
                     std::string list;
                     for (const auto& u : a.dead_units) list += (list.empty() ? "" : ", ") + u;
                     warn(std::to_string(a.dead_units.size()) +
                          " dead ReLU unit(s) (never active on the training windows): " + list +
                          "; try another --seed, more units or fewer layers");
                   }
                 }},
             m.detector);
  if (m.threshold.method == "cv-conformal")
    std::printf("threshold %.6g (%s of %zu out-of-fold scores of train + validation windows); %zu test windows "
                "held out for eval\n",
                m.threshold.value, threshold_spec(m.threshold).c_str(), m.threshold.n_calibration, r.n_test);
  else
    std::printf("threshold %.6g (%s of %zu validation windows); %zu test windows held out for eval\n",
                m.threshold.value, threshold_spec(m.threshold).c_str(), r.n_validation, r.n_test);
  if (m.threshold.expected_false_alarms)
    std::printf("a normal window of the training conditions is flagged with probability %s %.2f %%\n",
                m.threshold.method == "cv-conformal" ? "about" : "<=",  // cv: no finite-sample proof, measured
                100.0 * *m.threshold.expected_false_alarms);
  if (!r.threshold_note.empty()) warn(r.threshold_note);
  if (!r.skipped.empty()) std::printf("%zu malformed files skipped\n", r.skipped.size());
  if (!r.session_distances.empty()) {
    std::printf("\nnormal sessions apart (Mahalanobis distance of their centroids, in within-session sd):\n");
    for (const auto& d : r.session_distances)
      std::printf("  %s (%zu) - %s (%zu): %.2f\n", d.a.c_str(), d.n_a, d.b.c_str(), d.n_b, d.distance);
  }
  if (r.test_eval) {
    std::printf("\ntest split vs anomaly labels:\n%s", eval_summary(*r.test_eval).c_str());
  }
  if (!path.empty()) std::printf("model written to %s\n", path.c_str());
}

RunFn attach_train(CLI::App* cmd) {
  struct Args {
    TrainOptions opt;
    std::string normal, anomaly, features, columns, detector, out, shrinkage, layers, output_activation, report;
    int epochs = 0, batch_size = 0, patience = -1;
    double dropout = -1, learning_rate = 0;
  };
  auto a = std::make_shared<Args>();
  cmd->add_option("--data", a->opt.data, "Dataset folder: DATA/<label>/<NNNN>.csv")->required();
  cmd->add_option("--normal", a->normal, "Normal label(s), comma-separated; split 60/20/20")->required();
  cmd->add_option("--columns", a->columns,
                  "The x, y, z columns of CSV files or Edge Impulse sensors, by header name or 1-based number, "
                  "e.g. accX,accY,accZ or 2,3,4 (default: the last three CSV columns; docs/foreign-data.md)");
  cmd->add_option("--anomaly", a->anomaly, "Anomaly label(s) to report test metrics against");
  cmd->add_option("--detector", a->detector, "Detector: mahalanobis (default) or autoencoder")
      ->check(CLI::IsMember(detector_names()));
  cmd->add_option("--recipe", a->opt.recipe, "Feature recipe: default or original")
      ->check(CLI::IsMember(recipe_names()));
  std::string groups;
  for (const auto& g : feature_group_names()) groups += (groups.empty() ? "" : ",") + g;
  cmd->add_option("--features", a->features,
                  "Feature groups replacing the recipe's, comma-separated, in output order (e.g. the line "
                  "`tinyad analyze` prints); the model file records them. Known: " + groups);
  cmd->add_option("--rate", a->opt.rate_hz,
                  "Sampling rate of the recordings in Hz (default 200); the recipe's bands are in Hz, "
                  "bands above rate/2 are dropped (docs/foreign-data.md)")
      ->check(CLI::Range(1.0, 1e6));
  cmd->add_option("--window", a->opt.window,
                  "Rows per window (default: the recipe's, 128 original, 200 default); longer files are cut "
                  "into whole windows")
      ->check(CLI::Range(4, TINYAD_MAX_WINDOW));
  cmd->add_option("--seed", a->opt.seed, "Seed of the train/validation/test split");
  auto* fa = cmd->add_option(
      "--false-alarms", a->opt.false_alarms,
      "Probability P that a normal window of the training conditions is flagged, e.g. 0.01 (the default for "
      "a Mahalanobis model of the default recipe): the threshold is the conformal quantile of calibration "
      "scores (see --calibration; docs/thresholds.md); needs >= 1/P - 1 calibration windows. Other defaults: "
      "mean+3sd for the original recipe, 3.5*median for the autoencoder")
      ->check(CLI::Range(1e-9, 0.999999));
  cmd->add_option("--calibration", a->opt.calibration,
                  "How --false-alarms calibrates: cv (out-of-fold scores of the train + validation windows, the "
                  "detector then fitted on all of them; Mahalanobis only), split (the validation windows, P "
                  "guaranteed) or auto (default: cv for Mahalanobis, split for the autoencoder; docs/thresholds.md)")
      ->check(CLI::IsMember({"auto", "split", "cv"}));
  cmd->add_option("--cv-folds", a->opt.cv_folds, "Folds of --calibration cv (default 10: each fold model is fitted "
                  "on 9/10 of the windows the final model is fitted on)")
      ->check(CLI::Range(2, 1000));
  cmd->add_option("--threshold", a->opt.threshold,
                  "Another rule instead: conformal:P, cv-conformal:P, mean+Ksd, quantile:Q, K*median or a number")
      ->excludes(fa);
  cmd->add_option("--shrinkage", a->shrinkage, "Covariance estimate: auto, none, ledoit-wolf or ppca (probabilistic PCA, components by Kaiser's rule; docs/thresholds.md) (default: ppca; auto for original)")
      ->check(CLI::IsMember({"auto", "none", "ledoit-wolf", "ppca"}));
  cmd->add_option("--fit", a->opt.fit, "Mahalanobis fit: classical (default) or mcd (robust FastMCD, docs/mcd.md)")
      ->check(CLI::IsMember({"classical", "mcd"}));
  cmd->add_option("--mcd-support", a->opt.mcd_support,
                  "With --fit mcd: fraction of training windows in the MCD subset (default (n + features + 1) / 2)")
      ->check(CLI::Range(0.5, 1.0));
  cmd->add_option("-o,--output", a->out, "Model file to write (JSON)")->required();
  cmd->add_option("--report", a->report, "Also write an HTML report (scores, ROC, confusion, loss curves)");
  auto* ae = "Autoencoder";
  cmd->add_option("--layers", a->layers, "Hidden layer sizes, e.g. 8,2,8 (default: 2 for original, 8 for default)")
      ->group(ae);
  cmd->add_option("--epochs", a->epochs, "Most epochs to train (default: 50 for original, 1000 for default)")
      ->check(CLI::Range(1, 1000000))->group(ae);
  cmd->add_option("--batch-size", a->batch_size, "Mini-batch size (default: 100 for original, 32 for default)")
      ->check(CLI::Range(1, 1000000))->group(ae);
  cmd->add_option("--patience", a->patience, "Early stopping: epochs without a better validation loss; 0 = off")
      ->check(CLI::Range(0, 1000000))->group(ae);
  cmd->add_option("--dropout", a->dropout, "Dropout rate after hidden layers while training (default: 0.2 for original, 0 for default)")
      ->check(CLI::Range(0.0, 0.95))->group(ae);
  cmd->add_option("--learning-rate", a->learning_rate, "Adam learning rate (default 0.001)")
      ->check(CLI::PositiveNumber)->group(ae);
  cmd->add_option("--output-activation", a->output_activation, "linear (default) or relu (as the original)")
      ->check(CLI::IsMember({"linear", "relu"}))->group(ae);
  return [a] {
    a->opt.normal = split_list(a->normal);
    a->opt.columns = split_list(a->columns);
    a->opt.anomaly = split_list(a->anomaly);
    a->opt.features = split_list(a->features);
    Shrinkage s;
    if (!a->shrinkage.empty() && shrinkage_from_name(a->shrinkage, &s)) a->opt.shrinkage = s;
    AutoencoderTrainOptions ao = autoencoder_default_options(a->opt.recipe);
    std::string err;
    if (!a->detector.empty() && !detector_from_name(a->detector, &a->opt.detector, &err)) return fail(err);
    if (!a->layers.empty() && !parse_layer_sizes(a->layers, &ao.hidden, &err)) return fail(err);
    if (a->epochs > 0) ao.epochs = a->epochs;
    if (a->batch_size > 0) ao.batch_size = a->batch_size;
    if (a->patience >= 0) ao.patience = a->patience;
    if (a->dropout >= 0) ao.dropout = a->dropout;
    if (a->learning_rate > 0) ao.adam.learning_rate = a->learning_rate;
    if (!a->output_activation.empty()) activation_from_name(a->output_activation, &ao.output_activation);
    a->opt.autoencoder = ao;
    TrainResult r;
    if (!train_run(a->opt, &r, &err)) return fail(err);
    warn_skipped(r.skipped);
    if (!model_save(r.model, a->out, &err)) return fail(err);
    print_train_summary(a->opt, r, a->out);
    if (!a->report.empty()) {
      if (!report_train_write(a->opt, r, a->report, &err)) return fail(err);
      std::printf("report written to %s\n", a->report.c_str());
    }
    return 0;
  };
}

}  // namespace tinyad::app
