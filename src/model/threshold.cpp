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

}  // namespace

bool threshold_parse(const std::string& spec, Threshold* out, std::string* err) {
  const std::string_view s(spec);
  Threshold t;
  if (s.starts_with("mean+") && s.ends_with("sd") &&
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
    *err = "threshold '" + spec + "': expected mean+Ksd (e.g. mean+3sd), quantile:Q (0..1), K*median (e.g. 3.5*median) or a number";
    return false;
  }
  *out = t;
  return true;
}

std::string threshold_spec(const Threshold& t) {
  char buf[64];
  if (t.method == "mean+sd") std::snprintf(buf, sizeof buf, "mean+%gsd", t.param);
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

bool threshold_fit(const std::vector<double>& scores, Threshold* t, std::string* err) {
  if (t->method == "fixed") return true;
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
  } else {
    t->value = quantile(scores, t->param);
  }
  return true;
}

}  // namespace tinyad
