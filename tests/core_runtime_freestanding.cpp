// core_runtime_freestanding.cpp: instantiates the device runtime (window
// buffer, verdict, on-device learning, int8 network score) for float and
// double without a C++ runtime, next to core_freestanding.cpp, so the nm
// check covers it too.
#include "tinyad_online.h"
#include "tinyad_q8_net.h"
#include "tinyad_window.h"

extern "C" {

int tinyad_check_window_verdict_f(const tinyad_mahalanobis_detector<float>* d, tinyad_window<float>* w,
                                  float* score) {
  const tinyad_verdict<float> v = tinyad_mahalanobis_window_verdict(d, w);
  *score = v.score;
  return v.status;
}

bool tinyad_check_window_push_f(tinyad_window<float>* w, float x, float y, float z) {
  return tinyad_window_push(w, x, y, z);
}

int tinyad_check_learner_f(tinyad_learner<float>* l, const float* x, float* s, bool* a) {
  return tinyad_learner_add(l, x, s, a);
}

int tinyad_check_q8_score_f(const tinyad_q8_network* n, const float* mean, const float* scale, const float* x,
                            size_t len, float* z, int8_t* q, size_t qcap, float* s) {
  return tinyad_q8_score(n, mean, scale, x, len, z, q, qcap, s);
}

int tinyad_check_learner_d(tinyad_learner<double>* l, const double* x, double* s, bool* a) {
  return tinyad_learner_add(l, x, s, a);
}
}
