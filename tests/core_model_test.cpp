// core_model_test.cpp: CoreModel (a Model in the core's structures, what
// serve and the C export score with) against model_scores, the host's batch
// scorer that train/eval/report use: Mahalanobis (original and default
// recipes, plain and Ledoit-Wolf) and autoencoders, on real windows
// (TINYAD_DATA) and on simulated ones. double must agree within 1e-9
// relative (the detectors are the same arithmetic, so in practice bit for
// bit); float, fed the features rounded to float, within kFloatRelative.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <thread>

#include "autoencoder_train.h"
#include "core_model.h"
#include "dataset.h"
#include "feature_table.h"
#include "window_features.h"
#include "mahalanobis.h"
#include "model.h"
#include "simulator.h"
#include "test_env.h"

namespace tinyad {
namespace {

// Windows of one recipe: normal ones to train on, and normal plus anomalous
// ones to score.
struct Windows {
  Recipe recipe;
  Eigen::MatrixXd train;  // (n_train, n_features)
  Eigen::MatrixXd score;  // (n_score, n_features)
};

Eigen::MatrixXd stack(const Eigen::MatrixXd& a, const Eigen::MatrixXd& b) {
  Eigen::MatrixXd out(a.rows() + b.rows(), a.cols());
  out << a, b;
  return out;
}

// Features of n simulated windows of a label.
Eigen::MatrixXd simulated(const Recipe& r, const char* label, int n, uint64_t seed) {
  const FanLabel* l = simulator_find_label(label);
  EXPECT_NE(l, nullptr) << label;
  if (!l) return {};
  FanSimulator sim(*l, seed);
  Eigen::MatrixXd X(n, Eigen::Index(tinyad_recipe_n_features(&r.core)));
  std::vector<double> rows, f;
  std::string err;
  for (int i = 0; i < n; ++i) {
    sim.next_window(r.core.window, &rows);
    EXPECT_TRUE(window_features(r.core, rows, label, &f, &err)) << err;
    for (size_t j = 0; j < f.size(); ++j) X(i, Eigen::Index(j)) = f[j];
  }
  return X;
}

Windows simulated_windows(const std::string& recipe) {
  Windows w;
  std::string err;
  EXPECT_TRUE(recipe_named(recipe, &w.recipe, &err)) << err;
  w.train = simulated(w.recipe, "fan_0_low_0_weight", 150, 5);
  w.score = stack(simulated(w.recipe, "fan_0_low_0_weight", 40, 6), simulated(w.recipe, "fan_0_low_1_weight", 40, 7));
  return w;
}

Eigen::MatrixXd real_label(const Dataset& ds, const Recipe& r, const char* label) {
  std::vector<DatasetFile> files;
  std::string err;
  EXPECT_TRUE(dataset_files(ds, {label}, &files, &err)) << err;
  const FeatureTable t = feature_table_load(files, r.core, false);
  EXPECT_TRUE(t.skipped.empty()) << label << ": " << t.skipped.size() << " files skipped";
  return t.X;
}

Windows real_windows(const std::string& root, const std::string& recipe) {
  Windows w;
  std::string err;
  Dataset ds;
  EXPECT_TRUE(recipe_named(recipe, &w.recipe, &err)) << err;
  EXPECT_TRUE(dataset_open(root, &ds, &err)) << err;
  // The original protocol's normal label; every window of it is scored too.
  w.train = real_label(ds, w.recipe, "fan_0_low_0_weight-moving");
  w.score = stack(stack(w.train, real_label(ds, w.recipe, "fan_0_low_1_weight")),
                  real_label(ds, w.recipe, "fan_0_high_0_weight"));
  return w;
}

Model mahalanobis(const Windows& w, Shrinkage s) {
  Model m;
  m.recipe = w.recipe;
  std::string err;
  EXPECT_TRUE(mahalanobis_fit(w.train, s, &std::get<MahalanobisModel>(m.detector), &err)) << err;
  return m;
}

Model autoencoder(const Windows& w) {
  Model m;
  m.recipe = w.recipe;
  m.detector = AutoencoderModel();
  AutoencoderTrainOptions o = autoencoder_default_options(w.recipe.name);
  o.epochs = 5;  // any weights do: the test compares two scorers of one network
  o.patience = 0;
  AutoencoderTrainReport rep;
  std::string err;
  EXPECT_TRUE(autoencoder_train(w.train, Eigen::MatrixXd(), o, &std::get<AutoencoderModel>(m.detector), &rep, &err)) << err;
  return m;
}

// Float scores (features and constants rounded to float, float arithmetic)
// against the host's double ones, relative. Measured worst: 3.0e-6 (real
// dataset, autoencoder original), under 1e-6 for the 60-feature models;
// float's own rounding is 6e-8, so a slip (a skipped standardisation, a wrong
// constant) lands orders of magnitude above this.
constexpr double kFloatRelative = 2e-5;

// Scores every row with model_scores and with CoreModel<double> / <float>.
void expect_core_matches_host(const Model& m, const Eigen::MatrixXd& X, const std::string& what) {
  SCOPED_TRACE(what);
  CoreModel<double> cd;
  CoreModel<float> cf;
  std::string err;
  ASSERT_TRUE(core_model_build(m, &cd, &err)) << err;
  ASSERT_TRUE(core_model_build(m, &cf, &err)) << err;
  ASSERT_EQ(cd.n_features, size_t(X.cols()));
  const Eigen::VectorXd host = model_scores(m, X);
  size_t bit_equal = 0;
  double worst_float = 0;  // largest relative float error
  for (Eigen::Index i = 0; i < X.rows(); ++i) {
    const Eigen::RowVectorXd row = X.row(i);
    double d = 0;
    ASSERT_EQ(cd.score(row.data(), size_t(row.size()), &d), TINYAD_STATUS_OK) << "row " << i;
    ASSERT_TRUE(std::isfinite(host[i])) << "row " << i;
    EXPECT_LE(std::abs(d - host[i]), 1e-9 * std::abs(host[i])) << "row " << i << ": core " << d << ", host " << host[i];
    bit_equal += d == host[i];

    const std::vector<float> xf(row.data(), row.data() + row.size());
    float f = 0;
    ASSERT_EQ(cf.score(xf.data(), xf.size(), &f), TINYAD_STATUS_OK) << "row " << i;
    const double rel = std::abs(double(f) - host[i]) / std::abs(host[i]);
    EXPECT_LE(rel, kFloatRelative) << "row " << i << ": float " << f << ", host " << host[i];
    worst_float = std::max(worst_float, rel);
  }
  char shrink[48] = "";
  if (const auto* md = std::get_if<MahalanobisModel>(&m.detector))
    std::snprintf(shrink, sizeof shrink, " (shrinkage %.3g)", md->shrinkage);
  std::printf("[ core-model ] %s%s: %zu rows, %zu bit-equal in double, float within %.2g relative\n", what.c_str(),
              shrink, size_t(X.rows()), bit_equal, worst_float);
}

void expect_all_detectors_match(const Windows& original, const Windows& dflt, const std::string& source) {
  expect_core_matches_host(mahalanobis(original, Shrinkage::None), original.score, source + " mahalanobis original");
  expect_core_matches_host(mahalanobis(dflt, Shrinkage::Auto), dflt.score, source + " mahalanobis default auto");
  expect_core_matches_host(mahalanobis(dflt, Shrinkage::LedoitWolf), dflt.score,
                           source + " mahalanobis default ledoit-wolf");
  expect_core_matches_host(autoencoder(original), original.score, source + " autoencoder original");
  expect_core_matches_host(autoencoder(dflt), dflt.score, source + " autoencoder default");
}

TEST(CoreModel, MatchesModelScoresOnSimulatedWindows) {
  expect_all_detectors_match(simulated_windows("original"), simulated_windows("default"), "simulated");
}

TEST(CoreModel, MatchesModelScoresOnTheRealDataset) {
  std::string root;
  TINYAD_REQUIRE_ENV_PATH("TINYAD_DATA", root);
  expect_all_detectors_match(real_windows(root, "original"), real_windows(root, "default"), "real");
}

TEST(CoreModel, NonFiniteFeaturesScoreAsModelScoresDoes) {
  const Windows w = simulated_windows("original");
  for (const Model& m : {mahalanobis(w, Shrinkage::None), autoencoder(w)}) {
    CoreModel<double> c;
    std::string err;
    ASSERT_TRUE(core_model_build(m, &c, &err)) << err;
    Eigen::RowVectorXd x = w.score.row(0);
    x[1] = INFINITY;
    double s = 0;
    EXPECT_EQ(c.score(x.data(), size_t(x.size()), &s), TINYAD_STATUS_NOT_FINITE) << detector_name(m);
    const double host = model_scores(m, x)[0], core = c.score_or_nonfinite(x.data(), size_t(x.size()));
    EXPECT_EQ(std::isnan(host), std::isnan(core)) << detector_name(m);
    if (!std::isnan(host)) {
      EXPECT_EQ(host, core) << detector_name(m);
    }
    EXPECT_EQ(c.score(x.data(), size_t(x.size()) - 1, &s), TINYAD_STATUS_SIZE_MISMATCH) << detector_name(m);
  }
}

TEST(CoreModel, BuildRefusesModelsTheCoreCannotScore) {
  const Windows w = simulated_windows("original");
  std::string err;
  CoreModel<double> c;
  Model bad = mahalanobis(w, Shrinkage::None);
  std::get<MahalanobisModel>(bad.detector).mean.resize(2);
  EXPECT_FALSE(core_model_build(bad, &c, &err));
  EXPECT_NE(err.find("recipe makes 3 features"), std::string::npos) << err;
  // A detector with no core scorer (once "isolation-forest") cannot be built
  // any more: Detector is a variant and core_model_build visits it, so a new
  // alternative is a compile error there. What is left is refusing bad values.
  bad = autoencoder(w);
  std::get<AutoencoderModel>(bad.detector).input_scale[0] = 0;
  EXPECT_FALSE(core_model_build(bad, &c, &err));
}

// serve scores from many threads with one CoreModel: each gets what a lone
// caller gets (the autoencoder's scratch is per thread).
TEST(CoreModel, ScoresFromManyThreadsAsFromOne) {
  const Windows w = simulated_windows("default");
  const Model m = autoencoder(w);
  CoreModel<double> c;
  std::string err;
  ASSERT_TRUE(core_model_build(m, &c, &err)) << err;
  const Eigen::VectorXd expected = model_scores(m, w.score);
  using RowMajor = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  const RowMajor X = w.score;
  std::vector<std::thread> threads;
  std::vector<int> mismatches(4, 0);
  for (size_t t = 0; t < mismatches.size(); ++t) {
    threads.emplace_back([&, t] {
      for (int rep = 0; rep < 50; ++rep) {
        for (Eigen::Index i = 0; i < X.rows(); ++i) {
          double s = 0;
          if (c.score(X.row(i).data(), size_t(X.cols()), &s) != TINYAD_STATUS_OK || s != expected[i]) ++mismatches[t];
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  for (int n : mismatches) EXPECT_EQ(n, 0);
}

}  // namespace
}  // namespace tinyad
