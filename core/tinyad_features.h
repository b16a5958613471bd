// tinyad_features.h: window -> feature vector, following a recipe that
// travels inside the model file. The same template runs in double on the host
// (reproducing numpy/scipy) and in float on a microcontroller.
// No heap, no exceptions: the caller owns the output and scratch buffers.
#ifndef TINYAD_FEATURES_H
#define TINYAD_FEATURES_H

#include <stddef.h>
#include <stdint.h>

#include "tinyad_fft.h"
#include "tinyad_math.h"
#include "tinyad_stats.h"
#include "tinyad_status.h"

#define TINYAD_AXES 3
#define TINYAD_MAX_GROUPS 16
#define TINYAD_MAX_BANDS 32
#define TINYAD_MAX_WINDOW 1024
#define TINYAD_MAX_FEATURES (TINYAD_MAX_GROUPS * TINYAD_AXES + TINYAD_AXES * TINYAD_MAX_BANDS)
#define TINYAD_MAD_SCALE 1.4826

/// Feature groups. Each yields one value per axis (x, y, z), except CORR
/// (pairs xy, xz, yz) and BANDS (n_bands per axis, axis-major).
enum tinyad_feature_group {
  TINYAD_FEATURE_MEAN = 0,  // g
  TINYAD_FEATURE_STD,       // g, population std = RMS of the mean-removed signal
  TINYAD_FEATURE_MAD,       // g, mad_scale * median(|x - median(x)|)
  TINYAD_FEATURE_SKEW,      // m3 / m2^1.5 (scipy.stats.skew, bias=True)
  TINYAD_FEATURE_KURT,      // m4 / m2^2 - 3 (scipy.stats.kurtosis defaults)
  TINYAD_FEATURE_PTP,       // g, max - min
  TINYAD_FEATURE_CREST,     // max|x - mean| / std
  TINYAD_FEATURE_CORR,      // Pearson correlation of axis pairs
  TINYAD_FEATURE_BANDS,     // g^2, mean |FFT|^2 of the Hann-windowed signal per band
  TINYAD_FEATURE_BANDS_REL, // band energy / total energy over all bands (per axis)
  TINYAD_FEATURE_GROUP_COUNT
};

/// Bit of a group in the `Groups` mask of tinyad_features_extract(): a device
/// build passes only its recipe's groups so the others' code is left out.
/// uint32_t, not 1u: where int is 16 bits (AVR) 1u << 31 is 0 and the log
/// bit would vanish, so every log-scaled recipe would be refused.
#define TINYAD_GROUP_BIT(g) (static_cast<uint32_t>(1) << (g))
#define TINYAD_GROUP_LOG (static_cast<uint32_t>(1) << 31)  // log scaling (recipe log_scale) built in
#define TINYAD_GROUPS_ALL 0xFFFFFFFFu

/// How a window becomes features. Plain data so it can be a const in flash.
struct tinyad_recipe {
  uint16_t window;                             // rows used, from the start of a recording
  uint8_t n_groups;                            // entries used in groups[]
  uint8_t groups[TINYAD_MAX_GROUPS];           // enum tinyad_feature_group, output order
  uint8_t n_bands;                             // bands per axis for BANDS / BANDS_REL
  uint16_t band_edges[TINYAD_MAX_BANDS + 1];   // FFT bins; band b = [edges[b], edges[b+1])
  uint8_t log_scale;                           // 1: STD, MAD, PTP, BANDS, BANDS_REL -> log(v + log_eps)
  double log_eps;                              // same unit as the feature
  double mad_scale;                            // 1.4826 as the original system
  double rate_hz;                              // sampling rate the window is read at; band_edges
                                               // are bins of rate_hz / fft_size. The core does not
                                               // use it (no resampling); a device samples at it.
};

/// FFT length used for a window of `window` rows (zero padded).
inline size_t tinyad_recipe_fft_size(const tinyad_recipe* r) {
  return tinyad_next_pow2(r->window);
}

inline bool tinyad_recipe_uses_bands(const tinyad_recipe* r) {
  for (uint8_t i = 0; i < r->n_groups; ++i)
    if (r->groups[i] == TINYAD_FEATURE_BANDS || r->groups[i] == TINYAD_FEATURE_BANDS_REL)
      return true;
  return false;
}

/// Checks window, groups and band edges.
inline tinyad_status tinyad_recipe_check(const tinyad_recipe* r) {
  if (!r) return TINYAD_STATUS_NULL_ARGUMENT;
  if (r->window < 4 || r->window > TINYAD_MAX_WINDOW) return TINYAD_STATUS_BAD_RECIPE;
  if (r->n_groups == 0 || r->n_groups > TINYAD_MAX_GROUPS) return TINYAD_STATUS_BAD_RECIPE;
  for (uint8_t i = 0; i < r->n_groups; ++i)
    if (r->groups[i] >= TINYAD_FEATURE_GROUP_COUNT) return TINYAD_STATUS_BAD_RECIPE;
  if (tinyad_recipe_uses_bands(r)) {
    const size_t half = tinyad_recipe_fft_size(r) / 2;
    if (r->n_bands == 0 || r->n_bands > TINYAD_MAX_BANDS) return TINYAD_STATUS_BAD_RECIPE;
    if (r->band_edges[0] < 1) return TINYAD_STATUS_BAD_RECIPE;  // DC is dropped
    for (uint8_t b = 0; b < r->n_bands; ++b)
      if (r->band_edges[b + 1] <= r->band_edges[b]) return TINYAD_STATUS_BAD_RECIPE;
    if (r->band_edges[r->n_bands] > half + 1) return TINYAD_STATUS_BAD_RECIPE;
  }
  if (r->log_scale && !(r->log_eps >= 0.0)) return TINYAD_STATUS_BAD_RECIPE;
  return TINYAD_STATUS_OK;
}

/// Number of values one group contributes.
inline size_t tinyad_group_size(const tinyad_recipe* r, uint8_t group) {
  if (group == TINYAD_FEATURE_BANDS || group == TINYAD_FEATURE_BANDS_REL)
    return size_t(TINYAD_AXES) * r->n_bands;
  return TINYAD_AXES;
}

/// Length of the feature vector the recipe produces.
inline size_t tinyad_recipe_n_features(const tinyad_recipe* r) {
  size_t n = 0;
  for (uint8_t i = 0; i < r->n_groups; ++i) n += tinyad_group_size(r, r->groups[i]);
  return n;
}

/// Scratch values tinyad_features_extract() needs: window (sort buffer, Hann
/// window), plus 3 * fft_size (complex buffer and twiddles) when bands are used.
/// Layout with bands: [Hann (window)] [FFT buffer (2 fft_size)] [twiddles
/// (fft_size)]; MAD then sorts in the FFT buffer, so the Hann window and the
/// twiddles survive from one window to the next (see tinyad_features_prepare).
inline size_t tinyad_features_scratch_size(const tinyad_recipe* r) {
  size_t n = r->window;
  if (tinyad_recipe_uses_bands(r)) n += 3 * tinyad_recipe_fft_size(r);
  return n;
}

/// Scratch tinyad_features_extract_destructive() needs: none for a recipe
/// without bands whose only MAD group is its last one (MAD then sorts the
/// window in place), else as tinyad_features_scratch_size().
inline size_t tinyad_features_scratch_size_destructive(const tinyad_recipe* r) {
  if (tinyad_recipe_uses_bands(r)) return tinyad_features_scratch_size(r);
  for (uint8_t i = 0; i + 1 < r->n_groups; ++i)
    if (r->groups[i] == TINYAD_FEATURE_MAD) return r->window;
  return 0;
}

/// Spectrum of one axis of interleaved (x, y, z) rows: the first `window`
/// values, mean removed, Hann-windowed, zero padded to n, FFT'd into `fft`
/// (n, 2). Shared by the band features and the host's report spectra, so
/// both see the same bins. `hann` (window,), `tw` twiddles for n.
template <typename T>
inline void tinyad_axis_fft(const T* axis, size_t window, T mean, const T* hann, T* fft, const T* tw,
                            size_t n) {
  // Written in bit-reversed order (j is i reversed), so the FFT skips its
  // permutation pass: the same values in the same places.
  for (size_t i = 0, j = 0; i < n; ++i, j = tinyad_bit_reversed_next(j, n)) {
    fft[2 * j] = i < window ? (axis[i * TINYAD_AXES] - mean) * hann[i] : T(0);
    fft[2 * j + 1] = T(0);
  }
  tinyad_fft_butterflies(fft, tw, n);
}

/// Band energies of one axis: mean |X_k|^2 per band of the mean-removed,
/// Hann-windowed, zero-padded signal. `hann` (window,), `fft` (fft_size, 2),
/// `tw` twiddles; `out` (n_bands,).
template <typename T>
inline void tinyad_band_energies(const tinyad_recipe* r, const T* axis, T mean, const T* hann,
                                 T* fft, const T* tw, T* out) {
  tinyad_axis_fft(axis, r->window, mean, hann, fft, tw, tinyad_recipe_fft_size(r));
  for (uint8_t b = 0; b < r->n_bands; ++b) {
    T sum = T(0);
    for (size_t k = r->band_edges[b]; k < r->band_edges[b + 1]; ++k)
      sum += fft[2 * k] * fft[2 * k] + fft[2 * k + 1] * fft[2 * k + 1];
    out[b] = sum / T(r->band_edges[b + 1] - r->band_edges[b]);
  }
}

/// Periodic Hann window w[n] = 0.5 - 0.5 cos(2 pi n / window).
template <typename T>
inline void tinyad_hann(T* w, size_t window) {
  const T two_pi = T(6.28318530717958647692);
  for (size_t i = 0; i < window; ++i) {
    const size_t m = i <= window / 2 ? i : window - i;  // cos is symmetric
    T s, c;
    tinyad_sincos(two_pi * T(m) / T(window), &s, &c);
    w[i] = T(0.5) - T(0.5) * c;
  }
}

/// Fills the tables a band recipe recomputes for every window otherwise (the
/// Hann window and the FFT twiddles: a few hundred sin/cos, most of a
/// window's cost on an MCU without an FPU for double) into `scratch`, once.
/// Afterwards pass Prepared = true to the extract functions with the same
/// scratch and a recipe of the same window and band count: the result is
/// bit-identical, the tables are computed by the same code. A no-op for
/// recipes without bands.
template <typename T>
inline tinyad_status tinyad_features_prepare(const tinyad_recipe* r, T* scratch, size_t scratch_cap) {
  if (!r) return TINYAD_STATUS_NULL_ARGUMENT;
  if (!tinyad_recipe_uses_bands(r)) return TINYAD_STATUS_OK;  // (scratch may be null then)
  if (!scratch) return TINYAD_STATUS_NULL_ARGUMENT;
  if (scratch_cap < tinyad_features_scratch_size(r)) return TINYAD_STATUS_BUFFER_TOO_SMALL;
  const size_t n = tinyad_recipe_fft_size(r);
  tinyad_hann(scratch, r->window);
  tinyad_fft_twiddles(scratch + r->window + 2 * n, n);
  return TINYAD_STATUS_OK;
}

/// Shared body of the two entry points below. `writable` is rows itself when
/// the caller allows the window to be overwritten (else null). `Check`
/// false trusts the recipe (checked once before; saves the device the
/// double-precision comparisons of tinyad_recipe_check()). `Prepared`: the
/// scratch already holds tinyad_features_prepare()'s tables.
template <typename T, uint32_t Groups, bool Check, bool Prepared>
inline tinyad_status tinyad_features_extract_impl(const tinyad_recipe* r, const T* rows, T* writable,
                                                  size_t n_rows, T* out, size_t out_cap, T* scratch,
                                                  size_t scratch_cap) {
  if (!r || !rows || !out) return TINYAD_STATUS_NULL_ARGUMENT;
  if (Check) {
    const tinyad_status rs = tinyad_recipe_check(r);
    if (rs != TINYAD_STATUS_OK) return rs;
  }
  for (uint8_t g = 0; g < r->n_groups; ++g)
    if (r->groups[g] >= TINYAD_FEATURE_GROUP_COUNT || !(Groups & TINYAD_GROUP_BIT(r->groups[g])))
      return TINYAD_STATUS_BAD_RECIPE;  // unknown, or not built in
  if (r->log_scale && !(Groups & TINYAD_GROUP_LOG)) return TINYAD_STATUS_BAD_RECIPE;
  const size_t w = r->window;
  if (n_rows < w) return TINYAD_STATUS_WINDOW_TOO_SHORT;
  const size_t need =
      writable ? tinyad_features_scratch_size_destructive(r) : tinyad_features_scratch_size(r);
  if (need > 0 && !scratch) return TINYAD_STATUS_NULL_ARGUMENT;
  if (out_cap < tinyad_recipe_n_features(r) || scratch_cap < need) return TINYAD_STATUS_BUFFER_TOO_SMALL;
  for (size_t i = 0; i < w * TINYAD_AXES; ++i)
    if (!tinyad_isfinite(rows[i])) return TINYAD_STATUS_NOT_FINITE;

  T mean[TINYAD_AXES];
  for (int a = 0; a < TINYAD_AXES; ++a) mean[a] = tinyad_mean(rows + a, w, TINYAD_AXES);
  const T eps = T(r->log_eps);
  const bool use_log = (Groups & TINYAD_GROUP_LOG) != 0 && r->log_scale != 0;
  auto scale_feature = [&](T v) { return use_log ? tinyad_log(v + eps) : v; };
  // Group tests start with the mask so that a constant mask removes whole branches.
  constexpr bool has_bands = (Groups & (TINYAD_GROUP_BIT(TINYAD_FEATURE_BANDS) |
                                        TINYAD_GROUP_BIT(TINYAD_FEATURE_BANDS_REL))) != 0;
  constexpr bool has_corr = (Groups & TINYAD_GROUP_BIT(TINYAD_FEATURE_CORR)) != 0;
  constexpr bool has_mad = (Groups & TINYAD_GROUP_BIT(TINYAD_FEATURE_MAD)) != 0;
  constexpr bool has_ptp = (Groups & TINYAD_GROUP_BIT(TINYAD_FEATURE_PTP)) != 0;
  constexpr bool has_moments =
      (Groups & (TINYAD_GROUP_BIT(TINYAD_FEATURE_STD) | TINYAD_GROUP_BIT(TINYAD_FEATURE_SKEW) |
                 TINYAD_GROUP_BIT(TINYAD_FEATURE_KURT) | TINYAD_GROUP_BIT(TINYAD_FEATURE_CREST))) != 0;

  // MAD sorts in the FFT buffer when there is one, to keep the tables.
  T* sort_buffer = has_bands && tinyad_recipe_uses_bands(r) ? scratch + w : scratch;
  // An axis's central moments, once for all the groups that use them (the
  // `default` recipe's KURT and CREST): the same sums, computed one time.
  T moments[TINYAD_AXES][3];
  bool have_moments[TINYAD_AXES] = {false, false, false};
  size_t k = 0;
  for (uint8_t g = 0; g < r->n_groups; ++g) {
    const uint8_t group = r->groups[g];
    if (has_bands && (group == TINYAD_FEATURE_BANDS || group == TINYAD_FEATURE_BANDS_REL)) {
      const size_t n = tinyad_recipe_fft_size(r);
      T* hann = scratch;
      T* fft = scratch + w;
      T* tw = fft + 2 * n;
      if (!Prepared) {
        tinyad_hann(hann, w);
        tinyad_fft_twiddles(tw, n);
      }
      for (int a = 0; a < TINYAD_AXES; ++a) {
        T* band = out + k;
        tinyad_band_energies(r, rows + a, mean[a], hann, fft, tw, band);
        if (group == TINYAD_FEATURE_BANDS_REL) {
          T total = T(0);
          for (uint8_t b = 0; b < r->n_bands; ++b) total += band[b];
          for (uint8_t b = 0; b < r->n_bands; ++b) band[b] = total > T(0) ? band[b] / total : T(0);
        }
        for (uint8_t b = 0; b < r->n_bands; ++b) band[b] = scale_feature(band[b]);
        k += r->n_bands;
      }
      continue;
    }
    if (has_corr && group == TINYAD_FEATURE_CORR) {
      out[k++] = tinyad_correlation(rows + 0, rows + 1, w, TINYAD_AXES, mean[0], mean[1]);
      out[k++] = tinyad_correlation(rows + 0, rows + 2, w, TINYAD_AXES, mean[0], mean[2]);
      out[k++] = tinyad_correlation(rows + 1, rows + 2, w, TINYAD_AXES, mean[1], mean[2]);
      continue;
    }
    for (int a = 0; a < TINYAD_AXES; ++a) {
      const T* axis = rows + a;
      T v = T(0);
      if (group == TINYAD_FEATURE_MEAN) {
        v = mean[a];
      } else if (has_mad && group == TINYAD_FEATURE_MAD) {
        // In place only as the last group: no later group reads the raw rows.
        const T mad = writable && g + 1 == r->n_groups
                          ? tinyad_mad_inplace(writable + a, w, TINYAD_AXES, T(r->mad_scale))
                          : tinyad_mad(axis, w, TINYAD_AXES, T(r->mad_scale), sort_buffer);
        v = scale_feature(mad);
      } else if (has_ptp && group == TINYAD_FEATURE_PTP) {
        T lo, hi;
        tinyad_min_max(axis, w, TINYAD_AXES, &lo, &hi);
        v = scale_feature(hi - lo);
      } else if (has_moments) {
        if (!have_moments[a]) {
          tinyad_central_moments(axis, w, TINYAD_AXES, mean[a], &moments[a][0], &moments[a][1], &moments[a][2]);
          have_moments[a] = true;
        }
        const T m2 = moments[a][0], m3 = moments[a][1], m4 = moments[a][2];
        const T sd = tinyad_sqrt(m2);
        if (group == TINYAD_FEATURE_STD) {
          v = scale_feature(sd);
        } else if (group == TINYAD_FEATURE_SKEW) {
          v = m2 > T(0) ? m3 / (m2 * sd) : T(0);
        } else if (group == TINYAD_FEATURE_KURT) {
          v = m2 > T(0) ? m4 / (m2 * m2) - T(3) : T(0);
        } else if (group == TINYAD_FEATURE_CREST) {
          T lo, hi;
          tinyad_min_max(axis, w, TINYAD_AXES, &lo, &hi);
          const T peak = tinyad_abs(hi - mean[a]) > tinyad_abs(lo - mean[a])
                             ? tinyad_abs(hi - mean[a])
                             : tinyad_abs(lo - mean[a]);
          v = sd > T(0) ? peak / sd : T(0);
        }
      }
      out[k++] = v;
    }
  }
  for (size_t i = 0; i < k; ++i)
    if (!tinyad_isfinite(out[i])) return TINYAD_STATUS_NOT_FINITE;
  return TINYAD_STATUS_OK;
}

/// Extracts the recipe's features from one window.
/// \param rows    (n_rows, 3) row-major x, y, z readings in g; only the first
///                r->window rows are read.
/// \param out     (out_cap,) receives tinyad_recipe_n_features(r) values.
/// \param scratch (scratch_cap,) at least tinyad_features_scratch_size(r).
/// \tparam Groups groups compiled in (TINYAD_GROUP_BIT mask); a recipe using
///                another group gets TINYAD_STATUS_BAD_RECIPE.
/// \tparam Prepared scratch holds tinyad_features_prepare()'s tables.
template <typename T, uint32_t Groups = TINYAD_GROUPS_ALL, bool Prepared = false>
inline tinyad_status tinyad_features_extract(const tinyad_recipe* r, const T* rows, size_t n_rows,
                                             T* out, size_t out_cap, T* scratch,
                                             size_t scratch_cap) {
  if (!scratch) return TINYAD_STATUS_NULL_ARGUMENT;
  return tinyad_features_extract_impl<T, Groups, true, Prepared>(r, rows, static_cast<T*>(nullptr), n_rows,
                                                       out, out_cap, scratch, scratch_cap);
}

/// As tinyad_features_extract(), with the same result, but may overwrite
/// `rows` (a device's full window buffer, refilled next anyway) to need less
/// scratch: tinyad_features_scratch_size_destructive(r), possibly 0 (scratch
/// may then be null). The per-window device path: it trusts the recipe to
/// have passed tinyad_recipe_check() once (`tinyad export` checks the ones it
/// writes; check a recipe from elsewhere at start-up).
template <typename T, uint32_t Groups = TINYAD_GROUPS_ALL, bool Prepared = false>
inline tinyad_status tinyad_features_extract_destructive(const tinyad_recipe* r, T* rows,
                                                         size_t n_rows, T* out, size_t out_cap,
                                                         T* scratch, size_t scratch_cap) {
  return tinyad_features_extract_impl<T, Groups, false, Prepared>(r, rows, rows, n_rows, out, out_cap,
                                                        scratch, scratch_cap);
}

#endif  // TINYAD_FEATURES_H
