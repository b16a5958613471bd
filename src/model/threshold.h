// threshold.h: turning validation scores of normal windows into a threshold.
// The default rule (docs/thresholds.md) is split-conformal: the threshold is
// an order statistic of held-out calibration scores chosen so that a new
// normal window of the same conditions is flagged with probability <= P.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace tinyad {

struct Threshold {
  // "conformal" (param = P, the false-alarm probability), "cv-conformal" (the
  // same rule on out-of-fold scores of all non-test normal windows, param =
  // P; fitted by src/train/cross_conformal.h), "mean+sd" (param = k),
  // "quantile" (param = q), "median" (param = k), "fixed" (param = value)
  std::string method;
  double param = 0.0;
  double value = 0.0;  // a window is anomalous when score > value
  // What threshold_fit saw (0 / empty for a value given by hand or read from
  // a model file written before these were recorded).
  size_t n_calibration = 0;                     // normal windows scored
  std::optional<double> calibration_rate;       // share of them above value
  std::optional<double> expected_false_alarms;  // (cv-)conformal only: (n + 1 - k) / (n + 1) <= P
};

/// Parses "conformal:0.01", "cv-conformal:0.01", "mean+3sd", "quantile:0.99", "3.5*median" or a
/// plain number such as "9.0".
bool threshold_parse(const std::string& spec, Threshold* out, std::string* err);

/// Text form that threshold_parse() reads back.
std::string threshold_spec(const Threshold& t);

/// Fills t->value (and the calibration fields) from scores of normal
/// validation windows. A fixed threshold keeps its value; the scores then
/// only say how many of them it flags.
bool threshold_fit(const std::vector<double>& scores, Threshold* t, std::string* err);

/// Split-conformal rank: the k-th smallest of n calibration scores, k =
/// ceil((n + 1) (1 - p)); may exceed n (then no calibration score is high
/// enough: p needs n >= ceil(1 / p) - 1 windows).
size_t conformal_rank(size_t n, double p);

/// "conformal" or "cv-conformal": the rules that promise a rate P.
bool threshold_is_conformal(const Threshold& t);

/// The smallest P a conformal threshold can promise with n calibration
/// windows: 1 / (n + 1), the rate of the largest score.
double conformal_min_rate(size_t n);

/// Linear-interpolation quantile (numpy's default method), q in [0, 1].
double quantile(std::vector<double> values, double q);

}  // namespace tinyad
