// core_features_test.cpp: the core's feature extraction (core/tinyad_features.h) and FFT
// against numpy/scipy values in tests/golden/features.json (scripts/golden/make_golden.py),
// in double and float, plus its error statuses and size queries.
//
// Tolerances, as |actual - expected| <= rtol * |expected| + atol (measured worst in brackets):
//   double: rtol 1e-12 for every value [1.7e-13, kurtosis], plus an atol for values that can sit
//     near zero through cancellation: 1e-15 g for mean (zero-mean axes) [3e-16], 1e-13 for the
//     dimensionless skew, kurtosis, crest and correlations [skew 1e-14 at a value of 3e-5], and
//     1e-13 for log values (log(v) near 0 has no relative scale; 1e-13 absolute is 1e-13
//     relative in v) [3e-13 at |log| > 1, covered by rtol]. Band energies also get 1e-10 of the
//     largest band of their axis: FFT rounding is absolute, ~1e-16 of the spectrum's peak, so a
//     band far below the peak is only that accurate in any implementation, numpy's included
//     [1.6e-14 of the peak].
//   float: the window is rounded to float (6e-8 g on a 1 g axis) and summed in float. rtol 1e-3
//     plus atol 1e-6 g (mean, std, MAD, ptp) [3e-5 relative], 3e-4 dimensionless [kurtosis
//     1.7e-4 absolute], 1e-5 of the axis peak for bands [1.2e-4 relative], 1e-3 absolute for log
//     values [1.3e-4]. So the float build, which a microcontroller runs, agrees with numpy to
//     3-4 significant digits.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <complex>
#include <limits>
#include <random>
#include <vector>

#include "golden_json.h"
#include "recipe.h"
#include "tinyad_features.h"
#include "tinyad_fft.h"

namespace {

using nlohmann::json;
using tinyad::test::load_golden;
using tinyad::test::near;

// Group of each output value of a recipe, in output order.
std::vector<uint8_t> value_groups(const tinyad_recipe& r) {
  std::vector<uint8_t> g;
  for (uint8_t i = 0; i < r.n_groups; ++i)
    g.insert(g.end(), tinyad_group_size(&r, r.groups[i]), r.groups[i]);
  return g;
}

bool is_log_scaled(const tinyad_recipe& r, uint8_t group) {
  return r.log_scale && (group == TINYAD_FEATURE_STD || group == TINYAD_FEATURE_MAD ||
                         group == TINYAD_FEATURE_PTP || group == TINYAD_FEATURE_BANDS ||
                         group == TINYAD_FEATURE_BANDS_REL);
}

template <typename T>
tinyad_status extract(const tinyad_recipe& r, const std::vector<double>& rows, std::vector<double>* out) {
  const std::vector<T> in(rows.begin(), rows.end());
  std::vector<T> f(tinyad_recipe_n_features(&r)), scratch(tinyad_features_scratch_size(&r));
  const tinyad_status st = tinyad_features_extract(&r, in.data(), in.size() / 3, f.data(), f.size(),
                                                   scratch.data(), scratch.size());
  out->assign(f.begin(), f.end());
  return st;
}

struct Tolerance {
  double rtol, atol;
};

// Per-value tolerance (see the file comment). `peak` is the largest band value of the value's
// axis within its group, for the FFT's absolute error.
Tolerance tolerance(bool is_float, const tinyad_recipe& r, uint8_t group, double peak) {
  if (is_log_scaled(r, group)) return is_float ? Tolerance{0, 1e-3} : Tolerance{1e-12, 1e-13};
  switch (group) {
    case TINYAD_FEATURE_MEAN:
      return is_float ? Tolerance{1e-3, 1e-6} : Tolerance{1e-12, 1e-15};
    case TINYAD_FEATURE_STD:
    case TINYAD_FEATURE_MAD:
    case TINYAD_FEATURE_PTP:
      return is_float ? Tolerance{1e-3, 1e-6} : Tolerance{1e-12, 0};
    case TINYAD_FEATURE_BANDS:
    case TINYAD_FEATURE_BANDS_REL:
      return is_float ? Tolerance{1e-3, 1e-5 * peak} : Tolerance{1e-12, 1e-10 * peak};
    default:  // skew, kurt, crest, corr: dimensionless
      return is_float ? Tolerance{1e-3, 3e-4} : Tolerance{1e-12, 1e-13};
  }
}

// Largest value of each axis' block within BANDS / BANDS_REL groups (0 elsewhere).
std::vector<double> band_peaks(const tinyad_recipe& r, const std::vector<double>& expected) {
  std::vector<double> peaks(expected.size(), 0.0);
  size_t k = 0;
  for (uint8_t i = 0; i < r.n_groups; ++i) {
    const uint8_t g = r.groups[i];
    if (g != TINYAD_FEATURE_BANDS && g != TINYAD_FEATURE_BANDS_REL) {
      k += tinyad_group_size(&r, g);
      continue;
    }
    for (int a = 0; a < TINYAD_AXES; ++a, k += r.n_bands) {
      double p = 0;
      for (size_t b = 0; b < r.n_bands; ++b) {
        // Log-scaled values are compared in absolute terms; peaks matter only for linear ones.
        p = std::max(p, std::fabs(expected[k + b]));
      }
      for (size_t b = 0; b < r.n_bands; ++b) peaks[k + b] = p;
    }
  }
  return peaks;
}

tinyad::Recipe recipe_of(const json& j) {
  tinyad::Recipe r;
  std::string err;
  EXPECT_TRUE(tinyad::recipe_from_json(j, &r, &err)) << err;
  return r;
}

class GoldenFeatures : public testing::Test {
 protected:
  static void SetUpTestSuite() { golden_ = new json(load_golden("features.json")); }
  static void TearDownTestSuite() {
    delete golden_;
    golden_ = nullptr;
  }
  const json& golden() const { return *golden_; }
  json recipe_json(const std::string& name) const {
    for (const auto& r : golden()["recipes"])
      if (r["name"] == name) return r;
    ADD_FAILURE() << "no recipe " << name << " in features.json";
    return nullptr;
  }

  // Compares every case and recipe of the golden file; counts the values checked.
  template <typename T>
  void compare_all(size_t* checked) {
    const bool is_float = sizeof(T) == sizeof(float);
    *checked = 0;
    for (const auto& c : golden()["cases"]) {
      const std::vector<double> rows = tinyad::test::flat_rows(c["rows"]);
      for (const auto& [rname, values] : c["features"].items()) {
        const tinyad::Recipe r = recipe_of(recipe_json(rname));
        const std::vector<double> expected = values.template get<std::vector<double>>();
        std::vector<double> actual;
        ASSERT_EQ(extract<T>(r.core, rows, &actual), TINYAD_STATUS_OK) << c["name"] << " " << rname;
        ASSERT_EQ(actual.size(), expected.size()) << c["name"] << " " << rname;
        const std::vector<uint8_t> groups = value_groups(r.core);
        const std::vector<double> peaks = band_peaks(r.core, expected);
        const auto names = tinyad::recipe_feature_names(r.core);
        for (size_t i = 0; i < expected.size(); ++i) {
          const Tolerance t = tolerance(is_float, r.core, groups[i], peaks[i]);
          EXPECT_TRUE(near(actual[i], expected[i], t.rtol, t.atol))
              << (is_float ? "float " : "double ") << c["name"] << " recipe " << rname << " value "
              << i << " (" << names[i] << ")";
          ++*checked;
        }
      }
    }
  }

  static json* golden_;
};
json* GoldenFeatures::golden_ = nullptr;

TEST_F(GoldenFeatures, NamedRecipesMatchTheGoldenScript) {
  // The script transcribes `original` and `default`; if src/recipe.cpp changes, regenerate.
  for (const std::string name : {"original", "default"}) {
    tinyad::Recipe named;
    std::string err;
    ASSERT_TRUE(tinyad::recipe_named(name, &named, &err)) << err;
    const json mine = tinyad::recipe_to_json(named);
    const json gold = recipe_json(name);
    EXPECT_EQ(mine["window"], gold["window"]) << name;
    EXPECT_EQ(mine["features"], gold["features"]) << name;
    EXPECT_EQ(mine["mad_scale"], gold["mad_scale"]) << name;
    EXPECT_EQ(mine["log"], gold["log"]) << name;
    EXPECT_EQ(mine.value("band_edges", json()), gold.value("band_edges", json())) << name;
    EXPECT_EQ(mine.value("log_eps", json()), gold.value("log_eps", json())) << name;
  }
}

TEST_F(GoldenFeatures, EveryGroupMatchesNumpyInDouble) {
  size_t n = 0;
  compare_all<double>(&n);
  EXPECT_GT(n, 1000u);  // the golden file really had cases in it
}

TEST_F(GoldenFeatures, FloatBuildMatchesNumpyToFloatPrecision) {
  size_t n = 0;
  compare_all<float>(&n);
  EXPECT_GT(n, 1000u);
}

TEST_F(GoldenFeatures, EveryGroupIsCoveredByTheGoldenFile) {
  // Guards the golden file itself: every group, odd and even windows, zero padding, log scale,
  // a constant axis and more rows than the window are all in there.
  std::vector<bool> seen(TINYAD_FEATURE_GROUP_COUNT, false);
  bool odd = false, padded = false, log = false;
  for (const auto& rj : golden()["recipes"]) {
    const tinyad::Recipe r = recipe_of(rj);
    for (uint8_t i = 0; i < r.core.n_groups; ++i) seen[r.core.groups[i]] = true;
    odd |= r.core.window % 2 == 1;
    padded |= tinyad_recipe_fft_size(&r.core) != r.core.window && tinyad_recipe_uses_bands(&r.core);
    log |= r.core.log_scale != 0;
  }
  for (int g = 0; g < TINYAD_FEATURE_GROUP_COUNT; ++g) EXPECT_TRUE(seen[size_t(g)]) << g;
  EXPECT_TRUE(odd);
  EXPECT_TRUE(padded);
  EXPECT_TRUE(log);
  bool constant = false;
  for (const auto& c : golden()["cases"]) constant |= c["name"].get<std::string>().find("constant") != std::string::npos;
  EXPECT_TRUE(constant);
}

TEST_F(GoldenFeatures, FftMatchesNumpy) {
  const json& g = golden()["fft"];
  const std::vector<double> x = g["input"].get<std::vector<double>>();
  const size_t n = x.size();
  ASSERT_TRUE(tinyad_is_pow2(n));
  std::vector<double> data(2 * n, 0.0), tw(n);
  for (size_t i = 0; i < n; ++i) data[2 * i] = x[i];
  tinyad_fft_twiddles(tw.data(), n);
  tinyad_fft(data.data(), tw.data(), n);
  double peak = 0;
  for (const auto& c : g["output"]) peak = std::max(peak, std::hypot(c[0].get<double>(), c[1].get<double>()));
  // Absolute error relative to the spectrum's peak: ~log2(n) roundings of ~1e-16 each.
  for (size_t k = 0; k < n; ++k) {
    EXPECT_TRUE(near(data[2 * k], g["output"][k][0].get<double>(), 0, 1e-14 * peak)) << "re " << k;
    EXPECT_TRUE(near(data[2 * k + 1], g["output"][k][1].get<double>(), 0, 1e-14 * peak)) << "im " << k;
  }
}

// Small sizes against a direct DFT in long double (independent of the twiddle code).
TEST(CoreFft, SmallSizesMatchDirectDft) {
  for (size_t n : {1u, 2u, 4u, 8u, 16u, 32u}) {
    std::vector<double> data(2 * n), tw(n > 1 ? n : 2);
    for (size_t i = 0; i < n; ++i) {
      data[2 * i] = std::sin(0.7 * double(i) + 0.1) + 0.25 * double(i % 3);
      data[2 * i + 1] = std::cos(1.3 * double(i));
    }
    const std::vector<double> in = data;
    tinyad_fft_twiddles(tw.data(), n);
    tinyad_fft(data.data(), tw.data(), n);
    for (size_t k = 0; k < n; ++k) {
      std::complex<long double> sum = 0;
      for (size_t j = 0; j < n; ++j) {
        const long double ang = -2.0L * 3.14159265358979323846264338L * (long double)(j * k % n) / (long double)n;
        sum += std::complex<long double>(in[2 * j], in[2 * j + 1]) *
               std::complex<long double>(std::cos(ang), std::sin(ang));
      }
      EXPECT_NEAR(data[2 * k], double(sum.real()), 1e-14) << n << " " << k;
      EXPECT_NEAR(data[2 * k + 1], double(sum.imag()), 1e-14) << n << " " << k;
    }
  }
}

TEST(CoreFft, NextPow2) {
  EXPECT_EQ(tinyad_next_pow2(1), 1u);
  EXPECT_EQ(tinyad_next_pow2(5), 8u);
  EXPECT_EQ(tinyad_next_pow2(128), 128u);
  EXPECT_EQ(tinyad_next_pow2(129), 256u);
  EXPECT_EQ(tinyad_next_pow2(200), 256u);
  EXPECT_TRUE(tinyad_is_pow2(64));
  EXPECT_FALSE(tinyad_is_pow2(0));
  EXPECT_FALSE(tinyad_is_pow2(96));
}

// The MAD's medians (quickselect) against a full sort, on sizes 1..64 with many ties, which is
// what quantised sensor readings look like. Exact: both pick the same values.
TEST(CoreStats, MedianAndMadMatchASortOnTiedData) {
  std::mt19937_64 gen(5);
  for (int trial = 0; trial < 3000; ++trial) {
    const size_t n = 1 + gen() % 64;
    const int levels = 1 + int(gen() % 12);  // few distinct values: many ties
    std::vector<double> v(n);
    for (double& x : v) x = 0.000488 * double(int(gen() % uint64_t(levels)) - levels / 2);
    std::vector<double> sorted = v;
    std::sort(sorted.begin(), sorted.end());
    const double want = n % 2 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    std::vector<double> work = v;
    ASSERT_EQ(tinyad_median_inplace(work.data(), n), want) << "n=" << n << " trial " << trial;
    // MAD through a stride of 3, as the window's interleaved axes are read.
    std::vector<double> strided(3 * n, -99.0), scratch(n);
    for (size_t i = 0; i < n; ++i) strided[3 * i] = v[i];
    std::vector<double> dev(n);
    for (size_t i = 0; i < n; ++i) dev[i] = std::fabs(v[i] - want);
    std::sort(dev.begin(), dev.end());
    const double mad = 1.4826 * (n % 2 ? dev[n / 2] : (dev[n / 2 - 1] + dev[n / 2]) / 2);
    ASSERT_EQ(tinyad_mad(strided.data(), n, 3, 1.4826, scratch.data()), mad) << "n=" << n << " trial " << trial;
  }
}

// ------------------------------------------------------------------------ sizes and statuses

tinyad::Recipe named(const std::string& name) {
  tinyad::Recipe r;
  std::string err;
  EXPECT_TRUE(tinyad::recipe_named(name, &r, &err)) << err;
  return r;
}

tinyad_recipe all_groups(uint16_t window) {
  tinyad_recipe r{};
  r.window = window;
  r.n_groups = TINYAD_FEATURE_GROUP_COUNT;
  for (uint8_t g = 0; g < TINYAD_FEATURE_GROUP_COUNT; ++g) r.groups[g] = g;
  r.n_bands = 4;
  const uint16_t edges[] = {1, 2, 4, 8, 16};
  for (int i = 0; i < 5; ++i) r.band_edges[i] = edges[i];
  r.mad_scale = TINYAD_MAD_SCALE;
  return r;
}

std::vector<double> test_window(size_t n_rows) {
  std::vector<double> rows(3 * n_rows);
  for (size_t i = 0; i < rows.size(); ++i) rows[i] = std::sin(0.37 * double(i)) * 0.01 + (i % 3 == 2);
  return rows;
}

TEST(CoreFeatures, FeatureCountsAndScratchSizes) {
  const tinyad_recipe original = named("original").core;
  EXPECT_EQ(tinyad_recipe_n_features(&original), 3u);
  EXPECT_EQ(tinyad_features_scratch_size(&original), 128u);  // sort buffer only, no FFT
  EXPECT_FALSE(tinyad_recipe_uses_bands(&original));

  const tinyad_recipe def = named("default").core;
  // mad, kurt, crest, corr: 3 each; 16 bands x 3 axes.
  EXPECT_EQ(tinyad_recipe_n_features(&def), 4 * 3 + 16 * 3u);
  EXPECT_EQ(tinyad_recipe_fft_size(&def), 256u);
  EXPECT_EQ(tinyad_features_scratch_size(&def), 200u + 3 * 256u);

  const tinyad_recipe all = all_groups(100);
  EXPECT_EQ(tinyad_recipe_n_features(&all), 8 * 3 + 2 * 3 * 4u);
  EXPECT_EQ(tinyad_recipe_fft_size(&all), 128u);
  EXPECT_EQ(tinyad_features_scratch_size(&all), 100u + 3 * 128u);
  EXPECT_EQ(tinyad::recipe_feature_names(all).size(), tinyad_recipe_n_features(&all));
  EXPECT_EQ(tinyad::recipe_feature_names(def).size(), tinyad_recipe_n_features(&def));
}

TEST(CoreFeatures, ExactBuffersAreEnoughAndTheTailIsUntouched) {
  const tinyad_recipe r = all_groups(64);
  const std::vector<double> rows = test_window(64);
  const size_t n = tinyad_recipe_n_features(&r);
  std::vector<double> out(n + 4, -7.0), scratch(tinyad_features_scratch_size(&r));
  ASSERT_EQ(tinyad_features_extract(&r, rows.data(), 64, out.data(), n, scratch.data(), scratch.size()),
            TINYAD_STATUS_OK);
  for (size_t i = n; i < out.size(); ++i) EXPECT_EQ(out[i], -7.0);
}

TEST(CoreFeatures, OnlyTheFirstWindowRowsAreRead) {
  const tinyad_recipe r = all_groups(64);
  std::vector<double> rows = test_window(100);
  std::vector<double> a, b;
  ASSERT_EQ(extract<double>(r, rows, &a), TINYAD_STATUS_OK);
  for (size_t i = 64 * 3; i < rows.size(); ++i) rows[i] = std::numeric_limits<double>::quiet_NaN();
  ASSERT_EQ(extract<double>(r, rows, &b), TINYAD_STATUS_OK);
  EXPECT_EQ(a, b);
}

TEST(CoreFeatures, WindowTooShort) {
  const tinyad_recipe r = named("original").core;
  std::vector<double> out;
  EXPECT_EQ(extract<double>(r, test_window(127), &out), TINYAD_STATUS_WINDOW_TOO_SHORT);
  EXPECT_EQ(extract<double>(r, test_window(1), &out), TINYAD_STATUS_WINDOW_TOO_SHORT);
  EXPECT_EQ(extract<double>(r, test_window(128), &out), TINYAD_STATUS_OK);
}

TEST(CoreFeatures, BadRecipes) {
  std::vector<std::pair<const char*, tinyad_recipe>> bad;
  tinyad_recipe r = all_groups(64);
  r.window = 3;
  bad.push_back({"window 3", r});
  r = all_groups(64);
  r.window = TINYAD_MAX_WINDOW + 1;
  bad.push_back({"window too long", r});
  r = all_groups(64);
  r.n_groups = 0;
  bad.push_back({"no groups", r});
  r = all_groups(64);
  r.n_groups = TINYAD_MAX_GROUPS + 1;
  bad.push_back({"too many groups", r});
  r = all_groups(64);
  r.groups[2] = TINYAD_FEATURE_GROUP_COUNT;
  bad.push_back({"unknown group", r});
  r = all_groups(64);
  r.n_bands = 0;
  bad.push_back({"no bands", r});
  r = all_groups(64);
  r.n_bands = TINYAD_MAX_BANDS + 1;
  bad.push_back({"too many bands", r});
  r = all_groups(64);
  r.band_edges[0] = 0;
  bad.push_back({"band includes DC", r});
  r = all_groups(64);
  r.band_edges[2] = r.band_edges[1];
  bad.push_back({"empty band", r});
  r = all_groups(64);
  r.band_edges[4] = 34;  // FFT 64: bins 0..32 exist
  bad.push_back({"band past Nyquist", r});
  r = all_groups(64);
  r.log_scale = 1;
  r.log_eps = -1e-3;
  bad.push_back({"negative log eps", r});
  r.log_eps = std::numeric_limits<double>::quiet_NaN();
  bad.push_back({"NaN log eps", r});

  const std::vector<double> rows = test_window(TINYAD_MAX_WINDOW + 10);
  std::vector<double> out(TINYAD_MAX_FEATURES), scratch(4096);
  for (const auto& [what, recipe] : bad) {
    EXPECT_EQ(tinyad_recipe_check(&recipe), TINYAD_STATUS_BAD_RECIPE) << what;
    EXPECT_EQ(tinyad_features_extract(&recipe, rows.data(), rows.size() / 3, out.data(), out.size(),
                                      scratch.data(), scratch.size()),
              TINYAD_STATUS_BAD_RECIPE)
        << what;
  }
  r = all_groups(64);
  r.band_edges[4] = 33;  // the Nyquist bin itself is allowed
  EXPECT_EQ(tinyad_recipe_check(&r), TINYAD_STATUS_OK);
  // Without BANDS groups the band fields are not looked at.
  tinyad_recipe plain = named("original").core;
  plain.band_edges[0] = 0;
  EXPECT_EQ(tinyad_recipe_check(&plain), TINYAD_STATUS_OK);
  EXPECT_EQ(tinyad_recipe_check(nullptr), TINYAD_STATUS_NULL_ARGUMENT);
}

TEST(CoreFeatures, BufferTooSmall) {
  const tinyad_recipe r = all_groups(64);
  const std::vector<double> rows = test_window(64);
  const size_t n = tinyad_recipe_n_features(&r), s = tinyad_features_scratch_size(&r);
  std::vector<double> out(n), scratch(s);
  EXPECT_EQ(tinyad_features_extract(&r, rows.data(), 64, out.data(), n - 1, scratch.data(), s),
            TINYAD_STATUS_BUFFER_TOO_SMALL);
  EXPECT_EQ(tinyad_features_extract(&r, rows.data(), 64, out.data(), n, scratch.data(), s - 1),
            TINYAD_STATUS_BUFFER_TOO_SMALL);
  const tinyad_recipe o = named("original").core;
  EXPECT_EQ(tinyad_features_extract(&o, rows.data(), 64, out.data(), 2, scratch.data(), s),
            TINYAD_STATUS_WINDOW_TOO_SHORT);  // checked before the buffers: 64 < 128 rows
  const std::vector<double> long_rows = test_window(128);
  EXPECT_EQ(tinyad_features_extract(&o, long_rows.data(), 128, out.data(), 2, scratch.data(), s),
            TINYAD_STATUS_BUFFER_TOO_SMALL);
  EXPECT_EQ(tinyad_features_extract(&o, long_rows.data(), 128, out.data(), 3, scratch.data(), 127),
            TINYAD_STATUS_BUFFER_TOO_SMALL);
}

TEST(CoreFeatures, NullArguments) {
  const tinyad_recipe r = all_groups(64);
  const std::vector<double> rows = test_window(64);
  std::vector<double> out(100), scratch(1000);
  EXPECT_EQ(tinyad_features_extract<double>(nullptr, rows.data(), 64, out.data(), 100, scratch.data(), 1000),
            TINYAD_STATUS_NULL_ARGUMENT);
  EXPECT_EQ(tinyad_features_extract<double>(&r, nullptr, 64, out.data(), 100, scratch.data(), 1000),
            TINYAD_STATUS_NULL_ARGUMENT);
  EXPECT_EQ(tinyad_features_extract<double>(&r, rows.data(), 64, nullptr, 100, scratch.data(), 1000),
            TINYAD_STATUS_NULL_ARGUMENT);
  EXPECT_EQ(tinyad_features_extract<double>(&r, rows.data(), 64, out.data(), 100, nullptr, 1000),
            TINYAD_STATUS_NULL_ARGUMENT);
}

TEST(CoreFeatures, NonFiniteInputIsRejected) {
  const tinyad_recipe r = all_groups(64);
  for (double bad : {std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::infinity(),
                     -std::numeric_limits<double>::infinity()}) {
    for (size_t at : {size_t(0), size_t(100), size_t(64 * 3 - 1)}) {
      std::vector<double> rows = test_window(64), out;
      rows[at] = bad;
      EXPECT_EQ(extract<double>(r, rows, &out), TINYAD_STATUS_NOT_FINITE) << bad << " at " << at;
      EXPECT_EQ(extract<float>(r, rows, &out), TINYAD_STATUS_NOT_FINITE) << bad << " at " << at;
    }
  }
  // Finite in double but not in float: the float build must say so, not return inf features.
  std::vector<double> rows = test_window(64), out;
  rows[5] = 1e300;
  EXPECT_EQ(extract<float>(r, rows, &out), TINYAD_STATUS_NOT_FINITE);
}

TEST(CoreFeatures, ConstantWindowGivesZerosNotNaN) {
  // A stuck sensor: every axis constant. Shape features are defined as 0, not NaN.
  const tinyad_recipe r = all_groups(64);
  std::vector<double> rows(64 * 3), out;
  for (size_t i = 0; i < rows.size(); ++i) rows[i] = i % 3 == 2 ? 1.0 : 0.5;
  ASSERT_EQ(extract<double>(r, rows, &out), TINYAD_STATUS_OK);
  const auto names = tinyad::recipe_feature_names(r);
  for (size_t i = 3; i < out.size(); ++i) EXPECT_EQ(out[i], 0.0) << names[i];  // all but mean
  EXPECT_EQ(out[0], 0.5);
  EXPECT_EQ(out[2], 1.0);
}

TEST(CoreFeatures, LogOfZeroWithZeroEpsIsLargeNegativeNotInfinite) {
  // log_eps 0 is allowed; a constant axis then takes the documented log(0) value.
  tinyad_recipe r = named("original").core;
  r.log_scale = 1;
  r.log_eps = 0.0;
  std::vector<double> rows(128 * 3, 0.25), out;
  ASSERT_EQ(extract<double>(r, rows, &out), TINYAD_STATUS_OK);
  for (double v : out) EXPECT_EQ(v, -1e30);
}

}  // namespace
