// test_random.h: seeded random test data from tinyad's own RNG, so values
// are the same on every platform.
#pragma once

#include <Eigen/Dense>
#include <cstdint>

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

}  // namespace tinyad::test
