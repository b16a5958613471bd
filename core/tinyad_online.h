// tinyad_online.h: learning the normal baseline on the device itself, one
// feature vector at a time: Welford's running mean and co-moment sums, then
// the unbiased (N-1) covariance inverted by Cholesky in place. Plus the small
// learn -> calibrate -> monitor state machine a freshly installed device runs.
// No heap, no exceptions; all arrays are the caller's. Unlike the host fit
// there is no shrinkage: a singular covariance is reported, not repaired.
#ifndef TINYAD_ONLINE_H
#define TINYAD_ONLINE_H

#include <stddef.h>
#include <stdint.h>

#include "tinyad_mahalanobis.h"
#include "tinyad_math.h"
#include "tinyad_status.h"

/// Running mean and co-moments of n-dimensional vectors.
template <typename T>
struct tinyad_online_cov {
  size_t n;        // dimensions
  uint32_t count;  // vectors added
  T* mean;         // (n,) running mean
  T* m2;           // (n, n) row-major sums of (x_i - mean_i)(x_j - mean_j); lower triangle used
};

template <typename T>
inline void tinyad_online_cov_init(tinyad_online_cov<T>* c, size_t n, T* mean, T* m2) {
  c->n = n;
  c->count = 0;
  c->mean = mean;
  c->m2 = m2;
  for (size_t i = 0; i < n; ++i) mean[i] = T(0);
  for (size_t i = 0; i < n * n; ++i) m2[i] = T(0);
}

/// Adds one vector (Welford: stable where sum-of-squares formulas cancel).
template <typename T>
inline tinyad_status tinyad_online_cov_add(tinyad_online_cov<T>* c, const T* x) {
  for (size_t i = 0; i < c->n; ++i)
    if (!tinyad_isfinite(x[i])) return TINYAD_STATUS_NOT_FINITE;
  ++c->count;
  // C += d_old d_new^T with d_new = d_old (count-1)/count: use the old
  // means for the whole update first, then move them (no extra buffer).
  const T w = T(c->count - 1) / T(c->count);
  for (size_t i = 0; i < c->n; ++i) {
    const T di = (x[i] - c->mean[i]) * w;
    for (size_t j = 0; j <= i; ++j) c->m2[i * c->n + j] += di * (x[j] - c->mean[j]);
  }
  for (size_t i = 0; i < c->n; ++i) c->mean[i] += (x[i] - c->mean[i]) / T(c->count);
  return TINYAD_STATUS_OK;
}

/// Turns the sums into the unbiased covariance's inverse, written to
/// `precision` (n, n), full symmetric. Consumes c->m2 (used as the Cholesky
/// work area): add no more vectors afterwards. c->mean is the baseline mean.
template <typename T>
inline tinyad_status tinyad_online_cov_finish(tinyad_online_cov<T>* c, T* precision) {
  const size_t n = c->n;
  if (c->count < 2 || c->count <= n) return TINYAD_STATUS_NOT_READY;
  T* a = c->m2;
  const T scale = T(1) / T(c->count - 1);
  for (size_t i = 0; i < n; ++i)
    for (size_t j = 0; j <= i; ++j) a[i * n + j] *= scale;
  // Cholesky, lower: A = L L^T, L overwrites the lower triangle.
  for (size_t j = 0; j < n; ++j) {
    T d = a[j * n + j];
    for (size_t k = 0; k < j; ++k) d -= a[j * n + k] * a[j * n + k];
    // Relative test: a pivot that lost all but rounding noise is singular.
    if (!(d > a[j * n + j] * T(1e-6)) || !tinyad_isfinite(d)) return TINYAD_STATUS_SINGULAR;
    const T ljj = tinyad_sqrt(d);
    a[j * n + j] = ljj;
    for (size_t i = j + 1; i < n; ++i) {
      T s = a[i * n + j];
      for (size_t k = 0; k < j; ++k) s -= a[i * n + k] * a[j * n + k];
      a[i * n + j] = s / ljj;
    }
  }
  // L^-1 in place (lower triangular), column by column from the diagonal.
  for (size_t j = 0; j < n; ++j) {
    a[j * n + j] = T(1) / a[j * n + j];
    for (size_t i = j + 1; i < n; ++i) {
      T s = T(0);
      for (size_t k = j; k < i; ++k) s -= a[i * n + k] * a[k * n + j];
      a[i * n + j] = s / a[i * n + i];
    }
  }
  // precision = L^-T L^-1: P_ij = sum_{k >= max(i, j)} Li_ki Li_kj.
  for (size_t i = 0; i < n; ++i) {
    for (size_t j = 0; j <= i; ++j) {
      T s = T(0);
      for (size_t k = i; k < n; ++k) s += a[k * n + i] * a[k * n + j];
      precision[i * n + j] = s;
      precision[j * n + i] = s;
    }
  }
  return TINYAD_STATUS_OK;
}

enum tinyad_learn_phase {
  TINYAD_PHASE_LEARN = 0,   // accumulating the baseline's mean and covariance
  TINYAD_PHASE_CALIBRATE,   // scoring fresh normal windows to set the threshold
  TINYAD_PHASE_MONITOR,     // scoring against the learned baseline and threshold
};

/// A device installed on a new machine: learn n_learn windows, then score
/// n_calibrate more and set threshold = mean + k sd of their scores
/// (population sd, as the host's mean+Ksd rule), then monitor.
template <typename T>
struct tinyad_learner {
  tinyad_online_cov<T> cov;
  tinyad_mahalanobis<T> model;  // mean -> cov.mean, precision -> precision below
  T* precision;                 // (n, n) caller-owned, written when learning ends
  uint32_t n_learn, n_calibrate;
  T sd_factor;
  uint8_t phase;  // tinyad_learn_phase
  uint32_t n_scores;
  T score_mean, score_m2;  // Welford over the calibration scores
  T threshold;
};

/// \param mean (n,), m2 (n, n), precision (n, n): caller-owned.
template <typename T>
inline void tinyad_learner_init(tinyad_learner<T>* l, size_t n, T* mean, T* m2, T* precision,
                                uint32_t n_learn, uint32_t n_calibrate, T sd_factor) {
  tinyad_online_cov_init(&l->cov, n, mean, m2);
  l->model.n = n;
  l->model.mean = mean;
  l->model.precision = precision;
  l->precision = precision;
  l->n_learn = n_learn;
  l->n_calibrate = n_calibrate;
  l->sd_factor = sd_factor;
  l->phase = TINYAD_PHASE_LEARN;
  l->n_scores = 0;
  l->score_mean = T(0);
  l->score_m2 = T(0);
  l->threshold = T(0);
}

/// Feeds one window's features. In the calibrate and monitor phases *score
/// gets its score; *anomaly is set only while monitoring. A singular
/// baseline (e.g. a sensor stuck on one axis) returns TINYAD_STATUS_SINGULAR
/// and starts learning over.
template <typename T>
inline tinyad_status tinyad_learner_add(tinyad_learner<T>* l, const T* x, T* score, bool* anomaly) {
  *anomaly = false;
  if (l->phase == TINYAD_PHASE_LEARN) {
    const tinyad_status st = tinyad_online_cov_add(&l->cov, x);
    if (st != TINYAD_STATUS_OK || l->cov.count < l->n_learn) return st;
    const tinyad_status fs = tinyad_online_cov_finish(&l->cov, l->precision);
    if (fs != TINYAD_STATUS_OK) {
      tinyad_online_cov_init(&l->cov, l->cov.n, l->cov.mean, l->cov.m2);
      return fs;
    }
    l->phase = TINYAD_PHASE_CALIBRATE;
    return TINYAD_STATUS_OK;
  }
  const tinyad_status st = tinyad_mahalanobis_score(&l->model, x, l->model.n, score);
  if (st != TINYAD_STATUS_OK) return st;
  if (l->phase == TINYAD_PHASE_CALIBRATE) {
    ++l->n_scores;
    const T d = *score - l->score_mean;
    l->score_mean += d / T(l->n_scores);
    l->score_m2 += d * (*score - l->score_mean);
    if (l->n_scores >= l->n_calibrate) {
      l->threshold = l->score_mean + l->sd_factor * tinyad_sqrt(l->score_m2 / T(l->n_scores));
      l->phase = TINYAD_PHASE_MONITOR;
    }
    return TINYAD_STATUS_OK;
  }
  *anomaly = *score > l->threshold;
  return TINYAD_STATUS_OK;
}

#endif  // TINYAD_ONLINE_H
