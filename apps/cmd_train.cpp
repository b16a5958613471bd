// cmd_train.cpp: `tinyad train`.
#include <cstdio>
#include <memory>

#include "commands.h"
#include "dataset.h"
#include "train.h"

namespace tinyad::app {

void print_train_summary(const TrainOptions& opt, const TrainResult& r, const std::string& path) {
  const Model& m = r.model;
  std::printf("trained %s on %zu windows of %s (recipe %s, %zu features, shrinkage %.3g)\n",
              m.detector.c_str(), r.n_train, opt.normal.size() == 1 ? opt.normal[0].c_str() : "the normal labels",
              m.recipe.name.c_str(), size_t(m.mahalanobis.mean.size()), m.mahalanobis.shrinkage);
  std::printf("threshold %.6g (%s of %zu validation windows); %zu test windows held out for eval\n",
              m.threshold.value, threshold_spec(m.threshold).c_str(), r.n_validation, r.n_test);
  if (!r.skipped.empty()) std::printf("%zu malformed files skipped\n", r.skipped.size());
  if (r.test_eval) {
    std::printf("\ntest split vs anomaly labels:\n%s", eval_summary(*r.test_eval).c_str());
  }
  if (!path.empty()) std::printf("model written to %s\n", path.c_str());
}

RunFn attach_train(CLI::App* cmd) {
  struct Args {
    TrainOptions opt;
    std::string normal, anomaly, out, detector = "mahalanobis", shrinkage;
  };
  auto a = std::make_shared<Args>();
  cmd->add_option("--data", a->opt.data, "Dataset folder: DATA/<label>/<NNNN>.csv")->required();
  cmd->add_option("--normal", a->normal, "Normal label(s), comma-separated; split 60/20/20")->required();
  cmd->add_option("--anomaly", a->anomaly, "Anomaly label(s) to report test metrics against");
  cmd->add_option("--detector", a->detector, "Detector: mahalanobis")->check(CLI::IsMember({"mahalanobis"}));
  cmd->add_option("--recipe", a->opt.recipe, "Feature recipe: default or original")
      ->check(CLI::IsMember(recipe_names()));
  cmd->add_option("--seed", a->opt.seed, "Seed of the train/validation/test split");
  cmd->add_option("--threshold", a->opt.threshold,
                  "mean+Ksd, quantile:Q, K*median or a number (default: 3.5*median; mean+3sd for original)");
  cmd->add_option("--shrinkage", a->shrinkage, "Covariance shrinkage: auto, none, ledoit-wolf (default: ledoit-wolf; auto for original)")
      ->check(CLI::IsMember({"auto", "none", "ledoit-wolf"}));
  cmd->add_option("-o,--output", a->out, "Model file to write (JSON)")->required();
  return [a] {
    a->opt.normal = split_list(a->normal);
    a->opt.anomaly = split_list(a->anomaly);
    Shrinkage s;
    if (!a->shrinkage.empty() && shrinkage_from_name(a->shrinkage, &s)) a->opt.shrinkage = s;
    TrainResult r;
    std::string err;
    if (!train_run(a->opt, &r, &err)) return fail(err);
    warn_skipped(r.skipped);
    if (!model_save(r.model, a->out, &err)) return fail(err);
    print_train_summary(a->opt, r, a->out);
    return 0;
  };
}

}  // namespace tinyad::app
