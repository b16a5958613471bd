// reference_parity_test.cpp: the `original` recipe reproduces the original Python system on its
// own files (TINYAD_REFERENCE): MAD features of the two sample windows and their squared
// Mahalanobis distances under md_model-moving.npz, against tests/golden/reference.json (numpy,
// scripts/golden/make_golden.py); and every row of the original's saved test features (x_test)
// is the original-recipe feature vector of some window of fan_0_low_0_weight-moving in
// TINYAD_DATA. Tolerance: 1e-6 relative, the parity criterion (measured: ~1e-16).
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "dataset.h"
#include "feature_table.h"
#include "window_features.h"
#include "golden_json.h"
#include "mahalanobis.h"
#include "npz.h"
#include "recipe.h"

namespace {

using tinyad::NpyArray;
using tinyad::test::near;

constexpr double kParity = 1e-6;  // relative

std::map<std::string, NpyArray> read_npz(const std::string& path) {
  std::map<std::string, NpyArray> arrays;
  std::string err;
  EXPECT_TRUE(tinyad::npz_read(path, &arrays, &err)) << err;
  return arrays;
}

tinyad::Recipe original() {
  tinyad::Recipe r;
  std::string err;
  EXPECT_TRUE(tinyad::recipe_named("original", &r, &err)) << err;
  return r;
}

TEST(ReferenceParity, OriginalRecipeReproducesSampleFeaturesAndDistances) {
  std::string ref;
  TINYAD_REQUIRE_ENV_PATH("TINYAD_REFERENCE", ref);
  const nlohmann::json golden = tinyad::test::load_golden("reference.json");
  ASSERT_TRUE(golden.contains("samples"));
  auto samples = read_npz(ref + "/test-samples/normal_anomaly_samples.npz");
  auto model = read_npz(ref + "/mahalanobis/md_model-moving.npz");
  ASSERT_TRUE(model.count("model_mu") && model.count("model_cov"));

  // The detector exactly as the original stored it: its mean and covariance, our inverse.
  const NpyArray& mu = model["model_mu"];
  const NpyArray& cov = model["model_cov"];
  ASSERT_EQ(mu.shape, std::vector<size_t>{3});
  ASSERT_EQ(cov.shape, (std::vector<size_t>{3, 3}));
  tinyad::MahalanobisModel md;
  std::string err;
  ASSERT_TRUE(tinyad::mahalanobis_from_covariance(Eigen::Map<const Eigen::VectorXd>(mu.data.data(), 3),
                                                  Eigen::Map<const Eigen::Matrix3d>(cov.data.data()).transpose(), &md,
                                                  &err))
      << err;

  const tinyad::Recipe recipe = original();
  ASSERT_EQ(golden["window"].get<int>(), recipe.core.window);
  ASSERT_EQ(golden["mad_scale"].get<double>(), recipe.core.mad_scale);
  int n = 0;
  for (const auto& [name, want] : golden["samples"].items()) {
    ++n;
    ASSERT_TRUE(samples.count(name)) << name;
    const NpyArray& w = samples[name];
    ASSERT_EQ(w.shape, (std::vector<size_t>{200, 3})) << name;
    std::vector<double> f;
    ASSERT_TRUE(tinyad::window_features(recipe.core, w.data, name, &f, &err)) << err;
    const auto want_f = want["features"].get<std::vector<double>>();
    ASSERT_EQ(f.size(), want_f.size());
    for (size_t k = 0; k < f.size(); ++k) EXPECT_TRUE(near(f[k], want_f[k], kParity, 0)) << name << " MAD " << k;
    Eigen::MatrixXd x(1, 3);
    x << f[0], f[1], f[2];
    const double d2 = tinyad::mahalanobis_scores(md, x)[0];
    EXPECT_TRUE(near(d2, want["sq_distance"].get<double>(), kParity, 0)) << name << " squared distance";
  }
  EXPECT_EQ(n, 2);
}

TEST(ReferenceParity, SavedTestFeaturesAreWindowsOfTheMovingSession) {
  std::string ref, data;
  TINYAD_REQUIRE_ENV_PATH("TINYAD_REFERENCE", ref);
  TINYAD_REQUIRE_ENV_PATH("TINYAD_DATA", data);
  auto test_set = read_npz(ref + "/test-samples/normal_anomaly_test_set.npz");
  ASSERT_TRUE(test_set.count("x_test"));
  const NpyArray& x = test_set["x_test"];
  ASSERT_EQ(x.shape.size(), 2u);
  ASSERT_EQ(x.shape[1], 3u);
  const size_t n_rows = x.shape[0];
  ASSERT_GT(n_rows, 0u);

  tinyad::Dataset ds;
  std::vector<tinyad::DatasetFile> files;
  std::string err;
  ASSERT_TRUE(tinyad::dataset_open(data, &ds, &err)) << err;
  ASSERT_TRUE(tinyad::dataset_files(ds, {"fan_0_low_0_weight-moving"}, &files, &err)) << err;
  const tinyad::FeatureTable table = tinyad::feature_table_load(files, original().core, false);
  EXPECT_TRUE(table.skipped.empty()) << table.skipped.size() << " files skipped, first: " << table.skipped[0];
  ASSERT_GT(table.X.rows(), 0);

  // Each saved row must equal (to 1e-6 relative in every feature) some window's features; the
  // original's test split holds distinct files, so each row should find a distinct window.
  std::vector<std::string> unmatched;
  std::map<Eigen::Index, size_t> used;
  for (size_t i = 0; i < n_rows; ++i) {
    const double* row = &x.data[3 * i];
    Eigen::Index best = -1;
    double best_err = INFINITY;
    for (Eigen::Index r = 0; r < table.X.rows(); ++r) {
      double e = 0;
      for (int k = 0; k < 3; ++k) e = std::max(e, std::fabs(table.X(r, k) - row[k]) / std::fabs(row[k]));
      if (e < best_err) best_err = e, best = r;
    }
    if (best_err <= kParity) {
      ++used[best];
    } else {
      unmatched.push_back("x_test row " + std::to_string(i) + ": closest window " + table.files[size_t(best)].id() +
                          " differs by " + std::to_string(best_err) + " relative");
    }
  }
  for (const auto& u : unmatched) ADD_FAILURE() << u;
  EXPECT_TRUE(unmatched.empty()) << unmatched.size() << " of " << n_rows << " rows match no window";
  EXPECT_EQ(used.size() + unmatched.size(), n_rows) << "some rows matched the same window";
}

}  // namespace
