// threshold.cpp: see threshold.h.
#include "threshold.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>

namespace tinyad {
namespace {

bool parse_double(std::string_view s, double* v) {
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), *v);
  return ec == std::errc() && end == s.data() + s.size() && std::isfinite(*v);
}

// Share of scores strictly above the threshold (score > value flags, as judge()).
double share_above(const std::vector<double>& scores, double value) {
  size_t n = 0;
  for (double s : scores) n += s > value;
  return double(n) / double(scores.size());
}

}  // namespace

bool threshold_parse(const std::string& spec, Threshold* out, std::string* err) {
  const std::string_view s(spec);
  Threshold t;
  if (s.starts_with("conformal:") && parse_double(s.substr(10), &t.param) && t.param > 0 && t.param < 1) {
    t.method = "conformal";
  } else if (s.starts_with("cv-conformal:") && parse_double(s.substr(13), &t.param) && t.param > 0 &&
             t.param < 1) {
    t.method = "cv-conformal";
  } else if (s.starts_with("mean+") && s.ends_with("sd") &&
      parse_double(s.substr(5, s.size() - 7), &t.param) && t.param >= 0) {
    t.method = "mean+sd";
  } else if (s.starts_with("quantile:") && parse_double(s.substr(9), &t.param) && t.param >= 0 &&
             t.param <= 1) {
    t.method = "quantile";
  } else if (s.ends_with("*median") && parse_double(s.substr(0, s.size() - 7), &t.param) && t.param > 0) {
    t.method = "median";
  } else if (parse_double(s, &t.value)) {
    t.method = "fixed";
    t.param = t.value;
  } else {
    *err = "threshold '" + spec + "': expected conformal:P (0 < P < 1, e.g. conformal:0.01), mean+Ksd (e.g. mean+3sd), quantile:Q (0..1), K*median (e.g. 3.5*median) or a number";
    return false;
  }
  *out = t;
  return true;
}

std::string threshold_spec(const Threshold& t) {
  char buf[64];
  if (t.method == "conformal") std::snprintf(buf, sizeof buf, "conformal:%g", t.param);
  else if (t.method == "cv-conformal") std::snprintf(buf, sizeof buf, "cv-conformal:%g", t.param);
  else if (t.method == "mean+sd") std::snprintf(buf, sizeof buf, "mean+%gsd", t.param);
  else if (t.method == "quantile") std::snprintf(buf, sizeof buf, "quantile:%g", t.param);
  else if (t.method == "median") std::snprintf(buf, sizeof buf, "%g*median", t.param);
  else std::snprintf(buf, sizeof buf, "%.17g", t.value);
  return buf;
}

double quantile(std::vector<double> values, double q) {
  if (values.empty()) return NAN;
  std::sort(values.begin(), values.end());
  const double pos = q * double(values.size() - 1);
  const size_t lo = size_t(std::floor(pos));
  const size_t hi = std::min(lo + 1, values.size() - 1);
  return values[lo] + (pos - double(lo)) * (values[hi] - values[lo]);
}

size_t conformal_rank(size_t n, double p) {
  // The 1e-9 absorbs rounding in (n + 1)(1 - p), so that e.g. n = 99,
  // p = 0.01 gives k = 99 as the exact decimal product does.
  const double k = std::ceil(double(n + 1) * (1.0 - p) - 1e-9);
  return k < 1 ? 1 : size_t(k);
}

bool threshold_is_conformal(const Threshold& t) { return t.method == "conformal" || t.method == "cv-conformal"; }

double conformal_min_rate(size_t n) { return 1.0 / double(n + 1); }

namespace {

bool fit_conformal(std::vector<double> scores, Threshold* t, std::string* err) {
  // Split-conformal: for a new normal window exchangeable with the n
  // calibration windows, P(score > k-th smallest) <= (n + 1 - k) / (n + 1) <= p.
  const size_t n = scores.size(), k = conformal_rank(n, t->param);
  if (k > n) {
    char buf[256];
    std::snprintf(buf, sizeof buf,
                  "a false-alarm rate of %g needs at least %zu calibration (validation) windows, got %zu; "
                  "give more normal windows or a rate of at least %.3g",
                  t->param, size_t(std::ceil(1.0 / t->param - 1e-9)) - 1, n, conformal_min_rate(n));
    *err = buf;
    return false;
  }
  std::sort(scores.begin(), scores.end());
  t->value = scores[k - 1];
  t->expected_false_alarms = double(n + 1 - k) / double(n + 1);
  return true;
}

}  // namespace

bool threshold_fit(const std::vector<double>& scores, Threshold* t, std::string* err) {
  if (t->method == "fixed") {
    t->n_calibration = scores.size();
    t->calibration_rate.reset();
    if (!scores.empty()) t->calibration_rate = share_above(scores, t->value);
    return true;
  }
  if (scores.size() < 2) {
    *err = "need at least 2 validation windows to set a threshold, got " + std::to_string(scores.size());
    return false;
  }
  if (t->method == "mean+sd") {
    double mean = 0;
    for (double s : scores) mean += s;
    mean /= double(scores.size());
    double var = 0;
    for (double s : scores) var += (s - mean) * (s - mean);
    // Population sd, as numpy's std() in the original notebook.
    t->value = mean + t->param * std::sqrt(var / double(scores.size()));
  } else if (t->method == "median") {
    // Robust to the few odd windows (a moved base) that inflate mean+sd.
    t->value = t->param * quantile(scores, 0.5);
  } else if (t->method == "conformal" || t->method == "cv-conformal") {
    // cv-conformal: the same order statistic, taken over out-of-fold scores
    // (cross_conformal.h in src/train makes them).
    if (!fit_conformal(scores, t, err)) return false;
  } else {
    t->value = quantile(scores, t->param);
  }
  if (!threshold_is_conformal(*t)) t->expected_false_alarms.reset();
  t->n_calibration = scores.size();
  t->calibration_rate = share_above(scores, t->value);
  return true;
}

}  // namespace tinyad
