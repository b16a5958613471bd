// tinyad_fft.h: a small in-place radix-2 complex FFT, enough for band
// energies of one window on a microcontroller. No heap, no tables: the caller
// passes a twiddle buffer that tinyad_fft_twiddles() fills once per size.
#ifndef TINYAD_FFT_H
#define TINYAD_FFT_H

#include <stddef.h>

#include "tinyad_math.h"

/// True when n is a power of two (n >= 1).
inline bool tinyad_is_pow2(size_t n) { return n != 0 && (n & (n - 1)) == 0; }

/// Smallest power of two >= n.
inline size_t tinyad_next_pow2(size_t n) {
  size_t p = 1;
  while (p < n) p <<= 1;
  return p;
}

/// Fills twiddles for an n-point FFT: tw[2j] = cos(2 pi j / n),
/// tw[2j+1] = -sin(2 pi j / n), j in [0, n/2).
/// \param tw (n/2, 2) interleaved re/im, caller-owned.
template <typename T>
inline void tinyad_fft_twiddles(T* tw, size_t n) {
  const T two_pi = T(6.28318530717958647692);
  for (size_t j = 0; j < n / 2; ++j) {
    T s, c;
    tinyad_sincos(two_pi * T(j) / T(n), &s, &c);
    tw[2 * j] = c;
    tw[2 * j + 1] = -s;
  }
}

/// The bit reverse (log2(n) bits) of i + 1, given j, the bit reverse of i:
/// the reversed counter of the FFT's permutation. n a power of two.
inline size_t tinyad_bit_reversed_next(size_t j, size_t n) {
  size_t bit = n >> 1;
  for (; j & bit; bit >>= 1) j ^= bit;
  return j ^ bit;
}

/// The butterflies of tinyad_fft() alone: `data` must already be in
/// bit-reversed order (a caller filling the buffer can write it so and skip
/// the permutation pass; the arithmetic is the same).
template <typename T>
inline void tinyad_fft_butterflies(T* data, const T* tw, size_t n);

/// Forward FFT in place, X_k = sum_n x_n exp(-2 pi i k n / N) as numpy.fft.
/// \param data (n, 2) interleaved re/im; n a power of two.
/// \param tw   twiddles from tinyad_fft_twiddles(tw, n).
template <typename T>
inline void tinyad_fft(T* data, const T* tw, size_t n) {
  // Bit-reversal permutation.
  for (size_t i = 1, j = 0; i < n; ++i) {
    j = tinyad_bit_reversed_next(j, n);
    if (i < j) {
      T tr = data[2 * i], ti = data[2 * i + 1];
      data[2 * i] = data[2 * j];
      data[2 * i + 1] = data[2 * j + 1];
      data[2 * j] = tr;
      data[2 * j + 1] = ti;
    }
  }
  tinyad_fft_butterflies(data, tw, n);
}

template <typename T>
inline void tinyad_fft_butterflies(T* data, const T* tw, size_t n) {
  // Butterflies: len is the size of the sub-transforms being merged.
  for (size_t len = 2; len <= n; len <<= 1) {
    const size_t half = len / 2;
    const size_t step = n / len;  // twiddle stride for this stage
    for (size_t start = 0; start < n; start += len) {
      for (size_t k = 0; k < half; ++k) {
        const T wr = tw[2 * k * step], wi = tw[2 * k * step + 1];
        T* a = data + 2 * (start + k);
        T* b = data + 2 * (start + k + half);
        const T br = b[0] * wr - b[1] * wi;
        const T bi = b[0] * wi + b[1] * wr;
        b[0] = a[0] - br;
        b[1] = a[1] - bi;
        a[0] += br;
        a[1] += bi;
      }
    }
  }
}

#endif  // TINYAD_FFT_H
