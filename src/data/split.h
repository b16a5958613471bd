// split.h: the original protocol's split of normal files: shuffle (seeded),
// 20 % validation, 20 % test, the rest for training.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace tinyad {

struct Split {
  uint64_t seed = 0;
  std::vector<size_t> train, validation, test;  // indices into the input list
};

/// Splits n items; fractions are rounded down. Deterministic for a seed.
Split split_make(size_t n, uint64_t seed, double validation_fraction = 0.2, double test_fraction = 0.2);

}  // namespace tinyad
