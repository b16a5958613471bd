// tinyad_window.h: the device side of scoring. Readings arrive one at a time
// into a caller-owned window buffer; each full window yields a verdict
// (features -> Mahalanobis score -> compare with the threshold), then the
// buffer starts over. No heap, no exceptions: every buffer is the caller's,
// sized at compile time from the generated model header (TINYAD_MODEL_*).
#ifndef TINYAD_WINDOW_H
#define TINYAD_WINDOW_H

#include <stddef.h>
#include <stdint.h>

#include "tinyad_dense.h"
#include "tinyad_features.h"
#include "tinyad_mahalanobis.h"
#include "tinyad_status.h"

/// Rows of x, y, z readings, filled one reading at a time.
template <typename T>
struct tinyad_window {
  T* rows;          // (capacity, 3) row-major, caller-owned
  size_t capacity;  // rows per window (the recipe's window)
  size_t count;     // rows filled so far
};

template <typename T>
inline void tinyad_window_init(tinyad_window<T>* w, T* rows, size_t capacity) {
  w->rows = rows;
  w->capacity = capacity;
  w->count = 0;
}

/// Appends one reading (g). Returns true when the window has just become
/// full: score it, then tinyad_window_reset(). Readings pushed into a full
/// window are dropped (returns true again) so a slow consumer loses data
/// rather than mixing two windows.
template <typename T>
inline bool tinyad_window_push(tinyad_window<T>* w, T x, T y, T z) {
  if (w->count >= w->capacity) return true;
  T* row = w->rows + w->count * TINYAD_AXES;
  row[0] = x;
  row[1] = y;
  row[2] = z;
  ++w->count;
  return w->count == w->capacity;
}

template <typename T>
inline void tinyad_window_reset(tinyad_window<T>* w) {
  w->count = 0;
}

/// What one window got.
template <typename T>
struct tinyad_verdict {
  T score;               // squared Mahalanobis distance (valid when status is OK)
  bool anomaly;          // score > threshold
  tinyad_status status;  // why there is no score, when not OK
};

/// A Mahalanobis detector on the device: the recipe and constants from the
/// generated header, plus caller-owned work buffers. The recipe must have
/// passed tinyad_recipe_check() (exported ones have; the verdict trusts it).
template <typename T>
struct tinyad_mahalanobis_detector {
  const tinyad_recipe* recipe;
  tinyad_mahalanobis<T> model;
  T threshold;      // anomaly when score > threshold
  T* features;      // (n_features,)
  T* scratch;       // tinyad_features_scratch_size_destructive(recipe) values; may be null if 0
  size_t scratch_cap;
};

/// What both detectors do first: a verdict with no score yet, NOT_READY
/// until the window is full, else the features of the window (destructively:
/// MAD sorts the rows in place, which is why no second window-sized buffer
/// is needed) and the window reset for the next one.
template <typename T, uint32_t Groups, bool Prepared>
inline tinyad_verdict<T> tinyad_window_take_features(const tinyad_recipe* recipe, tinyad_window<T>* w, T* features,
                                                     size_t n_features, T* scratch, size_t scratch_cap) {
  tinyad_verdict<T> v;
  v.score = T(0);
  v.anomaly = false;
  v.status = TINYAD_STATUS_NOT_READY;
  if (w->count < w->capacity) return v;
  v.status = tinyad_features_extract_destructive<T, Groups, Prepared>(recipe, w->rows, w->count, features,
                                                                      n_features, scratch, scratch_cap);
  tinyad_window_reset(w);
  return v;
}

/// Scores a full window and resets it (its rows are overwritten). `Groups`
/// limits the feature code built in (TINYAD_MODEL_GROUPS); `Prepared`: the
/// scratch holds tinyad_features_prepare()'s tables (made once at start-up);
/// `Rom`: the model's arrays are TINYAD_ROM (an exported header's; needed on AVR).
template <typename T, uint32_t Groups = TINYAD_GROUPS_ALL, bool Prepared = false, bool Rom = false>
inline tinyad_verdict<T> tinyad_mahalanobis_window_verdict(const tinyad_mahalanobis_detector<T>* d,
                                                           tinyad_window<T>* w) {
  tinyad_verdict<T> v =
      tinyad_window_take_features<T, Groups, Prepared>(d->recipe, w, d->features, d->model.n, d->scratch, d->scratch_cap);
  if (v.status != TINYAD_STATUS_OK) return v;
  v.status = tinyad_mahalanobis_score<T, Rom>(&d->model, d->features, d->model.n, &v.score);
  v.anomaly = v.status == TINYAD_STATUS_OK && v.score > d->threshold;
  return v;
}

/// The dense-autoencoder detector on the device (float or double; the int8
/// network takes the same features, quantised with tinyad_quantize_int8).
template <typename T>
struct tinyad_autoencoder_detector {
  const tinyad_recipe* recipe;
  const tinyad_autoencoder<T>* net;  // checked once with tinyad_autoencoder_check()
  T threshold;
  T* features;       // (n_features,)
  size_t n_features;
  T* scratch;        // tinyad_features_scratch_size_destructive(recipe) values; may be null if 0
  size_t scratch_cap;
  T* net_scratch;    // tinyad_autoencoder_scratch_size(net) values
  size_t net_scratch_cap;
};

/// As tinyad_mahalanobis_window_verdict(), scored by reconstruction error.
template <typename T, uint32_t Groups = TINYAD_GROUPS_ALL, bool Prepared = false>
inline tinyad_verdict<T> tinyad_autoencoder_window_verdict(const tinyad_autoencoder_detector<T>* d,
                                                           tinyad_window<T>* w) {
  tinyad_verdict<T> v = tinyad_window_take_features<T, Groups, Prepared>(d->recipe, w, d->features, d->n_features,
                                                                         d->scratch, d->scratch_cap);
  if (v.status != TINYAD_STATUS_OK) return v;
  v.status = tinyad_autoencoder_score(d->net, d->features, d->n_features, d->net_scratch,
                                      d->net_scratch_cap, &v.score);
  v.anomaly = v.status == TINYAD_STATUS_OK && v.score > d->threshold;
  return v;
}

#endif  // TINYAD_WINDOW_H
