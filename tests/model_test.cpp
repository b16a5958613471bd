// model_test.cpp: the JSON model file (src/model.h): bit-exact round trip, atomic writes, and
// the documented error for every damaged or foreign file; and the Mahalanobis fit
// (src/mahalanobis.h) against numpy (mean, unbiased covariance, inverse, squared
// distances) and an independent Ledoit-Wolf formula, from tests/golden/features.json.
// Tolerances: mean and covariance 1e-12 relative to the matrix's largest entry (sums of ~30
// products); precision and distances 1e-9 relative, because inverting multiplies rounding
// errors by the condition number (up to ~1e3 here).
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstring>
#include <algorithm>
#include <filesystem>
#include <functional>
#include <fstream>
#include <limits>
#include <sstream>

#include "golden_json.h"
#include "mahalanobis.h"
#include "model.h"

namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using tinyad::test::load_golden;

Eigen::MatrixXd matrix(const json& rows) {
  Eigen::MatrixXd m(Eigen::Index(rows.size()), Eigen::Index(rows[0].size()));
  for (Eigen::Index i = 0; i < m.rows(); ++i)
    for (Eigen::Index j = 0; j < m.cols(); ++j) m(i, j) = rows[size_t(i)][size_t(j)].get<double>();
  return m;
}

Eigen::VectorXd vec(const json& v) {
  const auto x = v.get<std::vector<double>>();
  return Eigen::Map<const Eigen::VectorXd>(x.data(), Eigen::Index(x.size()));
}

// Largest absolute difference, relative to the expected matrix's largest entry.
double rel_max_diff(const Eigen::MatrixXd& a, const Eigen::MatrixXd& b) {
  EXPECT_EQ(a.rows(), b.rows());
  EXPECT_EQ(a.cols(), b.cols());
  return (a - b).cwiseAbs().maxCoeff() / b.cwiseAbs().maxCoeff();
}

bool bit_equal(const Eigen::MatrixXd& a, const Eigen::MatrixXd& b) {
  return a.rows() == b.rows() && a.cols() == b.cols() &&
         std::memcmp(a.data(), b.data(), sizeof(double) * size_t(a.size())) == 0;
}

class ModelFiles : public testing::Test {
 protected:
  void SetUp() override {
    const auto* info = testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::path(testing::TempDir()) / ("tinyad_model_" + std::to_string(::getpid()) + "_" + info->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  std::string write(const std::string& name, const std::string& text) const {
    std::ofstream(path(name), std::ios::binary) << text;
    return path(name);
  }
  std::vector<std::string> listing() const {
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(dir_)) names.push_back(e.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
  }

  // An `original`-recipe model whose numbers are awkward for text: values that need all 17
  // digits, a subnormal, a negative zero, the largest double.
  static tinyad::Model awkward_model() {
    tinyad::Model m;
    std::string err;
    EXPECT_TRUE(tinyad::recipe_named("original", &m.recipe, &err)) << err;
    std::get<tinyad::MahalanobisModel>(m.detector).mean = Eigen::Vector3d(0.1 + 0.2, 1.0 / 3.0, 4.9406564584124654e-324);
    std::get<tinyad::MahalanobisModel>(m.detector).covariance.resize(3, 3);
    std::get<tinyad::MahalanobisModel>(m.detector).covariance << 2.0 / 3.0, -0.0, 1e-300, -0.0, 1.7976931348623157e308, std::nextafter(1.0, 2.0),
        1e-300, std::nextafter(1.0, 2.0), 2.2250738585072014e-308;
    std::get<tinyad::MahalanobisModel>(m.detector).precision = std::get<tinyad::MahalanobisModel>(m.detector).covariance * 0.7;
    std::get<tinyad::MahalanobisModel>(m.detector).shrinkage = 0.123456789012345678;
    std::get<tinyad::MahalanobisModel>(m.detector).condition = 1.0 / 7.0;
    m.threshold = {"mean+sd", 3.0, 9.87654321012345678};
    tinyad::ModelSplit s;
    s.dataset = "/data/ceiling fan/\"quoted\"";
    s.seed = 18446744073709551615ull;  // the largest seed survives JSON
    s.normal_labels = {"fan_0_low_0_weight-moving"};
    s.train = {"fan_0_low_0_weight-moving/0001.csv", "fan_0_low_0_weight-moving/0003.csv"};
    s.validation = {"fan_0_low_0_weight-moving/0002.csv"};
    s.test = {"fan_0_low_0_weight-moving/0000.csv"};
    m.split = s;
    m.provenance = {{"tool", "tinyad test"}, {"n_train", 2}, {"auc", 0.923}};
    return m;
  }

  fs::path dir_;
};

TEST_F(ModelFiles, SaveLoadRoundTripIsBitExact) {
  const tinyad::Model m = awkward_model();
  std::string err;
  ASSERT_TRUE(tinyad::model_save(m, path("m.json"), &err)) << err;
  tinyad::Model back;
  ASSERT_TRUE(tinyad::model_load(path("m.json"), &back, &err)) << err;
  EXPECT_EQ(back.recipe.name, "original");
  EXPECT_EQ(std::memcmp(&back.recipe.core, &m.recipe.core, sizeof m.recipe.core), 0);
  EXPECT_STREQ(tinyad::detector_name(back), "mahalanobis");
  EXPECT_TRUE(bit_equal(std::get<tinyad::MahalanobisModel>(back.detector).mean, std::get<tinyad::MahalanobisModel>(m.detector).mean));
  EXPECT_TRUE(bit_equal(std::get<tinyad::MahalanobisModel>(back.detector).covariance, std::get<tinyad::MahalanobisModel>(m.detector).covariance));
  EXPECT_TRUE(bit_equal(std::get<tinyad::MahalanobisModel>(back.detector).precision, std::get<tinyad::MahalanobisModel>(m.detector).precision));
  EXPECT_TRUE(std::signbit(std::get<tinyad::MahalanobisModel>(back.detector).covariance(0, 1)));  // -0.0 kept
  EXPECT_EQ(std::memcmp(&std::get<tinyad::MahalanobisModel>(back.detector).shrinkage, &std::get<tinyad::MahalanobisModel>(m.detector).shrinkage, 8), 0);
  EXPECT_EQ(std::memcmp(&std::get<tinyad::MahalanobisModel>(back.detector).condition, &std::get<tinyad::MahalanobisModel>(m.detector).condition, 8), 0);
  EXPECT_EQ(back.threshold.method, "mean+sd");
  EXPECT_EQ(back.threshold.param, 3.0);
  EXPECT_EQ(std::memcmp(&back.threshold.value, &m.threshold.value, 8), 0);
  ASSERT_TRUE(back.split.has_value());
  EXPECT_EQ(back.split->dataset, m.split->dataset);
  EXPECT_EQ(back.split->seed, m.split->seed);
  EXPECT_EQ(back.split->normal_labels, m.split->normal_labels);
  EXPECT_EQ(back.split->train, m.split->train);
  EXPECT_EQ(back.split->validation, m.split->validation);
  EXPECT_EQ(back.split->test, m.split->test);
  EXPECT_EQ(back.provenance, m.provenance);
  // And saving what was loaded gives the same bytes.
  ASSERT_TRUE(tinyad::model_save(back, path("m2.json"), &err)) << err;
  std::string a, b;
  std::getline(std::ifstream(path("m.json")), a, '\0');
  std::getline(std::ifstream(path("m2.json")), b, '\0');
  EXPECT_EQ(a, b);
}

TEST_F(ModelFiles, DefaultRecipeAndNoSplitRoundTrip) {
  tinyad::Model m;
  std::string err;
  ASSERT_TRUE(tinyad::recipe_named("default", &m.recipe, &err)) << err;
  const Eigen::Index n = Eigen::Index(tinyad_recipe_n_features(&m.recipe.core));
  std::get<tinyad::MahalanobisModel>(m.detector).mean = Eigen::VectorXd::LinSpaced(n, -1.0 / 3, 7.0 / 3);
  std::get<tinyad::MahalanobisModel>(m.detector).covariance = Eigen::MatrixXd::Identity(n, n) * 0.3;
  std::get<tinyad::MahalanobisModel>(m.detector).precision = Eigen::MatrixXd::Identity(n, n) / 0.3;
  m.threshold = {"quantile", 0.995, 12.5};
  ASSERT_TRUE(tinyad::model_save(m, path("d.json"), &err)) << err;
  tinyad::Model back;
  ASSERT_TRUE(tinyad::model_load(path("d.json"), &back, &err)) << err;
  EXPECT_EQ(std::memcmp(&back.recipe.core, &m.recipe.core, sizeof m.recipe.core), 0);
  EXPECT_TRUE(bit_equal(std::get<tinyad::MahalanobisModel>(back.detector).mean, std::get<tinyad::MahalanobisModel>(m.detector).mean));
  EXPECT_TRUE(bit_equal(std::get<tinyad::MahalanobisModel>(back.detector).precision, std::get<tinyad::MahalanobisModel>(m.detector).precision));
  EXPECT_FALSE(back.split.has_value());
}

TEST_F(ModelFiles, AtomicWriteLeavesNoTemporaryFiles) {
  const tinyad::Model m = awkward_model();
  std::string err;
  write("m.json", "old content");
  ASSERT_TRUE(tinyad::model_save(m, path("m.json"), &err)) << err;  // replaces
  ASSERT_TRUE(tinyad::model_save(m, path("other.json"), &err)) << err;
  EXPECT_EQ(listing(), (std::vector<std::string>{"m.json", "other.json"}));
  EXPECT_EQ(fs::status(path("m.json")).permissions() & fs::perms::others_read, fs::perms::others_read);
  // A folder that does not exist: an error naming the path, nothing left behind anywhere.
  const std::string bad = path("missing/dir/m.json");
  EXPECT_FALSE(tinyad::model_save(m, bad, &err));
  EXPECT_EQ(err, bad + ": No such file or directory");
  // The target is a directory: rename fails, the temporary is removed.
  fs::create_directories(dir_ / "isdir");
  EXPECT_FALSE(tinyad::model_save(m, path("isdir"), &err));
  EXPECT_TRUE(err.starts_with(path("isdir") + ": ")) << err;
  EXPECT_EQ(listing(), (std::vector<std::string>{"isdir", "m.json", "other.json"}));
}

std::string load_error(const std::string& file) {
  tinyad::Model m;
  std::string err;
  EXPECT_FALSE(tinyad::model_load(file, &m, &err)) << file;
  return err;
}

TEST_F(ModelFiles, ForeignFilesAreNamedAsNotAModel) {
  const std::string not_json = "%s: not a tinyad model (not valid JSON)";
  auto fmt = [](const std::string& f, const std::string& p) { return f.substr(0, f.find("%s")) + p + f.substr(f.find("%s") + 2); };
  for (const std::string& text : {std::string(""), std::string("hello"), std::string("{\"format\": \"tinyad-model\""),
                                 std::string("PK\x03\x04\x14\x00", 6), std::string("\x93NUMPY\x01\x00", 8)}) {
    const std::string f = write("x.json", text);
    EXPECT_EQ(load_error(f), fmt(not_json, f)) << text;
  }
  const std::string expected_obj =
      ": not a tinyad model (expected a JSON object with \"format\": \"tinyad-model\")";
  for (const std::string text : {"{}", "[1, 2]", "\"tinyad-model\"", "42", "{\"format\": \"other\", \"version\": 1}",
                                 "{\"format\": 1}", "{\"version\": 1, \"recipe\": {}}"}) {
    const std::string f = write("y.json", text);
    EXPECT_EQ(load_error(f), f + expected_obj) << text;
  }
  EXPECT_EQ(load_error(path("absent.json")), path("absent.json") + ": No such file or directory");
}

TEST_F(ModelFiles, VersionMismatch) {
  json j = tinyad::model_to_json(awkward_model());
  j["version"] = 2;
  std::string f = write("v2.json", j.dump());
  EXPECT_EQ(load_error(f), f + ": tinyad model format version 2, this tinyad reads version 1 (made by a newer tinyad)");
  j["version"] = 0;
  f = write("v0.json", j.dump());
  EXPECT_EQ(load_error(f), f + ": tinyad model format version 0, this tinyad reads version 1");
  j.erase("version");
  f = write("vnone.json", j.dump());
  EXPECT_EQ(load_error(f), f + ": tinyad model format version 0, this tinyad reads version 1");
  // A version of the wrong type is a clear error too (it used to escape as an exception).
  j["version"] = "1";
  f = write("vstr.json", j.dump());
  EXPECT_EQ(load_error(f), f + ": tinyad model version must be an integer, got \"1\"");
  j["version"] = 1.5;
  f = write("vfloat.json", j.dump());
  EXPECT_EQ(load_error(f), f + ": tinyad model version must be an integer, got 1.5");
}

TEST_F(ModelFiles, MismatchedSizes) {
  const json good = tinyad::model_to_json(awkward_model());
  struct Case {
    std::function<void(json&)> damage;
    std::string message;
  };
  const std::vector<Case> cases = {
      {[](json& j) { j["detector"]["mean"] = {1.0, 2.0}; }, "detector has 2 means but the recipe makes 3 features"},
      {[](json& j) { j["detector"]["covariance"].erase(2); }, "covariance must be a 3x3 matrix"},
      {[](json& j) { j["detector"]["covariance"] = 5; }, "covariance must be a 3x3 matrix"},
      {[](json& j) { j["detector"]["covariance"][1].erase(0); }, "covariance row 1 must have 3 values"},
      {[](json& j) { j["detector"]["precision"][2].push_back(1.0); }, "precision row 2 must have 3 values"},
      {[](json& j) { j["detector"]["precision"].push_back({1, 2, 3}); }, "precision must be a 3x3 matrix"},
      {[](json& j) { j["recipe"]["window"] = 2; }, "recipe window 2 is outside 4..1024"},
      {[](json& j) { j["recipe"]["features"] = {"mad", "loudness"}; }, "unknown feature group 'loudness'"},
      {[](json& j) { j["detector"]["type"] = "forest"; },
       "detector type 'forest' is not supported by this tinyad (known: mahalanobis, autoencoder)"},
  };
  for (const auto& c : cases) {
    json j = good;
    c.damage(j);
    const std::string f = write("bad.json", j.dump());
    EXPECT_EQ(load_error(f), f + ": " + c.message);
  }
}

TEST_F(ModelFiles, DamagedFieldsAreReportedNotThrown) {
  const json good = tinyad::model_to_json(awkward_model());
  const std::vector<std::function<void(json&)>> damages = {
      [](json& j) { j.erase("threshold"); },
      [](json& j) { j["threshold"]["value"] = "high"; },
      [](json& j) { j["detector"].erase("mean"); },
      [](json& j) { j["detector"]["mean"][0] = "x"; },
      [](json& j) { j["detector"]["covariance"][0][0] = nullptr; },
      [](json& j) { j.erase("recipe"); },
      [](json& j) { j.erase("detector"); },
      [](json& j) { j["split"].erase("train"); },
      [](json& j) { j["split"]["train"] = "0001.csv"; },
  };
  for (size_t i = 0; i < damages.size(); ++i) {
    json j = good;
    damages[i](j);
    const std::string f = write("dmg.json", j.dump());
    const std::string err = load_error(f);
    EXPECT_TRUE(err.starts_with(f + ": damaged tinyad model: ") || err.starts_with(f + ": invalid recipe: ")) << i << ": " << err;
  }
  // Truncated anywhere: never accepted, never a crash (a few through files, the rest in memory).
  const std::string text = good.dump(1);
  for (size_t n = 0; n < text.size(); n += text.size() / 8) {
    const std::string f = write("trunc.json", text.substr(0, n));
    tinyad::Model m;
    std::string err;
    EXPECT_FALSE(tinyad::model_load(f, &m, &err)) << n;
    EXPECT_EQ(err, f + ": not a tinyad model (not valid JSON)");
  }
  for (size_t n = 0; n < text.size(); ++n) {
    const json j = json::parse(text.substr(0, n), nullptr, false);
    tinyad::Model m;
    std::string err;
    EXPECT_TRUE(j.is_discarded() || !tinyad::model_from_json(j, &m, &err)) << n;
  }
}

// ------------------------------------------------------------------------ Mahalanobis fit

const json& covariance_goldens() {
  static const json j = load_golden("features.json")["covariance"];
  return j;
}

TEST(MahalanobisFit, PlainMatchesNumpy) {
  int n_cases = 0;
  for (const auto& c : covariance_goldens()) {
    if (!c.contains("plain")) continue;
    ++n_cases;
    const Eigen::MatrixXd X = matrix(c["X"]);
    tinyad::MahalanobisModel m;
    std::string err;
    ASSERT_TRUE(tinyad::mahalanobis_fit(X, tinyad::Shrinkage::None, &m, &err)) << err;
    EXPECT_LE(rel_max_diff(m.mean, vec(c["mean"])), 1e-12) << c["name"];
    EXPECT_LE(rel_max_diff(m.covariance, matrix(c["plain"]["covariance"])), 1e-12) << c["name"];
    EXPECT_LE(rel_max_diff(m.precision, matrix(c["plain"]["precision"])), 1e-9) << c["name"];
    EXPECT_EQ(m.shrinkage, 0.0);
    EXPECT_TRUE(m.precision.isApprox(m.precision.transpose(), 0.0)) << "precision is exactly symmetric";
    const Eigen::VectorXd d = tinyad::mahalanobis_scores(m, X);
    EXPECT_LE(rel_max_diff(d, vec(c["plain"]["sq_distances"])), 1e-9) << c["name"];
    // The squared distances of the training rows average (n-1) p / n under the unbiased covariance.
    const double n = double(X.rows()), p = double(X.cols());
    EXPECT_NEAR(d.mean(), (n - 1) * p / n, 1e-9) << c["name"];
  }
  EXPECT_GE(n_cases, 2);
}

TEST(MahalanobisFit, LedoitWolfMatchesIndependentFormula) {
  int n_cases = 0;
  for (const auto& c : covariance_goldens()) {
    ++n_cases;
    const Eigen::MatrixXd X = matrix(c["X"]);
    tinyad::MahalanobisModel m;
    std::string err;
    ASSERT_TRUE(tinyad::mahalanobis_fit(X, tinyad::Shrinkage::LedoitWolf, &m, &err)) << err;
    const json& lw = c["ledoit_wolf"];
    EXPECT_NEAR(m.shrinkage, lw["shrinkage"].get<double>(), 1e-12) << c["name"];
    EXPECT_GT(m.shrinkage, 0.0) << c["name"];  // a real test of the formula, not the 0 case
    EXPECT_LE(rel_max_diff(m.mean, vec(c["mean"])), 1e-12) << c["name"];
    EXPECT_LE(rel_max_diff(m.covariance, matrix(lw["covariance"])), 1e-12) << c["name"];
    EXPECT_LE(rel_max_diff(m.precision, matrix(lw["precision"])), 1e-9) << c["name"];
    EXPECT_TRUE(std::isfinite(m.condition) && m.condition >= 1.0);
  }
  EXPECT_GE(n_cases, 3);
}

TEST(MahalanobisFit, PpcaMatchesNumpy) {
  // tests/golden/ppca.json: scripts/golden/make_ppca_golden.py (numpy eigh, Kaiser's rule).
  int n_cases = 0;
  const json golden = load_golden("ppca.json");
  for (const auto& c : golden["cases"]) {
    ++n_cases;
    const Eigen::MatrixXd X = matrix(c["X"]);
    tinyad::MahalanobisModel m;
    std::string err;
    ASSERT_TRUE(tinyad::mahalanobis_fit(X, tinyad::Shrinkage::Ppca, &m, &err)) << err;
    EXPECT_EQ(m.components, c["components"].get<int>()) << c["name"];
    EXPECT_LE(rel_max_diff(m.covariance, matrix(c["covariance"])), 1e-12) << c["name"];
    EXPECT_LE(rel_max_diff(m.precision, matrix(c["precision"])), 1e-9) << c["name"];
    // The components survive the model file.
    tinyad::MahalanobisModel back;
    ASSERT_TRUE(tinyad::mahalanobis_from_json(tinyad::mahalanobis_to_json(m), size_t(X.cols()), &back, &err)) << err;
    EXPECT_EQ(back.components, m.components);
  }
  EXPECT_GE(n_cases, 3);
}

TEST(MahalanobisFit, PpcaWithNoMoreWindowsThanFeaturesShrinksInstead) {
  for (const auto& c : covariance_goldens()) {
    const Eigen::MatrixXd X = matrix(c["X"]);
    if (X.rows() > X.cols()) continue;
    tinyad::MahalanobisModel m;
    std::string err;
    ASSERT_TRUE(tinyad::mahalanobis_fit(X, tinyad::Shrinkage::Ppca, &m, &err)) << err;
    EXPECT_EQ(m.components, 0) << c["name"];
    EXPECT_NEAR(m.shrinkage, c["ledoit_wolf"]["shrinkage"].get<double>(), 1e-12) << c["name"];
    EXPECT_LE(rel_max_diff(m.covariance, matrix(c["ledoit_wolf"]["covariance"])), 1e-12) << c["name"];
  }
}

TEST(MahalanobisFit, AutoShrinksOnlyWhenNeeded) {
  for (const auto& c : covariance_goldens()) {
    const Eigen::MatrixXd X = matrix(c["X"]);
    tinyad::MahalanobisModel m;
    std::string err;
    ASSERT_TRUE(tinyad::mahalanobis_fit(X, tinyad::Shrinkage::Auto, &m, &err)) << err;
    if (X.rows() <= X.cols()) {  // fewer windows than features: singular, so shrunk
      EXPECT_NEAR(m.shrinkage, c["ledoit_wolf"]["shrinkage"].get<double>(), 1e-12) << c["name"];
      tinyad::MahalanobisModel plain;
      EXPECT_FALSE(tinyad::mahalanobis_fit(X, tinyad::Shrinkage::None, &plain, &err));
      EXPECT_EQ(err, "covariance is not positive definite (use more training windows than features, or --shrinkage auto)");
    } else {  // well conditioned: left alone
      EXPECT_EQ(m.shrinkage, 0.0) << c["name"];
      EXPECT_LE(rel_max_diff(m.covariance, matrix(c["plain"]["covariance"])), 1e-12) << c["name"];
    }
  }
}

TEST(MahalanobisFit, CollinearFeaturesAreShrunkToAnInvertibleMatrix) {
  // The third feature is the sum of the first two: singular, but not hopeless.
  Eigen::MatrixXd X(20, 3);
  for (int i = 0; i < 20; ++i) {
    X(i, 0) = std::sin(0.7 * i);
    X(i, 1) = std::cos(1.9 * i) * 3;
    X(i, 2) = X(i, 0) + X(i, 1);
  }
  tinyad::MahalanobisModel m;
  std::string err;
  ASSERT_TRUE(tinyad::mahalanobis_fit(X, tinyad::Shrinkage::Auto, &m, &err)) << err;
  EXPECT_GT(m.shrinkage, 0.0);
  EXPECT_LT(m.condition, 1e10);
  EXPECT_TRUE((m.covariance * m.precision).isApprox(Eigen::MatrixXd::Identity(3, 3), 1e-9));
}

TEST(MahalanobisFit, ConstantFeatureIsAnErrorNotAGarbageModel) {
  Eigen::MatrixXd X(10, 3);
  for (int i = 0; i < 10; ++i) X.row(i) << std::sin(i), 0.25, std::cos(3 * i);
  tinyad::MahalanobisModel m;
  std::string err;
  EXPECT_FALSE(tinyad::mahalanobis_fit(X, tinyad::Shrinkage::Auto, &m, &err));
  EXPECT_EQ(err, "covariance is not positive definite even after shrinkage (is a feature constant?)");
  EXPECT_FALSE(tinyad::mahalanobis_fit(X, tinyad::Shrinkage::None, &m, &err));
  EXPECT_FALSE(tinyad::mahalanobis_fit(X, tinyad::Shrinkage::LedoitWolf, &m, &err));
}

TEST(MahalanobisFit, NeedsTwoRows) {
  tinyad::MahalanobisModel m;
  std::string err;
  EXPECT_FALSE(tinyad::mahalanobis_fit(Eigen::MatrixXd::Ones(1, 3), tinyad::Shrinkage::Auto, &m, &err));
  EXPECT_EQ(err, "need at least 2 training windows, got 1");
  EXPECT_FALSE(tinyad::mahalanobis_fit(Eigen::MatrixXd(0, 3), tinyad::Shrinkage::Auto, &m, &err));
  EXPECT_EQ(err, "need at least 2 training windows, got 0");
}

TEST(MahalanobisFit, FromCovarianceChecksShapeAndDefiniteness) {
  tinyad::MahalanobisModel m;
  std::string err;
  EXPECT_FALSE(tinyad::mahalanobis_from_covariance(Eigen::Vector3d(1, 2, 3), Eigen::MatrixXd::Identity(2, 2), &m, &err));
  EXPECT_EQ(err, "covariance is 2x2 but the mean has 3 values");
  Eigen::Matrix2d indefinite;
  indefinite << 1, 2, 2, 1;
  EXPECT_FALSE(tinyad::mahalanobis_from_covariance(Eigen::Vector2d(0, 0), indefinite, &m, &err));
  EXPECT_EQ(err, "covariance is not positive definite");
  Eigen::Matrix2d spd;
  spd << 4, 1, 1, 2;
  ASSERT_TRUE(tinyad::mahalanobis_from_covariance(Eigen::Vector2d(1, -1), spd, &m, &err)) << err;
  Eigen::MatrixXd x(1, 2);
  x << 2, 1;
  const Eigen::Vector2d d(1, 2);
  EXPECT_NEAR(tinyad::mahalanobis_scores(m, x)[0], d.dot(spd.inverse() * d), 1e-14);
}

TEST(MahalanobisFit, NonFiniteFeaturesScoreInfinite) {
  tinyad::MahalanobisModel m;
  std::string err;
  ASSERT_TRUE(tinyad::mahalanobis_from_covariance(Eigen::Vector2d(0, 0), Eigen::Matrix2d::Identity(), &m, &err));
  Eigen::MatrixXd x(2, 2);
  x << std::numeric_limits<double>::quiet_NaN(), 0, 3, 4;
  const Eigen::VectorXd s = tinyad::mahalanobis_scores(m, x);
  EXPECT_TRUE(std::isinf(s[0]));
  EXPECT_EQ(s[1], 25.0);
}

TEST(MahalanobisFit, ShrinkageNames) {
  for (auto s : {tinyad::Shrinkage::Auto, tinyad::Shrinkage::None, tinyad::Shrinkage::LedoitWolf}) {
    tinyad::Shrinkage back;
    ASSERT_TRUE(tinyad::shrinkage_from_name(tinyad::shrinkage_name(s), &back));
    EXPECT_EQ(back, s);
  }
  tinyad::Shrinkage s;
  EXPECT_FALSE(tinyad::shrinkage_from_name("ledoit", &s));
}

}  // namespace
