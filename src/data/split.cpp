// split.cpp: see split.h.
#include "split.h"

#include <numeric>
#include <utility>

#include "rng.h"

namespace tinyad {

Split split_make(size_t n, uint64_t seed, double validation_fraction, double test_fraction) {
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), size_t(0));
  Rng rng(seed);
  for (size_t i = n; i > 1; --i) std::swap(order[i - 1], order[rng.below(i)]);  // Fisher-Yates
  const size_t n_val = size_t(double(n) * validation_fraction);
  const size_t n_test = size_t(double(n) * test_fraction);
  Split s;
  s.seed = seed;
  s.validation.assign(order.begin(), order.begin() + long(n_val));
  s.test.assign(order.begin() + long(n_val), order.begin() + long(n_val + n_test));
  s.train.assign(order.begin() + long(n_val + n_test), order.end());
  return s;
}

}  // namespace tinyad
