// tinyad_stats.h: per-axis statistics of one window, as scipy/numpy define
// them. Inputs are strided so the caller's interleaved (x, y, z) rows are read
// in place. No heap: functions that must reorder take a caller scratch buffer.
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

template <typename T>
inline void tinyad_swap(T* v, size_t a, size_t b) {
  const T t = v[a];
  v[a] = v[b];
  v[b] = t;
}

/// Partially orders values[0..n) so that values[k] is the k-th smallest and no
/// value before it is larger (quickselect: median-of-three pivot, Hoare
/// partition, iterative; O(n) on average, no recursion, no heap).
/// `stride` lets it work in place on one axis of interleaved rows.
template <typename T>
inline void tinyad_select(T* base, size_t n, size_t k, size_t stride = 1) {
  struct strided {  // v[i] reads base[i * stride]: the algorithm below stays readable
    T* p;
    size_t s;
    T& operator[](size_t i) const { return p[i * s]; }
  } v{base, stride};
  size_t lo = 0, hi = n - 1;
  while (hi > lo) {
    const size_t mid = lo + (hi - lo) / 2;
    if (v[mid] < v[lo]) tinyad_swap(base, mid * stride, lo * stride);
    if (v[hi] < v[lo]) tinyad_swap(base, hi * stride, lo * stride);
    if (v[hi] < v[mid]) tinyad_swap(base, hi * stride, mid * stride);
    const T pivot = v[mid];
    size_t i = lo, j = hi;
    while (i <= j) {
      while (v[i] < pivot) ++i;
      while (pivot < v[j]) --j;
      if (i <= j) {
        tinyad_swap(base, i * stride, j * stride);
        ++i;
        if (j == 0) break;
        --j;
      }
    }
    // Now v[lo..j] <= pivot <= v[i..hi], and everything strictly between equals the pivot.
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return;
  }
}

/// Median of values[0..n), n >= 1, reordering them (even count: mean of the
/// two middle values, as numpy.median).
template <typename T>
inline T tinyad_median_inplace(T* v, size_t n, size_t stride = 1) {
  const size_t upper = n / 2;
  tinyad_select(v, n, upper, stride);
  if (n % 2 == 1) return v[upper * stride];
  T lower = v[0];  // largest of the lower half
  for (size_t i = 1; i < upper; ++i)
    if (lower < v[i * stride]) lower = v[i * stride];
  return (lower + v[upper * stride]) / T(2);
}

/// Median absolute deviation, scaled: scale * median(|x - median(x)|), as
/// scipy.stats.median_absolute_deviation(x, scale=1.4826).
/// \param scratch caller buffer of at least n values; overwritten.
template <typename T>
inline T tinyad_mad(const T* data, size_t n, size_t stride, T scale, T* scratch) {
  for (size_t i = 0; i < n; ++i) scratch[i] = data[i * stride];
  const T center = tinyad_median_inplace(scratch, n);
  for (size_t i = 0; i < n; ++i) scratch[i] = tinyad_abs(data[i * stride] - center);
  return scale * tinyad_median_inplace(scratch, n);
}

/// The same value as tinyad_mad() (a median does not depend on the order of
/// its values), computed in place: data is overwritten, no scratch needed.
/// Lets a device score a full window without a second window-sized buffer.
template <typename T>
inline T tinyad_mad_inplace(T* data, size_t n, size_t stride, T scale) {
  const T center = tinyad_median_inplace(data, n, stride);
  for (size_t i = 0; i < n; ++i) data[i * stride] = tinyad_abs(data[i * stride] - center);
  return scale * tinyad_median_inplace(data, n, stride);
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
