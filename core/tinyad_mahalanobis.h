// tinyad_mahalanobis.h: squared Mahalanobis distance of a feature vector to a
// normal baseline, the original system's score (compatible with its
// thresholds). The model points at caller-owned const arrays (e.g. generated
// headers in flash); nothing is copied or allocated. Rom = true: mean and
// precision are TINYAD_ROM arrays (PROGMEM on AVR, tinyad_rom.h), as the
// exported headers declare them; RAM arrays (a model learned on the device)
// take Rom = false. Elsewhere than on AVR both read the same.
#ifndef TINYAD_MAHALANOBIS_H
#define TINYAD_MAHALANOBIS_H

#include <stddef.h>

#include "tinyad_math.h"
#include "tinyad_rom.h"
#include "tinyad_status.h"

template <typename T>
struct tinyad_mahalanobis {
  size_t n;            // number of features
  const T* mean;       // (n,) feature means of the normal training windows
  const T* precision;  // (n, n) row-major inverse covariance, symmetric
};

/// Squared distance (x - mean)^T precision (x - mean).
/// \param x (n,) features from tinyad_features_extract().
template <typename T, bool Rom = false>
inline tinyad_status tinyad_mahalanobis_score(const tinyad_mahalanobis<T>* m, const T* x,
                                              size_t n, T* score) {
  if (!m || !x || !score || !m->mean || !m->precision) return TINYAD_STATUS_NULL_ARGUMENT;
  if (n != m->n) return TINYAD_STATUS_SIZE_MISMATCH;
  T total = T(0);
  for (size_t i = 0; i < n; ++i) {
    const T di = x[i] - tinyad_load<Rom>(&m->mean[i]);
    T row = T(0);
    for (size_t j = 0; j < n; ++j)
      row += tinyad_load<Rom>(&m->precision[i * n + j]) * (x[j] - tinyad_load<Rom>(&m->mean[j]));
    total += di * row;
  }
  if (!tinyad_isfinite(total)) return TINYAD_STATUS_NOT_FINITE;
  *score = total;
  return TINYAD_STATUS_OK;
}

#endif  // TINYAD_MAHALANOBIS_H
