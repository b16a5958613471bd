// core_freestanding.cpp: instantiates every core template for float and
// double, compiled without a C++ runtime (see tests/CMakeLists.txt). Only
// extern "C" entry points so that nm shows exactly what the code needs.
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

const char* tinyad_check_status(int s) { return tinyad_status_str(tinyad_status(s)); }
}
