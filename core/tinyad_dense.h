// tinyad_dense.h: forward pass of a small dense autoencoder and its score
// (mean squared reconstruction error), in float/double and in int8 with the
// fixed-point arithmetic TensorFlow Lite (Micro) uses, so a model scores the
// same on the host, in a .tflite interpreter and on a microcontroller.
// Freestanding: no heap (models point at caller-owned const arrays, scratch
// comes from the caller), no exceptions, no <math.h>; only C headers.
#ifndef TINYAD_DENSE_H
#define TINYAD_DENSE_H

#include <stddef.h>
#include <stdint.h>

#include "tinyad_math.h"
#include "tinyad_status.h"

/// Activation after a dense layer. The values are TFLite's fused activation codes.
enum tinyad_activation {
  TINYAD_ACT_LINEAR = 0,
  TINYAD_ACT_RELU = 1,
};

template <typename T>
struct tinyad_dense_layer {
  size_t n_in, n_out;
  const T* weights;    // (n_out, n_in) row-major: TFLite's FULLY_CONNECTED layout
  const T* bias;       // (n_out,), or null for no bias
  uint8_t activation;  // tinyad_activation
};

/// out = act(W in + b). \param in (n_in,) \param out (n_out,), must not alias in.
template <typename T>
inline tinyad_status tinyad_dense_forward(const tinyad_dense_layer<T>* l, const T* in, size_t n_in, T* out,
                                          size_t n_out) {
  if (!l || !in || !out || !l->weights) return TINYAD_STATUS_NULL_ARGUMENT;
  if (n_in != l->n_in || n_out != l->n_out) return TINYAD_STATUS_SIZE_MISMATCH;
  for (size_t o = 0; o < n_out; ++o) {
    const T* w = l->weights + o * n_in;
    T acc = l->bias ? l->bias[o] : T(0);
    for (size_t i = 0; i < n_in; ++i) acc += w[i] * in[i];
    if (l->activation == TINYAD_ACT_RELU && acc < T(0)) acc = T(0);
    out[o] = acc;
  }
  return TINYAD_STATUS_OK;
}

/// A dense autoencoder: standardise the input, run the layers, compare.
template <typename T>
struct tinyad_autoencoder {
  size_t n_layers;
  const tinyad_dense_layer<T>* layers;  // (n_layers,); the last one's n_out equals the first's n_in
  const T* input_mean;                  // (n_features,), or null: no centring
  const T* input_scale;                 // (n_features,) standard deviations, or null: no scaling
};

/// Checks layer chaining and pointers once, at init; the score path trusts it.
template <typename T>
inline tinyad_status tinyad_autoencoder_check(const tinyad_autoencoder<T>* m) {
  if (!m || !m->layers || m->n_layers == 0) return TINYAD_STATUS_NULL_ARGUMENT;
  for (size_t k = 0; k < m->n_layers; ++k) {
    const tinyad_dense_layer<T>* l = &m->layers[k];
    if (!l->weights) return TINYAD_STATUS_NULL_ARGUMENT;
    if (l->n_in == 0 || l->n_out == 0) return TINYAD_STATUS_SIZE_MISMATCH;
    if (k > 0 && m->layers[k - 1].n_out != l->n_in) return TINYAD_STATUS_SIZE_MISMATCH;
    if (l->activation != TINYAD_ACT_LINEAR && l->activation != TINYAD_ACT_RELU) return TINYAD_STATUS_BAD_MODEL;
  }
  if (m->layers[m->n_layers - 1].n_out != m->layers[0].n_in) return TINYAD_STATUS_SIZE_MISMATCH;
  if (m->input_scale) {
    for (size_t i = 0; i < m->layers[0].n_in; ++i)
      if (!(m->input_scale[i] > T(0))) return TINYAD_STATUS_NOT_FINITE;
  }
  return TINYAD_STATUS_OK;
}

/// Width of the widest layer output (the ping-pong buffers' size).
template <typename T>
inline size_t tinyad_autoencoder_widest(const tinyad_autoencoder<T>* m) {
  size_t widest = m->layers[0].n_in;
  for (size_t k = 0; k < m->n_layers; ++k)
    if (m->layers[k].n_out > widest) widest = m->layers[k].n_out;
  return widest;
}

/// Scratch (in elements of T) that tinyad_autoencoder_score() needs: the
/// standardised input and the reconstruction (n each) plus two buffers of
/// the widest layer.
template <typename T>
inline size_t tinyad_autoencoder_scratch_size(const tinyad_autoencoder<T>* m) {
  return 2 * m->layers[0].n_in + 2 * tinyad_autoencoder_widest(m);
}

/// Reconstructs x: writes the standardised input to z and the network's
/// output (in standardised units) to y. \param z, y (n,) each.
/// \param scratch 2 * tinyad_autoencoder_widest(m) elements.
template <typename T>
inline tinyad_status tinyad_autoencoder_reconstruct(const tinyad_autoencoder<T>* m, const T* x, size_t n, T* z,
                                                    T* y, T* scratch, size_t scratch_n) {
  if (!m || !x || !z || !y || !scratch) return TINYAD_STATUS_NULL_ARGUMENT;
  if (n != m->layers[0].n_in) return TINYAD_STATUS_SIZE_MISMATCH;
  const size_t half = tinyad_autoencoder_widest(m);
  if (scratch_n < 2 * half) return TINYAD_STATUS_BUFFER_TOO_SMALL;
  for (size_t i = 0; i < n; ++i) {
    T v = m->input_mean ? x[i] - m->input_mean[i] : x[i];
    z[i] = m->input_scale ? v / m->input_scale[i] : v;
  }
  T* buf[2] = {scratch, scratch + half};
  const T* cur = z;
  size_t cur_n = n;
  for (size_t k = 0; k < m->n_layers; ++k) {
    const tinyad_dense_layer<T>* l = &m->layers[k];
    T* dst = (k + 1 == m->n_layers) ? y : buf[k & 1];
    const tinyad_status st = tinyad_dense_forward(l, cur, cur_n, dst, l->n_out);
    if (st != TINYAD_STATUS_OK) return st;
    cur = dst;
    cur_n = l->n_out;
  }
  return TINYAD_STATUS_OK;
}

/// Mean squared difference of two (n,) vectors.
template <typename T>
inline T tinyad_mse(const T* a, const T* b, size_t n) {
  T total = T(0);
  for (size_t i = 0; i < n; ++i) {
    const T d = a[i] - b[i];
    total += d * d;
  }
  return n ? total / T(n) : T(0);
}

/// Score of one feature vector: mean squared reconstruction error in
/// standardised units. \param x (n,) features from tinyad_features_extract().
/// \param scratch at least tinyad_autoencoder_scratch_size(m) elements.
template <typename T>
inline tinyad_status tinyad_autoencoder_score(const tinyad_autoencoder<T>* m, const T* x, size_t n, T* scratch,
                                              size_t scratch_n, T* score) {
  if (!m || !x || !scratch || !score) return TINYAD_STATUS_NULL_ARGUMENT;
  if (n != m->layers[0].n_in) return TINYAD_STATUS_SIZE_MISMATCH;
  if (scratch_n < tinyad_autoencoder_scratch_size(m)) return TINYAD_STATUS_BUFFER_TOO_SMALL;
  T* z = scratch;
  T* y = scratch + n;
  const tinyad_status st = tinyad_autoencoder_reconstruct(m, x, n, z, y, scratch + 2 * n, scratch_n - 2 * n);
  if (st != TINYAD_STATUS_OK) return st;
  const T s = tinyad_mse(z, y, n);
  if (!tinyad_isfinite(s)) return TINYAD_STATUS_NOT_FINITE;
  *score = s;
  return TINYAD_STATUS_OK;
}

// ---------------------------------------------------------------------------
// int8: TFLite's quantisation scheme. A real value r is stored as q with
// r = scale * (q - zero_point). Weights are symmetric (zero point 0), biases
// int32 with scale input_scale * weight_scale. The rescale of the int32
// accumulator to the output scale is a Q31 multiplier and a power-of-two
// shift, with the same rounding as TFLite, so results are bit-exact with it.

struct tinyad_dense_layer_q8 {
  size_t n_in, n_out;
  const int8_t* weights;      // (n_out, n_in) row-major, zero point 0
  const int32_t* bias;        // (n_out,), scale input_scale * weight_scale; or null
  int32_t input_zero_point;   // of the input tensor
  int32_t output_zero_point;  // of the output tensor
  int32_t multiplier;         // Q31 mantissa of input_scale * weight_scale / output_scale
  int32_t shift;              // its exponent: real = multiplier * 2^(shift - 31)
  int32_t act_min, act_max;   // output clamp (quantised), from the fused activation
};

/// Splits a positive real rescale factor into a Q31 mantissa and an exponent
/// (TFLite's QuantizeMultiplier). Zero or negative gives (0, 0).
inline void tinyad_quantize_multiplier(double real, int32_t* multiplier, int32_t* shift) {
  if (!(real > 0.0)) {
    *multiplier = 0;
    *shift = 0;
    return;
  }
  int32_t e = 0;
  double m = real;
  while (m >= 1.0) { m *= 0.5; ++e; }
  while (m < 0.5) { m *= 2.0; --e; }
  // Round half away from zero, as std::round does; m * 2^31 is positive.
  int64_t q = int64_t(m * 2147483648.0 + 0.5);
  if (q == (int64_t(1) << 31)) {
    q /= 2;
    ++e;
  }
  if (e < -31) {
    q = 0;
    e = 0;
  }
  *multiplier = int32_t(q);
  *shift = e;
}

/// round(a * b / 2^31) with ties away from zero, saturating the one overflow case.
inline int32_t tinyad_q31_high_mul(int32_t a, int32_t b) {
  if (a == b && a == INT32_MIN) return INT32_MAX;
  const int64_t ab = int64_t(a) * int64_t(b);
  const int64_t nudge = ab >= 0 ? (int64_t(1) << 30) : (1 - (int64_t(1) << 30));
  return int32_t((ab + nudge) / (int64_t(1) << 31));  // C++ division truncates toward zero
}

/// x / 2^exponent rounded to nearest, ties away from zero.
inline int32_t tinyad_rounding_shift_right(int32_t x, int32_t exponent) {
  const int32_t mask = int32_t((int64_t(1) << exponent) - 1);
  const int32_t remainder = x & mask;
  const int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

/// x * multiplier * 2^(shift - 31), TFLite's MultiplyByQuantizedMultiplier.
inline int32_t tinyad_multiply_by_quantized_multiplier(int32_t x, int32_t multiplier, int32_t shift) {
  const int32_t left = shift > 0 ? shift : 0;
  const int32_t right = shift > 0 ? 0 : -shift;
  return tinyad_rounding_shift_right(tinyad_q31_high_mul(int32_t(int64_t(x) * (int64_t(1) << left)), multiplier),
                                     right);
}

/// int8 dense layer. \param in (n_in,) \param out (n_out,), must not alias in.
inline tinyad_status tinyad_dense_forward_q8(const tinyad_dense_layer_q8* l, const int8_t* in, size_t n_in,
                                             int8_t* out, size_t n_out) {
  if (!l || !in || !out || !l->weights) return TINYAD_STATUS_NULL_ARGUMENT;
  if (n_in != l->n_in || n_out != l->n_out) return TINYAD_STATUS_SIZE_MISMATCH;
  for (size_t o = 0; o < n_out; ++o) {
    const int8_t* w = l->weights + o * n_in;
    int32_t acc = l->bias ? l->bias[o] : 0;
    for (size_t i = 0; i < n_in; ++i) acc += int32_t(w[i]) * (int32_t(in[i]) - l->input_zero_point);
    int32_t v = tinyad_multiply_by_quantized_multiplier(acc, l->multiplier, l->shift) + l->output_zero_point;
    if (v < l->act_min) v = l->act_min;
    if (v > l->act_max) v = l->act_max;
    out[o] = int8_t(v);
  }
  return TINYAD_STATUS_OK;
}

/// q = clamp(round(r / scale) + zero_point) to int8, rounding half away from
/// zero (TFLite's QUANTIZE). The division is in T, as in the reference kernel.
template <typename T>
inline int8_t tinyad_quantize_int8(T r, T scale, int32_t zero_point) {
  const T v = r / scale;
  if (!(v == v)) return int8_t(zero_point < -128 ? -128 : (zero_point > 127 ? 127 : zero_point));
  T limited = v;
  if (limited > T(1e6)) limited = T(1e6);  // keep the integer conversion defined
  if (limited < T(-1e6)) limited = T(-1e6);
  // Truncate, then look at the exact fraction: adding 0.5 first could round.
  int64_t rounded = int64_t(limited);
  const T frac = limited - T(rounded);
  if (frac >= T(0.5)) ++rounded;
  if (frac <= T(-0.5)) --rounded;
  int64_t q = rounded + zero_point;
  if (q < -128) q = -128;
  if (q > 127) q = 127;
  return int8_t(q);
}

/// r = scale * (q - zero_point) (TFLite's DEQUANTIZE).
template <typename T>
inline T tinyad_dequantize_int8(int8_t q, T scale, int32_t zero_point) {
  return scale * T(int32_t(q) - zero_point);
}

#endif  // TINYAD_DENSE_H
