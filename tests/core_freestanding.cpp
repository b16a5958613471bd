// core_freestanding.cpp: instantiates every core template for float and
// double, compiled without a C++ runtime (see tests/CMakeLists.txt). Only
// extern "C" entry points so that nm shows exactly what the code needs.
#include "tinyad_commission.h"
#include "tinyad_dense.h"
#include "tinyad_features.h"
#include "tinyad_mahalanobis.h"

extern "C" {

int tinyad_check_features_f(const tinyad_recipe* r, const float* rows, size_t n, float* out, size_t cap,
                            float* scratch, size_t scap) {
  return tinyad_features_extract(r, rows, n, out, cap, scratch, scap);
}

int tinyad_check_features_d(const tinyad_recipe* r, const double* rows, size_t n, double* out, size_t cap,
                            double* scratch, size_t scap) {
  return tinyad_features_extract(r, rows, n, out, cap, scratch, scap);
}

int tinyad_check_mahalanobis_f(const tinyad_mahalanobis<float>* m, const float* x, size_t n, float* s) {
  return tinyad_mahalanobis_score(m, x, n, s);
}

int tinyad_check_mahalanobis_d(const tinyad_mahalanobis<double>* m, const double* x, size_t n, double* s) {
  return tinyad_mahalanobis_score(m, x, n, s);
}

int tinyad_check_autoencoder_f(const tinyad_autoencoder<float>* m, const float* x, size_t n, float* scratch,
                                size_t scap, float* s) {
  const int st = tinyad_autoencoder_check(m);
  return st ? st : tinyad_autoencoder_score(m, x, n, scratch, scap, s);
}

int tinyad_check_autoencoder_d(const tinyad_autoencoder<double>* m, const double* x, size_t n, double* scratch,
                                size_t scap, double* s) {
  const int st = tinyad_autoencoder_check(m);
  return st ? st : tinyad_autoencoder_score(m, x, n, scratch, scap, s);
}

int tinyad_check_dense_q8(const tinyad_dense_layer_q8* l, const int8_t* in, size_t n_in, int8_t* out, size_t n_out) {
  return tinyad_dense_forward_q8(l, in, n_in, out, n_out);
}

int8_t tinyad_check_quantize_f(float r, float scale, int32_t zp) { return tinyad_quantize_int8(r, scale, zp); }

// Commissioning: add, finalize, score and track, float and double.
#define TINYAD_CHECK_COMMISSION(T, suffix)                                                          \
  int tinyad_check_commission_##suffix(tinyad_commission<T>* c, const T* x, const T* fleet_sd, T* s) { \
    bool a = false;                                                                                 \
    int st = tinyad_commission_add(c, x);                                                           \
    if (!st) st = tinyad_commission_finalize(c, fleet_sd);                                          \
    if (!st) st = tinyad_commission_score(c, x, s, &a);                                             \
    return st ? st : int(tinyad_commission_track(c, x, *s)) + 2 * int(a);                           \
  }
TINYAD_CHECK_COMMISSION(float, f)
TINYAD_CHECK_COMMISSION(double, d)

const char* tinyad_check_status(int s) { return tinyad_status_str(tinyad_status(s)); }
}
