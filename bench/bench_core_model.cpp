// bench_core_model.cpp: the per-window score as `tinyad serve` computes it,
// before (model_scores on a one-row matrix: copies the detector per call)
// and after (CoreModel, built once), for the default recipe's 60 features in
// double. Models are fitted on simulated windows: the time does not depend
// on the values.
#include <benchmark/benchmark.h>

#include "autoencoder_train.h"
#include "core_model.h"
#include "feature_table.h"
#include "window_features.h"
#include "mahalanobis.h"
#include "model.h"
#include "simulator.h"

namespace {

// A default-recipe model of the given detector and one feature row.
tinyad::Model default_model(const char* detector, std::vector<double>* row) {
  tinyad::Model m;
  std::string err;
  tinyad::recipe_named("default", &m.recipe, &err);
  tinyad::FanSimulator sim(*tinyad::simulator_find_label("fan_0_low_0_weight"), 3);
  Eigen::MatrixXd X(150, Eigen::Index(tinyad_recipe_n_features(&m.recipe.core)));
  std::vector<double> rows;
  for (Eigen::Index i = 0; i < X.rows(); ++i) {
    sim.next_window(m.recipe.core.window, &rows);
    tinyad::window_features(m.recipe.core, rows, "sim", row, &err);
    for (size_t j = 0; j < row->size(); ++j) X(i, Eigen::Index(j)) = (*row)[j];
  }
  if (!tinyad::detector_from_name(detector, &m.detector, &err)) std::abort();
  if (std::holds_alternative<tinyad::AutoencoderModel>(m.detector)) {
    tinyad::AutoencoderTrainOptions o = tinyad::autoencoder_default_options("default");
    o.epochs = 3;
    o.patience = 0;
    tinyad::AutoencoderTrainReport rep;
    tinyad::autoencoder_train(X, Eigen::MatrixXd(), o, &std::get<tinyad::AutoencoderModel>(m.detector), &rep, &err);
  } else {
    tinyad::mahalanobis_fit(X, tinyad::Shrinkage::Auto, &std::get<tinyad::MahalanobisModel>(m.detector), &err);
  }
  return m;
}

// What InferenceService::score did per window until CoreModel.
void BM_ScoreModelScores(benchmark::State& state, const char* detector) {
  std::vector<double> f;
  const tinyad::Model m = default_model(detector, &f);
  for (auto _ : state) {
    const Eigen::Map<const Eigen::RowVectorXd> row(f.data(), Eigen::Index(f.size()));
    double s = tinyad::model_scores(m, row)[0];
    benchmark::DoNotOptimize(s);
  }
}
BENCHMARK_CAPTURE(BM_ScoreModelScores, mahalanobis_default, "mahalanobis");
BENCHMARK_CAPTURE(BM_ScoreModelScores, autoencoder_default, "autoencoder");

// What it does now: the detector in the core's structures, built once.
void BM_ScoreCoreModel(benchmark::State& state, const char* detector) {
  std::vector<double> f;
  const tinyad::Model m = default_model(detector, &f);
  tinyad::CoreModel<double> c;
  std::string err;
  if (!tinyad::core_model_build(m, &c, &err)) {
    state.SkipWithError(err.c_str());
    return;
  }
  for (auto _ : state) {
    double s = c.score_or_nonfinite(f.data(), f.size());
    benchmark::DoNotOptimize(s);
  }
}
BENCHMARK_CAPTURE(BM_ScoreCoreModel, mahalanobis_default, "mahalanobis");
BENCHMARK_CAPTURE(BM_ScoreCoreModel, autoencoder_default, "autoencoder");

}  // namespace
