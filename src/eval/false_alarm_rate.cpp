// false_alarm_rate.cpp: see false_alarm_rate.h. The incomplete beta is the
// textbook continued fraction evaluated with the modified Lentz method;
// the inverse is plain bisection (60 halvings reach double precision on
// [0, 1], and this runs once per eval, so speed does not matter).
#include "false_alarm_rate.h"

#include <cmath>

namespace tinyad {
namespace {

// Continued fraction of I_x(a, b) / (x^a (1-x)^b / (a B(a, b))), converging
// fast for x < (a + 1) / (a + b + 2).
double beta_continued_fraction(double a, double b, double x) {
  constexpr double kTiny = 1e-300, kEps = 1e-15;
  double c = 1.0, d = 1.0 - (a + b) * x / (a + 1.0);
  if (std::fabs(d) < kTiny) d = kTiny;
  d = 1.0 / d;
  double f = d;
  for (int m = 1; m <= 1000; ++m) {
    const double m2 = 2.0 * m;
    // Even step: d_{2m} = m (b - m) x / ((a + 2m - 1)(a + 2m)).
    double num = m * (b - m) * x / ((a + m2 - 1.0) * (a + m2));
    d = 1.0 + num * d;
    c = 1.0 + num / c;
    if (std::fabs(d) < kTiny) d = kTiny;
    if (std::fabs(c) < kTiny) c = kTiny;
    d = 1.0 / d;
    f *= d * c;
    // Odd step: d_{2m+1} = -(a + m)(a + b + m) x / ((a + 2m)(a + 2m + 1)).
    num = -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1.0));
    d = 1.0 + num * d;
    c = 1.0 + num / c;
    if (std::fabs(d) < kTiny) d = kTiny;
    if (std::fabs(c) < kTiny) c = kTiny;
    d = 1.0 / d;
    const double step = d * c;
    f *= step;
    if (std::fabs(step - 1.0) < kEps) break;
  }
  return f;
}

}  // namespace

double incomplete_beta(double a, double b, double x) {
  if (x <= 0) return 0.0;
  if (x >= 1) return 1.0;
  const double log_front =
      std::lgamma(a + b) - std::lgamma(a) - std::lgamma(b) + a * std::log(x) + b * std::log1p(-x);
  const double front = std::exp(log_front);
  // The fraction converges on one side of the mean; the symmetry
  // I_x(a, b) = 1 - I_{1-x}(b, a) covers the other.
  if (x < (a + 1.0) / (a + b + 2.0)) return front * beta_continued_fraction(a, b, x) / a;
  return 1.0 - front * beta_continued_fraction(b, a, 1.0 - x) / b;
}

double incomplete_beta_inverse(double a, double b, double p) {
  if (p <= 0) return 0.0;
  if (p >= 1) return 1.0;
  double lo = 0.0, hi = 1.0;
  for (int i = 0; i < 200 && hi - lo > 1e-17; ++i) {
    const double mid = 0.5 * (lo + hi);
    (incomplete_beta(a, b, mid) < p ? lo : hi) = mid;
  }
  return 0.5 * (lo + hi);
}

RateCI clopper_pearson(size_t k, size_t n, double level) {
  RateCI r;
  r.k = k;
  r.n = n;
  r.level = level;
  if (n == 0) return r;
  r.rate = double(k) / double(n);
  const double alpha = 1.0 - level;
  const double kd = double(k), nd = double(n);
  r.lo = k == 0 ? 0.0 : incomplete_beta_inverse(kd, nd - kd + 1.0, alpha / 2.0);
  r.hi = k >= n ? 1.0 : incomplete_beta_inverse(kd + 1.0, nd - kd, 1.0 - alpha / 2.0);
  return r;
}

}  // namespace tinyad
