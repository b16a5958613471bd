// tinyad_stats.h: per-axis statistics of one window, as scipy/numpy define
// them. Inputs are strided so the caller's interleaved (x, y, z) rows are read
// in place. No heap: functions that must sort take a caller scratch buffer.
#ifndef TINYAD_STATS_H
#define TINYAD_STATS_H

#include <stddef.h>

#include "tinyad_math.h"

/// Mean of n values data[0], data[stride], ...
template <typename T>
inline T tinyad_mean(const T* data, size_t n, size_t stride) {
  T sum = T(0);
  for (size_t i = 0; i < n; ++i) sum += data[i * stride];
  return sum / T(n);
}

/// Central moments m2, m3, m4 about `mean` (population: divided by n).
template <typename T>
inline void tinyad_central_moments(const T* data, size_t n, size_t stride, T mean,
                                   T* m2, T* m3, T* m4) {
  T s2 = T(0), s3 = T(0), s4 = T(0);
  for (size_t i = 0; i < n; ++i) {
    const T d = data[i * stride] - mean;
    const T d2 = d * d;
    s2 += d2;
    s3 += d2 * d;
    s4 += d2 * d2;
  }
  *m2 = s2 / T(n);
  *m3 = s3 / T(n);
  *m4 = s4 / T(n);
}

/// Sorts values[0..n) ascending in place (heap sort: no recursion, O(n log n)).
template <typename T>
inline void tinyad_sort(T* values, size_t n) {
  if (n < 2) return;
  // Sift-down helper as a lambda keeps the function self-contained.
  auto sift = [values](size_t root, size_t end) {
    while (2 * root + 1 < end) {
      size_t child = 2 * root + 1;
      if (child + 1 < end && values[child] < values[child + 1]) ++child;
      if (!(values[root] < values[child])) return;
      const T tmp = values[root];
      values[root] = values[child];
      values[child] = tmp;
      root = child;
    }
  };
  for (size_t start = n / 2; start-- > 0;) sift(start, n);
  for (size_t end = n - 1; end > 0; --end) {
    const T tmp = values[0];
    values[0] = values[end];
    values[end] = tmp;
    sift(0, end);
  }
}

/// Median of sorted values (even count: mean of the two middle values).
template <typename T>
inline T tinyad_median_sorted(const T* sorted, size_t n) {
  return (n % 2 == 1) ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / T(2);
}

/// Median absolute deviation, scaled: scale * median(|x - median(x)|), as
/// scipy.stats.median_absolute_deviation(x, scale=1.4826).
/// \param scratch caller buffer of at least n values; overwritten.
template <typename T>
inline T tinyad_mad(const T* data, size_t n, size_t stride, T scale, T* scratch) {
  for (size_t i = 0; i < n; ++i) scratch[i] = data[i * stride];
  tinyad_sort(scratch, n);
  const T center = tinyad_median_sorted(scratch, n);
  for (size_t i = 0; i < n; ++i) scratch[i] = tinyad_abs(data[i * stride] - center);
  tinyad_sort(scratch, n);
  return scale * tinyad_median_sorted(scratch, n);
}

/// Minimum and maximum of n strided values.
template <typename T>
inline void tinyad_min_max(const T* data, size_t n, size_t stride, T* lo, T* hi) {
  T mn = data[0], mx = data[0];
  for (size_t i = 1; i < n; ++i) {
    const T v = data[i * stride];
    if (v < mn) mn = v;
    if (v > mx) mx = v;
  }
  *lo = mn;
  *hi = mx;
}

/// Pearson correlation of two strided series with known means; 0 when either
/// series is constant (numpy would give NaN, which no detector can use).
template <typename T>
inline T tinyad_correlation(const T* a, const T* b, size_t n, size_t stride, T mean_a,
                            T mean_b) {
  T sab = T(0), saa = T(0), sbb = T(0);
  for (size_t i = 0; i < n; ++i) {
    const T da = a[i * stride] - mean_a;
    const T db = b[i * stride] - mean_b;
    sab += da * db;
    saa += da * da;
    sbb += db * db;
  }
  if (!(saa > T(0)) || !(sbb > T(0))) return T(0);
  return sab / tinyad_sqrt(saa * sbb);
}

#endif  // TINYAD_STATS_H
