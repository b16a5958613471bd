// threshold.h: turning validation scores of normal windows into a threshold.
#pragma once

#include <string>
#include <vector>

namespace tinyad {

struct Threshold {
  std::string method;  // "mean+sd" (param = k), "quantile" (param = q), "median" (param = k), "fixed"
  double param = 0.0;
  double value = 0.0;  // a window is anomalous when score > value
};

/// Parses "mean+3sd", "quantile:0.99", "3.5*median" or a plain number such as "9.0".
bool threshold_parse(const std::string& spec, Threshold* out, std::string* err);

/// Text form that threshold_parse() reads back.
std::string threshold_spec(const Threshold& t);

/// Fills t->value from scores of normal validation windows.
bool threshold_fit(const std::vector<double>& scores, Threshold* t, std::string* err);

/// Linear-interpolation quantile (numpy's default method), q in [0, 1].
double quantile(std::vector<double> values, double q);

}  // namespace tinyad
