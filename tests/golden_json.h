// golden_json.h: loading tests/golden/*.json (made by scripts/golden/make_golden.py) and the
// closeness check the golden-value tests share. Avoids: any tinyad code, so a bug in the
// library cannot hide in the harness.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "test_env.h"

namespace tinyad::test {

/// Parses tests/golden/<name>; fails the test (and returns null) when missing or invalid.
inline nlohmann::json load_golden(const std::string& name) {
  const std::string path = source_path("tests/golden/" + name);
  std::ifstream in(path);
  if (!in) {
    ADD_FAILURE() << path << ": missing; run `make golden`";
    return nullptr;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  nlohmann::json j = nlohmann::json::parse(ss.str(), nullptr, false);
  if (j.is_discarded()) ADD_FAILURE() << path << ": not valid JSON";
  return j;
}

/// |actual - expected| <= rtol * |expected| + atol, with a message naming both.
inline testing::AssertionResult near(double actual, double expected, double rtol, double atol) {
  const double err = std::fabs(actual - expected);
  if (err <= rtol * std::fabs(expected) + atol) return testing::AssertionSuccess();
  return testing::AssertionFailure() << "actual " << actual << " expected " << expected
                                     << " (abs err " << err << ", rel err "
                                     << err / std::fabs(expected) << ", rtol " << rtol
                                     << ", atol " << atol << ")";
}

inline std::vector<double> flat_rows(const nlohmann::json& rows) {
  std::vector<double> out;
  for (const auto& r : rows)
    for (const auto& v : r) out.push_back(v.get<double>());
  return out;
}

}  // namespace tinyad::test
