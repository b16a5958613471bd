// tinyad_commission.h: commissioning a mounting (issue 11 part 3). A fan
// re-mounted, or recorded on another day, moves every feature; a full
// covariance needs hundreds of windows to relearn. Instead the device's first
// K windows (30 recommended, docs/commissioning.md) give a fresh DIAGONAL
// baseline: per-feature mean and standard deviation, the sd floored at a
// fraction of the fleet model's sd so a quiet feature cannot make the score
// explode. The score is the mean squared z-score over the n features; the
// threshold is `margin` x the largest leave-one-out score of the K windows
// (each window scored against the other K-1: the out-of-sample spread a
// baseline from few windows really has). While monitoring, the mean follows
// slow drift at `track_rate` per window, only from windows scoring below
// `track_below` x threshold, and never further than `track_bound` sd from
// where commissioning put it, so a fault that grows slowly is not learned away.
// No heap: the state has fixed arrays; the K commissioning windows are kept
// in a caller-owned buffer (K * n values) until finalize computes the LOO
// scores, after which the buffer is free for other use.
#ifndef TINYAD_COMMISSION_H
#define TINYAD_COMMISSION_H

#include <stddef.h>
#include <stdint.h>

#include "tinyad_math.h"
#include "tinyad_status.h"

#ifndef TINYAD_COMMISSION_MAX_FEATURES
#define TINYAD_COMMISSION_MAX_FEATURES 64  // the default recipe has 60
#endif

enum tinyad_commission_phase {
  TINYAD_COMMISSION_LEARNING = 0,  // collecting the first K windows
  TINYAD_COMMISSION_MONITORING,    // scoring against the own baseline
};

/// The rule's settings; tinyad_commission_default_params() gives the
/// measured defaults (docs/commissioning.md).
template <typename T>
struct tinyad_commission_params {
  uint32_t windows;  // K, windows to commission on (>= 3 for leave-one-out)
  T sd_floor;        // sd floor as a fraction of the fleet sd per feature
  T margin;          // threshold = margin * max leave-one-out score
  T track_rate;      // mean += track_rate * (x - mean) on a tracked window
  T track_below;     // track only windows with score <= track_below * threshold
  T track_bound;     // |mean - commissioned mean| <= track_bound * sd per feature
};

template <typename T>
inline tinyad_commission_params<T> tinyad_commission_default_params() {
  tinyad_commission_params<T> p;
  p.windows = 30;
  p.sd_floor = T(0.1);
  p.margin = T(1.5);
  p.track_rate = T(0.02);
  p.track_below = T(0.5);
  p.track_bound = T(3);
  return p;
}

template <typename T>
struct tinyad_commission {
  tinyad_commission_params<T> params;
  uint32_t n;        // features
  uint32_t count;    // commissioning windows added so far
  uint8_t phase;     // tinyad_commission_phase
  uint32_t tracked;  // monitoring windows the mean followed
  T* windows;        // caller-owned (params.windows * n), row-major; used while learning
  T mean[TINYAD_COMMISSION_MAX_FEATURES];    // running mean; the tracked mean while monitoring
  T m2[TINYAD_COMMISSION_MAX_FEATURES];      // Welford sums of squared deviations (learning)
  T origin[TINYAD_COMMISSION_MAX_FEATURES];  // the mean at finalize: the tracking bound's centre
  T sd[TINYAD_COMMISSION_MAX_FEATURES];      // floored sd (monitoring)
  T threshold;                               // monitoring: anomalous when score > threshold
};

/// Starts (or restarts) commissioning. \param windows caller-owned buffer of
/// params.windows * n values, kept until finalize.
template <typename T>
inline tinyad_status tinyad_commission_reset(tinyad_commission<T>* c, size_t n, const tinyad_commission_params<T>& params,
                                             T* windows) {
  if (!c || !windows) return TINYAD_STATUS_NULL_ARGUMENT;
  if (n == 0 || n > TINYAD_COMMISSION_MAX_FEATURES || params.windows < 3) return TINYAD_STATUS_BUFFER_TOO_SMALL;
  c->params = params;
  c->n = uint32_t(n);
  c->count = 0;
  c->phase = TINYAD_COMMISSION_LEARNING;
  c->tracked = 0;
  c->windows = windows;
  for (size_t i = 0; i < TINYAD_COMMISSION_MAX_FEATURES; ++i) {
    c->mean[i] = c->m2[i] = c->origin[i] = c->sd[i] = T(0);
  }
  c->threshold = T(0);
  return TINYAD_STATUS_OK;
}

/// Adds one commissioning window's features (n values). TINYAD_STATUS_NOT_READY
/// once K windows are in (call finalize); a non-finite value is refused.
template <typename T>
inline tinyad_status tinyad_commission_add(tinyad_commission<T>* c, const T* x) {
  if (c->phase != TINYAD_COMMISSION_LEARNING || c->count >= c->params.windows) return TINYAD_STATUS_NOT_READY;
  for (uint32_t i = 0; i < c->n; ++i)
    if (!tinyad_isfinite(x[i])) return TINYAD_STATUS_NOT_FINITE;
  T* row = c->windows + size_t(c->count) * c->n;
  ++c->count;
  for (uint32_t i = 0; i < c->n; ++i) {
    row[i] = x[i];
    const T d = x[i] - c->mean[i];
    c->mean[i] += d / T(c->count);
    c->m2[i] += d * (x[i] - c->mean[i]);
  }
  return TINYAD_STATUS_OK;
}

/// Mean squared z-score of x against (mean, sd).
template <typename T>
inline T tinyad_commission_zscore(const T* x, const T* mean, const T* sd, uint32_t n) {
  T total = T(0);
  for (uint32_t i = 0; i < n; ++i) {
    const T z = (x[i] - mean[i]) / sd[i];
    total += z * z;
  }
  return total / T(n);
}

/// Ends commissioning: sd (floored at params.sd_floor * fleet_sd[i]), the
/// leave-one-out threshold, then monitoring. \param fleet_sd (n,) the fleet
/// model's per-feature sd (sqrt of its covariance diagonal), all > 0.
/// TINYAD_STATUS_NOT_READY before K windows; SINGULAR when a floored sd is
/// still 0 (a zero fleet sd) or the threshold is 0 (K identical windows).
template <typename T>
inline tinyad_status tinyad_commission_finalize(tinyad_commission<T>* c, const T* fleet_sd) {
  if (c->phase != TINYAD_COMMISSION_LEARNING || c->count < c->params.windows) return TINYAD_STATUS_NOT_READY;
  const uint32_t n = c->n, k = c->count;
  const T kk = T(k);
  for (uint32_t i = 0; i < n; ++i) {
    const T floor = c->params.sd_floor * fleet_sd[i];
    const T s = tinyad_sqrt(c->m2[i] / (kk - T(1)));
    c->sd[i] = s > floor ? s : floor;
    if (!(c->sd[i] > T(0))) return TINYAD_STATUS_SINGULAR;
  }
  // Leave window j out: its deviation from the others' mean is d k/(k-1),
  // and the others' sum of squares is m2 - d^2 k/(k-1) (d = x - full mean).
  T worst = T(0);
  for (uint32_t j = 0; j < k; ++j) {
    const T* x = c->windows + size_t(j) * n;
    T total = T(0);
    for (uint32_t i = 0; i < n; ++i) {
      const T d = x[i] - c->mean[i];
      T m2 = c->m2[i] - d * d * kk / (kk - T(1));
      if (m2 < T(0)) m2 = T(0);  // rounding when one window carries all the spread
      const T floor = c->params.sd_floor * fleet_sd[i];
      T s = tinyad_sqrt(m2 / (kk - T(2)));
      if (!(s > floor)) s = floor;
      const T z = d * kk / (kk - T(1)) / s;
      total += z * z;
    }
    total /= T(n);
    if (total > worst) worst = total;
  }
  c->threshold = c->params.margin * worst;
  if (!(c->threshold > T(0)) || !tinyad_isfinite(c->threshold)) return TINYAD_STATUS_SINGULAR;
  for (uint32_t i = 0; i < n; ++i) c->origin[i] = c->mean[i];
  c->phase = TINYAD_COMMISSION_MONITORING;
  return TINYAD_STATUS_OK;
}

/// Scores one window against the own baseline; *anomaly = score > threshold.
template <typename T>
inline tinyad_status tinyad_commission_score(const tinyad_commission<T>* c, const T* x, T* score, bool* anomaly) {
  if (c->phase != TINYAD_COMMISSION_MONITORING) return TINYAD_STATUS_NOT_READY;
  const T s = tinyad_commission_zscore(x, c->mean, c->sd, c->n);
  if (!tinyad_isfinite(s)) return TINYAD_STATUS_NOT_FINITE;
  *score = s;
  *anomaly = s > c->threshold;
  return TINYAD_STATUS_OK;
}

/// Follows slow drift: moves the mean towards x when the window's score is
/// well inside the threshold, within the bound. True when it moved.
template <typename T>
inline bool tinyad_commission_track(tinyad_commission<T>* c, const T* x, T score) {
  if (c->phase != TINYAD_COMMISSION_MONITORING || !(score <= c->params.track_below * c->threshold)) return false;
  for (uint32_t i = 0; i < c->n; ++i) {
    T m = c->mean[i] + c->params.track_rate * (x[i] - c->mean[i]);
    const T lo = c->origin[i] - c->params.track_bound * c->sd[i];
    const T hi = c->origin[i] + c->params.track_bound * c->sd[i];
    c->mean[i] = m < lo ? lo : (m > hi ? hi : m);
  }
  ++c->tracked;
  return true;
}

#endif  // TINYAD_COMMISSION_H
