// bench_features.cpp: per-window cost of the core (features, score) and the
// wall time of the whole pipeline on the real dataset (TINYAD_DATA).
// Run: build/bench/tinyad_bench   (results: bench/RESULTS.md)
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <vector>

#include "dataset.h"
#include "feature_table.h"
#include "mahalanobis.h"
#include "recipe.h"
#include "rng.h"
#include "tinyad_mahalanobis.h"

namespace {

// A 200-row window of sensor-like readings (0.000488 g steps).
template <typename T>
std::vector<T> make_window() {
  tinyad::Rng rng(42);
  std::vector<T> rows(200 * 3);
  for (size_t i = 0; i < rows.size(); ++i) {
    const double g = (i % 3 == 2 ? 1.0 : 0.0) + 0.02 * (rng.uniform() - 0.5);
    rows[i] = T(double(long(g / 0.000488)) * 0.000488);
  }
  return rows;
}

// Prepared: the Hann window and twiddles made once (tinyad_features_prepare),
// as the host and the sketches do; else rebuilt for every window.
template <typename T, bool Prepared>
void BM_Features(benchmark::State& state, const char* recipe_name) {
  tinyad::Recipe r;
  std::string err;
  tinyad::recipe_named(recipe_name, &r, &err);
  const auto rows = make_window<T>();
  std::vector<T> out(tinyad_recipe_n_features(&r.core)), scratch(tinyad_features_scratch_size(&r.core));
  if (Prepared) tinyad_features_prepare(&r.core, scratch.data(), scratch.size());
  for (auto _ : state) {
    tinyad_features_extract<T, TINYAD_GROUPS_ALL, Prepared>(&r.core, rows.data(), 200, out.data(), out.size(),
                                                            scratch.data(), scratch.size());
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations());
}
void BM_FeaturesDouble(benchmark::State& state, const char* recipe) { BM_Features<double, false>(state, recipe); }
void BM_FeaturesFloat(benchmark::State& state, const char* recipe) { BM_Features<float, false>(state, recipe); }
void BM_FeaturesDoublePrepared(benchmark::State& state, const char* recipe) { BM_Features<double, true>(state, recipe); }
void BM_FeaturesFloatPrepared(benchmark::State& state, const char* recipe) { BM_Features<float, true>(state, recipe); }
BENCHMARK_CAPTURE(BM_FeaturesDouble, original, "original");
BENCHMARK_CAPTURE(BM_FeaturesDouble, default, "default");
BENCHMARK_CAPTURE(BM_FeaturesDoublePrepared, default, "default");
BENCHMARK_CAPTURE(BM_FeaturesFloat, original, "original");
BENCHMARK_CAPTURE(BM_FeaturesFloat, default, "default");
BENCHMARK_CAPTURE(BM_FeaturesFloatPrepared, default, "default");

void BM_MahalanobisScore(benchmark::State& state) {
  const size_t n = size_t(state.range(0));
  std::vector<double> mean(n, 0.1), precision(n * n, 0.0), x(n, 0.3);
  for (size_t i = 0; i < n; ++i) precision[i * n + i] = 2.0;
  const tinyad_mahalanobis<double> m{n, mean.data(), precision.data()};
  double s;
  for (auto _ : state) {
    tinyad_mahalanobis_score(&m, x.data(), n, &s);
    benchmark::DoNotOptimize(s);
  }
}
BENCHMARK(BM_MahalanobisScore)->Arg(3)->Arg(60);

// Whole dataset: list, read and parse every CSV, extract features, fit the
// detector on the normal label, score every window.
void BM_WholeDataset(benchmark::State& state, const char* recipe_name) {
  const char* data = std::getenv("TINYAD_DATA");
  if (!data) {
    state.SkipWithError("TINYAD_DATA is not set");
    return;
  }
  tinyad::Recipe r;
  std::string err;
  tinyad::recipe_named(recipe_name, &r, &err);
  size_t files = 0;
  for (auto _ : state) {
    tinyad::Dataset ds;
    std::vector<tinyad::DatasetFile> all;
    tinyad::dataset_open(data, &ds, &err);
    tinyad::dataset_files(ds, ds.labels, &all, &err);
    const tinyad::FeatureTable t = tinyad::feature_table_load(all, r.core, false);
    const auto normal = tinyad::rows_with_labels(t, {"fan_0_low_0_weight-moving"});
    tinyad::MahalanobisModel m;
    const std::vector<Eigen::Index> rows(normal.begin(), normal.end());
    tinyad::mahalanobis_fit(t.X(rows, Eigen::placeholders::all), tinyad::Shrinkage::LedoitWolf, &m, &err);
    benchmark::DoNotOptimize(tinyad::mahalanobis_scores(m, t.X));
    files = t.files.size();
  }
  state.counters["files"] = double(files);
}
BENCHMARK_CAPTURE(BM_WholeDataset, original, "original")->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_WholeDataset, default, "default")->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
