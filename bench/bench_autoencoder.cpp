// bench_autoencoder.cpp: autoencoder training and scoring speed. Training
// uses the real training split (TINYAD_DATA; the original protocol's normal
// label, split seed 0), features read once outside the timed loop.
#include <benchmark/benchmark.h>

#include <cstdlib>

#include "autoencoder_train.h"
#include "dataset.h"
#include "feature_table.h"
#include "recipe.h"
#include "split.h"

namespace {

// Training rows of the original protocol's split for a recipe, or empty.
Eigen::MatrixXd training_split(const char* recipe_name, Eigen::MatrixXd* validation) {
  const char* data = std::getenv("TINYAD_DATA");
  if (!data) return {};
  tinyad::Recipe r;
  tinyad::Dataset ds;
  std::vector<tinyad::DatasetFile> files;
  std::string err;
  if (!tinyad::recipe_named(recipe_name, &r, &err) || !tinyad::dataset_open(data, &ds, &err) ||
      !tinyad::dataset_files(ds, {"fan_0_low_0_weight-moving"}, &files, &err))
    return {};
  const tinyad::FeatureTable t = tinyad::feature_table_load(files, r.core, false);
  const tinyad::Split s = tinyad::split_make(size_t(t.X.rows()), 0);
  const std::vector<Eigen::Index> tr(s.train.begin(), s.train.end()), va(s.validation.begin(), s.validation.end());
  *validation = t.X(va, Eigen::placeholders::all);
  return t.X(tr, Eigen::placeholders::all);
}

void BM_AutoencoderTrain(benchmark::State& state, const char* recipe_name) {
  Eigen::MatrixXd val;
  const Eigen::MatrixXd train = training_split(recipe_name, &val);
  if (train.rows() == 0) {
    state.SkipWithError("TINYAD_DATA is not set or unreadable");
    return;
  }
  const tinyad::AutoencoderTrainOptions o = tinyad::autoencoder_default_options(recipe_name);
  tinyad::AutoencoderTrainReport rep;
  for (auto _ : state) {
    tinyad::AutoencoderModel m;
    std::string err;
    tinyad::autoencoder_train(train, val, o, &m, &rep, &err);
    benchmark::DoNotOptimize(m.layers.data());
  }
  state.counters["windows"] = double(train.rows());
  state.counters["epochs"] = double(rep.epochs_run);
}
// original: 3-2-3, 50 epochs, batch 100 (the original notebook's schedule).
BENCHMARK_CAPTURE(BM_AutoencoderTrain, original, "original")->Unit(benchmark::kMillisecond);
// default: 60-32-8-32-60, batch 32, early stopping (patience 50, at most 1000 epochs).
BENCHMARK_CAPTURE(BM_AutoencoderTrain, default, "default")->Unit(benchmark::kMillisecond);

// One window through the core's float scorer (what a microcontroller runs).
void BM_AutoencoderScoreFloat(benchmark::State& state) {
  const int n = int(state.range(0));
  tinyad::AutoencoderModel m;
  const std::vector<int> sizes = n == 3 ? std::vector<int>{3, 2, 3} : std::vector<int>{60, 32, 8, 32, 60};
  for (size_t k = 0; k + 1 < sizes.size(); ++k) {
    tinyad::DenseLayer l;
    l.weights = Eigen::MatrixXd::Random(sizes[k + 1], sizes[k]);
    l.bias = Eigen::VectorXd::Random(sizes[k + 1]);
    l.activation = k + 2 < sizes.size() ? TINYAD_ACT_RELU : TINYAD_ACT_LINEAR;
    m.layers.push_back(l);
  }
  tinyad::autoencoder_set_identity_input(&m, size_t(n));
  const auto v = tinyad::autoencoder_view<float>(m);
  std::vector<float> x(size_t(n), 0.5f), scratch(tinyad_autoencoder_scratch_size(&v->net));
  float s = 0;
  for (auto _ : state) {
    tinyad_autoencoder_score(&v->net, x.data(), size_t(n), scratch.data(), scratch.size(), &s);
    benchmark::DoNotOptimize(s);
  }
}
BENCHMARK(BM_AutoencoderScoreFloat)->Arg(3)->Arg(60);

}  // namespace
