// mcd_test.cpp: FastMCD (src/mcd.cpp) against the exact MCD found by brute
// force over every h-subset (scripts/golden/make_mcd_golden.py, numpy/scipy),
// and its robustness to gross outliers on data generated here.
#include <gtest/gtest.h>

#include <cmath>

#include "golden_json.h"
#include "mcd.h"
#include "model.h"
#include "rng.h"
#include "train.h"

namespace tinyad {
namespace {

Eigen::MatrixXd matrix_of(const nlohmann::json& rows) {
  Eigen::MatrixXd M(Eigen::Index(rows.size()), Eigen::Index(rows.at(0).size()));
  for (size_t i = 0; i < rows.size(); ++i)
    for (size_t j = 0; j < rows[i].size(); ++j) M(Eigen::Index(i), Eigen::Index(j)) = rows[i][j].get<double>();
  return M;
}

Eigen::VectorXd vector_of(const nlohmann::json& v) {
  const auto x = v.get<std::vector<double>>();
  return Eigen::Map<const Eigen::VectorXd>(x.data(), Eigen::Index(x.size()));
}

void expect_near_matrix(const Eigen::MatrixXd& a, const Eigen::MatrixXd& b, const std::string& what) {
  ASSERT_EQ(a.rows(), b.rows()) << what;
  ASSERT_EQ(a.cols(), b.cols()) << what;
  for (Eigen::Index i = 0; i < a.rows(); ++i)
    for (Eigen::Index j = 0; j < a.cols(); ++j)
      EXPECT_TRUE(test::near(a(i, j), b(i, j), 1e-9, 1e-12)) << what << "(" << i << "," << j << ")";
}

TEST(Mcd, FindsTheExactMinimumDeterminantSubset) {
  const nlohmann::json g = test::load_golden("mcd.json");
  ASSERT_FALSE(g.is_null());
  ASSERT_EQ(g.at("cases").size(), 3u);
  for (const auto& c : g.at("cases")) {
    SCOPED_TRACE(c.at("name").get<std::string>());
    const Eigen::MatrixXd X = matrix_of(c.at("X"));
    for (uint64_t seed : {0u, 1u, 7u}) {
      McdOptions opt;
      opt.seed = seed;
      opt.support_fraction = c.at("support_fraction").get<double>();
      McdResult r;
      std::string err;
      ASSERT_TRUE(mcd_fit(X, opt, &r, &err)) << err;
      EXPECT_EQ(r.h, c.at("h").get<size_t>());
      EXPECT_EQ(r.raw_support, c.at("raw_support").get<std::vector<size_t>>()) << "seed " << seed;
      EXPECT_TRUE(test::near(r.raw_log_det, c.at("raw_log_det").get<double>(), 1e-10, 1e-10));
      EXPECT_TRUE(test::near(r.consistency, c.at("consistency").get<double>(), 1e-9, 0));
      expect_near_matrix(r.raw_mean, vector_of(c.at("raw_mean")), "raw_mean");
      expect_near_matrix(r.raw_covariance, matrix_of(c.at("raw_covariance")), "raw_covariance");
      EXPECT_EQ(r.support, c.at("support").get<std::vector<size_t>>());
      expect_near_matrix(r.mean, vector_of(c.at("mean")), "mean");
      expect_near_matrix(r.covariance, matrix_of(c.at("covariance")), "covariance");
    }
  }
}

TEST(Mcd, SubsetLogDetMatchesBruteForce) {
  // The golden optimum beats the runner-up; our determinant must rank them the same way.
  const nlohmann::json g = test::load_golden("mcd.json");
  ASSERT_FALSE(g.is_null());
  for (const auto& c : g.at("cases")) {
    const Eigen::MatrixXd X = matrix_of(c.at("X"));
    const auto rows = c.at("raw_support").get<std::vector<size_t>>();
    EXPECT_TRUE(test::near(mcd_subset_log_det(X, rows), c.at("raw_log_det").get<double>(), 1e-10, 1e-10));
    EXPECT_LT(mcd_subset_log_det(X, rows), c.at("second_log_det").get<double>());
  }
}

TEST(Mcd, Chi2QuantilesMatchScipy) {
  const nlohmann::json g = test::load_golden("mcd.json");
  ASSERT_FALSE(g.is_null());
  ASSERT_FALSE(g.at("chi2").empty());
  for (const auto& q : g.at("chi2")) {
    const double p = q.at("q"), dof = q.at("dof"), x = q.at("x");
    EXPECT_TRUE(test::near(chi2_quantile(p, dof), x, 1e-9, 0)) << "q " << p << " dof " << dof;
    EXPECT_TRUE(test::near(chi2_cdf(x, dof), p, 1e-10, 0)) << "q " << p << " dof " << dof;
  }
}

// Standard normal by Box-Muller from the seeded generator.
double normal(Rng* rng) {
  const double u = 1.0 - rng->uniform(), v = rng->uniform();
  return std::sqrt(-2.0 * std::log(u)) * std::cos(6.283185307179586 * v);
}

TEST(Mcd, MeanStaysPutUnderTwentyPercentGrossOutliers) {
  Rng rng(42);
  const Eigen::Index n = 200, p = 4, n_out = 40;  // 20 % contamination
  Eigen::MatrixXd X(n, p);
  for (Eigen::Index i = 0; i < n; ++i)
    for (Eigen::Index j = 0; j < p; ++j) X(i, j) = normal(&rng) + (i < n_out ? 12.0 : 0.0);
  const Eigen::VectorXd classical = X.colwise().mean().transpose();
  McdResult r;
  std::string err;
  ASSERT_TRUE(mcd_fit(X, McdOptions{}, &r, &err)) << err;
  // The outliers drag the classical mean by 0.2 * 12 = 2.4 per feature.
  EXPECT_GT(classical.minCoeff(), 1.5);
  EXPECT_LT(r.raw_mean.cwiseAbs().maxCoeff(), 0.4);
  EXPECT_LT(r.mean.cwiseAbs().maxCoeff(), 0.4);
  for (size_t i : r.support) EXPECT_GE(Eigen::Index(i), n_out) << "outlier row " << i << " kept";
  EXPECT_GE(r.support.size(), size_t(140));  // most clean rows come back after reweighting
  // The reweighted covariance estimates the clean identity, the classical one does not.
  const Eigen::MatrixXd I = Eigen::MatrixXd::Identity(p, p);
  EXPECT_LT((r.covariance - I).cwiseAbs().maxCoeff(), 0.5);
  const Eigen::VectorXd c = classical;
  const Eigen::MatrixXd centred = X.rowwise() - c.transpose();
  EXPECT_GT((centred.transpose() * centred / double(n - 1) - I).cwiseAbs().maxCoeff(), 10.0);
}

TEST(Mcd, SameSeedSameResult) {
  Rng rng(3);
  Eigen::MatrixXd X(60, 5);
  for (Eigen::Index i = 0; i < X.rows(); ++i)
    for (Eigen::Index j = 0; j < X.cols(); ++j) X(i, j) = normal(&rng);
  McdOptions opt;
  opt.seed = 9;
  McdResult a, b;
  std::string err;
  ASSERT_TRUE(mcd_fit(X, opt, &a, &err)) << err;
  ASSERT_TRUE(mcd_fit(X, opt, &b, &err)) << err;
  EXPECT_EQ(a.raw_support, b.raw_support);
  EXPECT_EQ(a.raw_log_det, b.raw_log_det);
}

TEST(Mcd, RejectsTooFewRowsAndExactFit) {
  McdResult r;
  std::string err;
  EXPECT_FALSE(mcd_fit(Eigen::MatrixXd::Ones(4, 3), McdOptions{}, &r, &err));
  EXPECT_NE(err.find("more rows than features"), std::string::npos) << err;
  Eigen::MatrixXd X(30, 2);
  Rng rng(5);
  for (Eigen::Index i = 0; i < X.rows(); ++i) X(i, 0) = normal(&rng), X(i, 1) = 3.0;  // constant feature
  err.clear();
  EXPECT_FALSE(mcd_fit(X, McdOptions{}, &r, &err));
  EXPECT_NE(err.find("exact fit"), std::string::npos) << err;
}

TEST(Mcd, TrainRecordsTheFitAndTheModelFileScoresTheSame) {
  std::string data;
  TINYAD_REQUIRE_ENV_PATH("TINYAD_DATA", data);
  TrainOptions opt;
  opt.data = data;
  opt.normal = {"fan_0_low_0_weight-moving"};
  opt.recipe = "original";
  opt.progress = false;
  TrainResult classical, robust;
  std::string err;
  ASSERT_TRUE(train_run(opt, &classical, &err)) << err;
  opt.fit = "mcd";
  ASSERT_TRUE(train_run(opt, &robust, &err)) << err;
  const nlohmann::json& prov = robust.model.provenance;
  EXPECT_EQ(prov.at("fit"), "mcd");
  EXPECT_EQ(classical.model.provenance.at("fit"), "classical");
  const size_t h = prov.at("mcd").at("h"), kept = prov.at("mcd").at("n_support");
  EXPECT_EQ(h, (robust.n_train + 3 + 1) / 2);  // 3 features in the original recipe
  EXPECT_GT(kept, robust.n_train / 2);  // reweighting may keep a few less or more than h
  EXPECT_LT(kept, robust.n_train);
  EXPECT_GT((std::get<MahalanobisModel>(robust.model.detector).mean - std::get<MahalanobisModel>(classical.model.detector).mean).norm(), 0.0);
  // eval/score read only the model file: a saved and reloaded MCD model scores identically.
  const std::string path = testing::TempDir() + "/mcd_model.json";
  ASSERT_TRUE(model_save(robust.model, path, &err)) << err;
  Model loaded;
  ASSERT_TRUE(model_load(path, &loaded, &err)) << err;
  EXPECT_EQ(loaded.provenance.at("fit"), "mcd");
  const Eigen::MatrixXd probe = Eigen::MatrixXd::Random(20, 3) * 5.0;
  EXPECT_EQ(model_scores(loaded, probe), model_scores(robust.model, probe));
  opt.fit = "robust";
  EXPECT_FALSE(train_run(opt, &robust, &err));
  EXPECT_NE(err.find("unknown fit"), std::string::npos) << err;
}

}  // namespace
}  // namespace tinyad
