// test_random.h: seeded random test data from tinyad's own RNG, so values
// are the same on every platform.
#pragma once

#include <Eigen/Dense>
#include <cstdint>
#include <random>
#include <vector>

#include "rng.h"

namespace tinyad::test {

/// (r, c) matrix of values uniform in [-scale, scale).
inline Eigen::MatrixXd random_matrix(Eigen::Index r, Eigen::Index c, uint64_t seed, double scale = 1.0) {
  Rng rng(seed);
  Eigen::MatrixXd m(r, c);
  for (Eigen::Index i = 0; i < r; ++i)
    for (Eigen::Index j = 0; j < c; ++j) m(i, j) = (2 * rng.uniform() - 1) * scale;
  return m;
}

/// One window for the `original` recipe (128 rows of x, y, z in g, row-major):
/// Gaussian readings around gravity; `scale` > 1 shakes harder (an anomaly).
inline std::vector<double> window_rows(std::mt19937* rng, double scale = 1) {
  std::normal_distribution<double> n01;
  std::vector<double> rows;
  for (int i = 0; i < 128; ++i) {
    rows.push_back(0.01 + scale * 0.02 * n01(*rng));
    rows.push_back(0.20 + scale * 0.03 * n01(*rng));
    rows.push_back(0.98 + scale * 0.015 * n01(*rng));
  }
  return rows;
}

}  // namespace tinyad::test
