// core_math_test.cpp: the core's libm-free tinyad_sqrt / tinyad_log / tinyad_sincos against
// <cmath>, over the whole exponent range and at special values, in double and float.
// Tolerances (measured worst cases in brackets): double sqrt within 2 ulp [1], log within 1e-15
// relative [3 ulp near x = 1.27, where the atanh series adds its rounding], sin/cos within 2^-51
// absolute [2^-51] and 2e-15 relative away from their zeros [1.4e-15 near pi, where pi rounded to
// double is itself 1.2e-16 off]; float within 2 ulp (sqrt, log) and 2 FLT_EPSILON absolute
// (sin/cos, pi rounded to float).
#include <gtest/gtest.h>

#include <bit>
#include <cfloat>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numbers>
#include <random>
#include <utility>
#include <vector>

#include "tinyad_math.h"

namespace {

// Distance in units in the last place between two finite values of the same sign.
int64_t ulp_diff(double a, double b) {
  const int64_t ia = std::bit_cast<int64_t>(a), ib = std::bit_cast<int64_t>(b);
  return ia > ib ? ia - ib : ib - ia;
}
int64_t ulp_diff(float a, float b) {
  const int64_t ia = std::bit_cast<int32_t>(a), ib = std::bit_cast<int32_t>(b);
  return ia > ib ? ia - ib : ib - ia;
}

// Positive doubles spread over all binades from 2^lo to 2^hi: random mantissa, random exponent.
// mt19937_64 is fully specified by the standard, so the points are the same everywhere.
template <typename T>
std::vector<T> positive_samples(int lo, int hi, size_t n, uint64_t seed) {
  std::mt19937_64 gen(seed);
  std::vector<T> out;
  out.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    const uint64_t r = gen();
    const double mant = 1.0 + double(r >> 11) * 0x1p-53;
    const int e = lo + int(gen() % uint64_t(hi - lo + 1));
    out.push_back(T(std::ldexp(mant, e)));
  }
  return out;
}

// The largest ulp_diff(f(x), ref(x)) over the finite non-zero `xs`, and the x where it is.
template <typename T, typename F, typename Ref>
std::pair<int64_t, T> worst_ulp(const std::vector<T>& xs, F f, Ref ref) {
  int64_t worst = 0;
  T worst_x = 0;
  for (T x : xs) {
    if (x == 0 || !std::isfinite(x)) continue;  // float samples can round to 0 or inf
    const int64_t d = ulp_diff(f(x), ref(x));
    if (d > worst) worst = d, worst_x = x;
  }
  return {worst, worst_x};
}

TEST(CoreMath, SqrtDoubleWithin2UlpOverAllBinades) {
  const auto [worst, worst_x] = worst_ulp(positive_samples<double>(-1074, 1023, 100000, 1),
                                          [](double x) { return tinyad_sqrt(x); },
                                          [](double x) { return std::sqrt(x); });
  EXPECT_LE(worst, 2) << "at x = " << worst_x;
}

TEST(CoreMath, SqrtFloatWithin2UlpOverAllBinades) {
  const auto [worst, worst_x] = worst_ulp(positive_samples<float>(-149, 127, 100000, 2),
                                          [](float x) { return tinyad_sqrt(x); },
                                          [](float x) { return std::sqrt(x); });
  EXPECT_LE(worst, 2) << "at x = " << worst_x;
}

TEST(CoreMath, SqrtSpecialValues) {
  constexpr double inf = std::numeric_limits<double>::infinity();
  constexpr double nan = std::numeric_limits<double>::quiet_NaN();
  EXPECT_EQ(tinyad_sqrt(0.0), 0.0);
  EXPECT_EQ(tinyad_sqrt(-0.0), 0.0);
  EXPECT_EQ(tinyad_sqrt(1.0), 1.0);
  EXPECT_EQ(tinyad_sqrt(4.0), 2.0);
  EXPECT_EQ(tinyad_sqrt(0.25), 0.5);
  EXPECT_TRUE(std::isnan(tinyad_sqrt(-1.0)));
  EXPECT_TRUE(std::isnan(tinyad_sqrt(-inf)));
  EXPECT_TRUE(std::isnan(tinyad_sqrt(nan)));
  EXPECT_EQ(tinyad_sqrt(inf), inf);
  EXPECT_LE(ulp_diff(tinyad_sqrt(DBL_MAX), std::sqrt(DBL_MAX)), 1);
  EXPECT_LE(ulp_diff(tinyad_sqrt(DBL_MIN), std::sqrt(DBL_MIN)), 1);
  EXPECT_LE(ulp_diff(tinyad_sqrt(DBL_TRUE_MIN), std::sqrt(DBL_TRUE_MIN)), 1);  // subnormal
  EXPECT_LE(ulp_diff(tinyad_sqrt(3e-310), std::sqrt(3e-310)), 1);              // subnormal
  // float
  EXPECT_EQ(tinyad_sqrt(0.0f), 0.0f);
  EXPECT_TRUE(std::isnan(tinyad_sqrt(-2.0f)));
  EXPECT_TRUE(std::isnan(tinyad_sqrt(std::numeric_limits<float>::quiet_NaN())));
  EXPECT_EQ(tinyad_sqrt(std::numeric_limits<float>::infinity()), std::numeric_limits<float>::infinity());
  EXPECT_LE(ulp_diff(tinyad_sqrt(FLT_MAX), std::sqrt(FLT_MAX)), 1);
  EXPECT_LE(ulp_diff(tinyad_sqrt(FLT_TRUE_MIN), std::sqrt(FLT_TRUE_MIN)), 1);
}

double rel_err(double a, double b) { return std::fabs(a - b) / std::fabs(b); }

TEST(CoreMath, LogDoubleWithin1e15RelativeOverAllBinades) {
  double worst = 0, worst_x = 0;
  for (double x : positive_samples<double>(-1074, 1023, 100000, 3)) {
    if (x == 0 || x == 1) continue;
    const double e = rel_err(tinyad_log(x), std::log(x));
    if (e > worst) worst = e, worst_x = x;
  }
  EXPECT_LE(worst, 1e-15) << "at x = " << worst_x;
}

TEST(CoreMath, LogDoubleNearOneKeepsRelativeAccuracy) {
  // log(1 + d) for small d is where a careless formula loses all its digits.
  double worst = 0, worst_x = 0;
  for (double d : positive_samples<double>(-52, -1, 20000, 4)) {
    for (double x : {1.0 + d, 1.0 - d / 2}) {
      const double e = rel_err(tinyad_log(x), std::log(x));
      if (e > worst) worst = e, worst_x = x;
    }
  }
  EXPECT_LE(worst, 1e-15) << "at x = " << worst_x;
}

TEST(CoreMath, LogFloatWithin2UlpOverAllBinades) {
  const auto [worst, worst_x] = worst_ulp(positive_samples<float>(-149, 127, 100000, 5),
                                          [](float x) { return tinyad_log(x); },
                                          [](float x) { return float(std::log(double(x))); });
  EXPECT_LE(worst, 2) << "at x = " << worst_x;
}

TEST(CoreMath, LogSpecialValues) {
  constexpr double inf = std::numeric_limits<double>::infinity();
  constexpr double nan = std::numeric_limits<double>::quiet_NaN();
  EXPECT_EQ(tinyad_log(1.0), 0.0);
  // Documented: log(0) is a large negative finite number, not -inf.
  EXPECT_EQ(tinyad_log(0.0), -1e30);
  EXPECT_EQ(tinyad_log(-0.0), -1e30);
  EXPECT_TRUE(std::isnan(tinyad_log(-1.0)));
  EXPECT_TRUE(std::isnan(tinyad_log(-DBL_TRUE_MIN)));
  EXPECT_TRUE(std::isnan(tinyad_log(-inf)));
  EXPECT_TRUE(std::isnan(tinyad_log(nan)));
  EXPECT_EQ(tinyad_log(inf), inf);
  EXPECT_LE(ulp_diff(tinyad_log(DBL_MAX), std::log(DBL_MAX)), 1);
  EXPECT_LE(ulp_diff(tinyad_log(DBL_TRUE_MIN), std::log(DBL_TRUE_MIN)), 1);  // subnormal
  EXPECT_LE(ulp_diff(tinyad_log(2.0), std::log(2.0)), 1);
  EXPECT_LE(ulp_diff(tinyad_log(std::numbers::e), 1.0), 1);
  // float
  EXPECT_EQ(tinyad_log(1.0f), 0.0f);
  EXPECT_EQ(tinyad_log(0.0f), -1e30f);
  EXPECT_TRUE(std::isnan(tinyad_log(-1.0f)));
  EXPECT_TRUE(std::isnan(tinyad_log(std::numeric_limits<float>::quiet_NaN())));
  EXPECT_EQ(tinyad_log(std::numeric_limits<float>::infinity()), std::numeric_limits<float>::infinity());
  EXPECT_LE(ulp_diff(tinyad_log(FLT_MAX), float(std::log(double(FLT_MAX)))), 1);
  EXPECT_LE(ulp_diff(tinyad_log(FLT_TRUE_MIN), float(std::log(double(FLT_TRUE_MIN)))), 1);
}

TEST(CoreMath, IsFiniteAndAbs) {
  EXPECT_TRUE(tinyad_isfinite(0.0));
  EXPECT_TRUE(tinyad_isfinite(DBL_MAX));
  EXPECT_TRUE(tinyad_isfinite(DBL_TRUE_MIN));
  EXPECT_FALSE(tinyad_isfinite(std::numeric_limits<double>::infinity()));
  EXPECT_FALSE(tinyad_isfinite(-std::numeric_limits<double>::infinity()));
  EXPECT_FALSE(tinyad_isfinite(std::numeric_limits<double>::quiet_NaN()));
  EXPECT_FALSE(tinyad_isfinite(std::numeric_limits<float>::infinity()));
  EXPECT_FALSE(tinyad_isfinite(std::numeric_limits<float>::quiet_NaN()));
  EXPECT_TRUE(tinyad_isfinite(FLT_MAX));
  EXPECT_EQ(tinyad_abs(-2.5), 2.5);
  EXPECT_EQ(tinyad_abs(2.5f), 2.5f);
}

// The core only needs angles in [0, pi] (twiddles and the Hann window).
TEST(CoreMath, SinCosDoubleOnZeroToPi) {
  double worst_sin = 0, worst_cos = 0, worst_rel = 0;
  const int n = 200000;
  for (int i = 0; i <= n; ++i) {
    const double a = std::numbers::pi * double(i) / n;
    double s, c;
    tinyad_sincos(a, &s, &c);
    worst_sin = std::max(worst_sin, std::fabs(s - std::sin(a)));
    worst_cos = std::max(worst_cos, std::fabs(c - std::cos(a)));
    // Away from the zeros at pi/2 (cos) and pi (sin), the error is also small relative.
    if (a < 1.5) worst_rel = std::max(worst_rel, std::fabs(c - std::cos(a)) / std::fabs(std::cos(a)));
    if (a < 3.0) worst_rel = std::max(worst_rel, std::fabs(s - std::sin(a)) / std::fabs(std::sin(a) + (a == 0)));
  }
  EXPECT_LE(worst_sin, 0x1p-51);
  EXPECT_LE(worst_cos, 0x1p-51);
  EXPECT_LE(worst_rel, 2e-15);
}

TEST(CoreMath, SinCosDoubleTinyAnglesAndSpecialValues) {
  // Small angles keep full relative accuracy (no reduction happens there).
  for (double a : {1e-300, 1e-20, 1e-8, 1e-3, DBL_TRUE_MIN}) {
    double s, c;
    tinyad_sincos(a, &s, &c);
    EXPECT_LE(ulp_diff(s, std::sin(a)), 1) << a;
    EXPECT_LE(ulp_diff(c, std::cos(a)), 1) << a;
  }
  double s, c;
  tinyad_sincos(0.0, &s, &c);
  EXPECT_EQ(s, 0.0);
  EXPECT_EQ(c, 1.0);
  tinyad_sincos(std::numbers::pi, &s, &c);
  EXPECT_NEAR(s, 0.0, 2e-16);
  EXPECT_EQ(c, -1.0);
  tinyad_sincos(std::numbers::pi / 2, &s, &c);
  EXPECT_EQ(s, 1.0);
  EXPECT_NEAR(c, 0.0, 2e-16);
  tinyad_sincos(std::numeric_limits<double>::quiet_NaN(), &s, &c);
  EXPECT_TRUE(std::isnan(s));
  EXPECT_TRUE(std::isnan(c));
}

TEST(CoreMath, SinCosFloatOnZeroToPi) {
  float worst = 0;
  const int n = 100000;
  for (int i = 0; i <= n; ++i) {
    const float a = float(std::numbers::pi * double(i) / n);
    float s, c;
    tinyad_sincos(a, &s, &c);
    worst = std::max(worst, float(std::fabs(double(s) - std::sin(double(a)))));
    worst = std::max(worst, float(std::fabs(double(c) - std::cos(double(a)))));
  }
  EXPECT_LE(worst, 2 * FLT_EPSILON);
  float s, c;
  tinyad_sincos(0.0f, &s, &c);
  EXPECT_EQ(s, 0.0f);
  EXPECT_EQ(c, 1.0f);
  tinyad_sincos(std::numeric_limits<float>::quiet_NaN(), &s, &c);
  EXPECT_TRUE(std::isnan(s) && std::isnan(c));
}

}  // namespace
