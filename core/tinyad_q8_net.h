// tinyad_q8_net.h: scoring with the int8 (quantised) autoencoder on a device:
// standardise the features, quantise them as TFLite's QUANTIZE does, run the
// int8 dense layers (tinyad_dense_forward_q8), dequantise the output and take
// the mean squared error against the standardised input. Same arithmetic as
// the host's int8 .tflite path. No heap; scratch is the caller's.
#ifndef TINYAD_Q8_NET_H
#define TINYAD_Q8_NET_H

#include <stddef.h>
#include <stdint.h>

#include "tinyad_dense.h"
#include "tinyad_status.h"

struct tinyad_q8_network {
  size_t n_layers;
  const tinyad_dense_layer_q8* layers;  // chained: layers[k].n_out == layers[k+1].n_in
  float input_scale;                    // of the first layer's input tensor
  int32_t input_zero_point;
  float output_scale;                   // of the last layer's output tensor
  int32_t output_zero_point;
};

/// int8 values of scratch tinyad_q8_score() needs: two buffers of the widest layer.
inline size_t tinyad_q8_scratch_size(const tinyad_q8_network* net) {
  size_t widest = net->layers[0].n_in;
  for (size_t k = 0; k < net->n_layers; ++k)
    if (net->layers[k].n_out > widest) widest = net->layers[k].n_out;
  return 2 * widest;
}

/// Score of one feature vector x (n,). \param z (n,) receives the
/// standardised input; \param q (q_cap,) int8 scratch.
template <typename T>
inline tinyad_status tinyad_q8_score(const tinyad_q8_network* net, const T* input_mean, const T* input_scale,
                                     const T* x, size_t n, T* z, int8_t* q, size_t q_cap, T* score) {
  if (!net || !net->layers || !x || !z || !q || !score) return TINYAD_STATUS_NULL_ARGUMENT;
  if (n != net->layers[0].n_in || net->layers[net->n_layers - 1].n_out != n) return TINYAD_STATUS_SIZE_MISMATCH;
  const size_t half = q_cap / 2;
  if (q_cap < tinyad_q8_scratch_size(net)) return TINYAD_STATUS_BUFFER_TOO_SMALL;
  int8_t* buf[2] = {q, q + half};
  for (size_t i = 0; i < n; ++i) {
    const T v = input_mean ? x[i] - input_mean[i] : x[i];
    z[i] = input_scale ? v / input_scale[i] : v;
    buf[0][i] = tinyad_quantize_int8(z[i], T(net->input_scale), net->input_zero_point);
  }
  size_t cur = 0;
  for (size_t k = 0; k < net->n_layers; ++k) {
    const tinyad_dense_layer_q8* l = &net->layers[k];
    const tinyad_status st = tinyad_dense_forward_q8(l, buf[cur], l->n_in, buf[cur ^ 1], l->n_out);
    if (st != TINYAD_STATUS_OK) return st;
    cur ^= 1;
  }
  T total = T(0);
  for (size_t i = 0; i < n; ++i) {
    const T d = z[i] - tinyad_dequantize_int8(buf[cur][i], T(net->output_scale), net->output_zero_point);
    total += d * d;
  }
  *score = total / T(n);
  if (!tinyad_isfinite(*score)) return TINYAD_STATUS_NOT_FINITE;
  return TINYAD_STATUS_OK;
}

#endif  // TINYAD_Q8_NET_H
