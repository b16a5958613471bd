/* c_api_fixture.h: the synthetic recipe, models and readings that both
   c_api_test.c (through core/tinyad.h) and c_api_parity_test.cpp (through the
   C++ templates) score, so their printed results must agree bit for bit.
   Valid C99 and C++; integer arithmetic and plain float products only, so
   both languages make the same numbers. */
#ifndef TINYAD_C_API_FIXTURE_H
#define TINYAD_C_API_FIXTURE_H

#include <stddef.h>
#include <stdint.h>

#define CAPI_WINDOW 128
#define CAPI_N_WINDOWS 6
#define CAPI_HIDDEN 6
#define CAPI_LEARN_DIM 4
#define CAPI_N_LEARN 10
#define CAPI_N_CALIBRATE 5
#define CAPI_N_MONITOR 6

/* MEAN STD KURT CREST CORR BANDS(8) MAD -> 3 * 5 + 3 + 24 = 42 features;
   MAD last, log scaling on: most feature code paths. Fields in the order of
   struct tinyad_recipe (the same in C and C++). */
#define CAPI_RECIPE_INIT                                                   \
  {                                                                        \
    CAPI_WINDOW, 7, {0, 1, 4, 6, 7, 8, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0}, 8,   \
        {1, 9, 17, 25, 33, 41, 49, 57, 65, 0, 0, 0, 0, 0, 0, 0, 0,         \
         0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0},                  \
        1, 1e-4, 1.4826, 200.0                                                  \
  }
#define CAPI_N_FEATURES 42

/* A small LCG: the same sequence everywhere. */
static inline uint32_t capi_next(uint32_t* s) {
  *s = *s * 1664525u + 1013904223u;
  return *s;
}

/* Uniform in [-1, 1), exactly representable steps of 2^-23. */
static inline float capi_uniform(uint32_t* s) {
  return (float)((int32_t)(capi_next(s) >> 8) - (1 << 23)) * (1.0f / (float)(1 << 23));
}

/* Window k: noise whose amplitude grows with k (later windows look
   anomalous), z offset by 1 g of gravity. rows (CAPI_WINDOW, 3). */
static inline void capi_window(float* rows, int k) {
  uint32_t s = 1000u + (uint32_t)k;
  const float amp = 0.05f * (float)(1 + k * k);
  size_t i;
  for (i = 0; i < CAPI_WINDOW; ++i) {
    rows[3 * i + 0] = amp * capi_uniform(&s);
    rows[3 * i + 1] = 0.5f * amp * capi_uniform(&s);
    rows[3 * i + 2] = 1.0f + amp * capi_uniform(&s);
  }
}

/* Mahalanobis model: mean (n,), a symmetric diagonally dominant precision (n, n). */
static inline void capi_mahalanobis_model(float* mean, float* precision) {
  uint32_t s = 77u;
  size_t i, j;
  for (i = 0; i < CAPI_N_FEATURES; ++i) mean[i] = capi_uniform(&s);
  for (i = 0; i < CAPI_N_FEATURES; ++i)
    for (j = 0; j <= i; ++j) {
      const float v = i == j ? 2.0f + capi_uniform(&s) : 0.05f * capi_uniform(&s);
      precision[i * CAPI_N_FEATURES + j] = v;
      precision[j * CAPI_N_FEATURES + i] = v;
    }
}

/* Autoencoder 42 -> 6 (relu) -> 42 (linear): w0 (6, 42), b0 (6,), w1 (42, 6),
   b1 (42,), input mean and scale (42,) each. */
static inline void capi_autoencoder_model(float* w0, float* b0, float* w1, float* b1, float* in_mean,
                                          float* in_scale) {
  uint32_t s = 99u;
  size_t i;
  for (i = 0; i < CAPI_HIDDEN * CAPI_N_FEATURES; ++i) w0[i] = 0.3f * capi_uniform(&s);
  for (i = 0; i < CAPI_HIDDEN; ++i) b0[i] = 0.1f * capi_uniform(&s);
  for (i = 0; i < CAPI_N_FEATURES * CAPI_HIDDEN; ++i) w1[i] = 0.3f * capi_uniform(&s);
  for (i = 0; i < CAPI_N_FEATURES; ++i) b1[i] = 0.1f * capi_uniform(&s);
  for (i = 0; i < CAPI_N_FEATURES; ++i) in_mean[i] = capi_uniform(&s);
  for (i = 0; i < CAPI_N_FEATURES; ++i) in_scale[i] = 1.5f + capi_uniform(&s);
}

/* Learner input m: CAPI_LEARN_DIM correlated values; later ones (monitor
   phase) are shifted so some are anomalies. */
static inline void capi_learn_vector(float* x, int m) {
  uint32_t s = 5000u + (uint32_t)m;
  const float a = capi_uniform(&s), b = capi_uniform(&s), c = capi_uniform(&s), d = capi_uniform(&s);
  const float shift = m >= CAPI_N_LEARN + CAPI_N_CALIBRATE + 3 ? 3.0f : 0.0f;
  x[0] = a + shift;
  x[1] = 0.5f * a + b;
  x[2] = c - 0.25f * b;
  x[3] = d + 0.1f * a;
}

#endif /* TINYAD_C_API_FIXTURE_H */
