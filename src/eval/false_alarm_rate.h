// false_alarm_rate.h: an observed rate (flagged normal windows out of n) with
// its exact binomial (Clopper-Pearson) confidence interval, so `eval` can say
// whether what it saw agrees with the rate a threshold promised.
#pragma once

#include <cstddef>

namespace tinyad {

struct RateCI {
  size_t k = 0, n = 0;  // windows flagged, windows scored
  double rate = 0;      // k / n (0 when n = 0)
  double lo = 0, hi = 1;  // the interval; [0, 1] when n = 0
  double level = 0.95;
};

/// Clopper-Pearson interval: lo = Beta^-1(a/2; k, n-k+1) (0 when k = 0),
/// hi = Beta^-1(1-a/2; k+1, n-k) (1 when k = n), a = 1 - level.
RateCI clopper_pearson(size_t k, size_t n, double level = 0.95);

/// Regularized incomplete beta function I_x(a, b), a, b > 0, x in [0, 1].
double incomplete_beta(double a, double b, double x);

/// x with I_x(a, b) = p (bisection; I is increasing in x), p in [0, 1].
double incomplete_beta_inverse(double a, double b, double p);

}  // namespace tinyad
