/* tinyad.h: the scoring core for plain C (C99; ESP-IDF, Zephyr, any C
   firmware), in float. Every function here is one extern "C" entry point in
   core/tinyad_c.cpp, which calls the C++ templates of the other core headers:
   a C program gets the same bits as a C++ one. Structs mirror the templates'
   for T = float field by field (tinyad_c.cpp checks the layouts at compile
   time); the caller owns every buffer they point to. No heap, no C library:
   only <stdint.h>, <stddef.h>, <stdbool.h> and tinyad_status.h (plain C).
   Names end in _f (float) because C++ already uses the plain names for the
   templates. C++ code should use the templates; in C++ include this header
   alone, or after the core headers. */
#ifndef TINYAD_H
#define TINYAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tinyad_status.h" /* enum tinyad_status, tinyad_status_str() */

#ifdef __cplusplus
extern "C" {
#endif

/* The plain types tinyad_features.h, tinyad_dense.h and tinyad_online.h
   define for C++; identical here, skipped when those are already included. */
#ifndef TINYAD_FEATURES_H
#define TINYAD_AXES 3
#define TINYAD_MAX_GROUPS 16
#define TINYAD_MAX_BANDS 32

/* Feature groups (see tinyad_features.h for units). */
enum tinyad_feature_group {
  TINYAD_FEATURE_MEAN = 0,
  TINYAD_FEATURE_STD,
  TINYAD_FEATURE_MAD,
  TINYAD_FEATURE_SKEW,
  TINYAD_FEATURE_KURT,
  TINYAD_FEATURE_PTP,
  TINYAD_FEATURE_CREST,
  TINYAD_FEATURE_CORR,
  TINYAD_FEATURE_BANDS,
  TINYAD_FEATURE_BANDS_REL,
  TINYAD_FEATURE_GROUP_COUNT
};

/* How a window becomes features; plain data, can be const in flash. */
struct tinyad_recipe {
  uint16_t window;                           /* rows used */
  uint8_t n_groups;                          /* entries used in groups[] */
  uint8_t groups[TINYAD_MAX_GROUPS];         /* enum tinyad_feature_group, output order */
  uint8_t n_bands;                           /* bands per axis for BANDS / BANDS_REL */
  uint16_t band_edges[TINYAD_MAX_BANDS + 1]; /* FFT bins; band b = [edges[b], edges[b+1]) */
  uint8_t log_scale;                         /* 1: log(v + log_eps) of STD, MAD, PTP, bands */
  double log_eps;
  double mad_scale;                          /* 1.4826 */
  double rate_hz;                            /* Hz the device samples at; bands are bins of rate_hz / fft size */
};
#endif
#ifndef TINYAD_DENSE_H
enum tinyad_activation { TINYAD_ACT_LINEAR = 0, TINYAD_ACT_RELU = 1 };
#endif
#ifndef TINYAD_ONLINE_H
enum tinyad_learn_phase { TINYAD_PHASE_LEARN = 0, TINYAD_PHASE_CALIBRATE, TINYAD_PHASE_MONITOR };
#endif
typedef struct tinyad_recipe tinyad_recipe;

/* Mahalanobis baseline: tinyad_mahalanobis<float>. */
typedef struct tinyad_mahalanobis_f {
  size_t n;               /* features */
  const float* mean;      /* (n,) */
  const float* precision; /* (n, n) row-major inverse covariance */
} tinyad_mahalanobis_f;

/* One dense layer: tinyad_dense_layer<float>. */
typedef struct tinyad_dense_layer_f {
  size_t n_in, n_out;
  const float* weights; /* (n_out, n_in) row-major */
  const float* bias;    /* (n_out,), or null */
  uint8_t activation;   /* enum tinyad_activation */
} tinyad_dense_layer_f;

/* Dense autoencoder: tinyad_autoencoder<float>. */
typedef struct tinyad_autoencoder_f {
  size_t n_layers;
  const tinyad_dense_layer_f* layers; /* (n_layers,) */
  const float* input_mean;            /* (n_features,), or null */
  const float* input_scale;           /* (n_features,), or null */
} tinyad_autoencoder_f;

/* Window buffer: tinyad_window<float>. */
typedef struct tinyad_window_f {
  float* rows;     /* (capacity, 3) row-major x, y, z in g, caller-owned */
  size_t capacity; /* rows per window */
  size_t count;    /* rows filled so far */
} tinyad_window_f;

/* What one window got: tinyad_verdict<float>. */
typedef struct tinyad_verdict_f {
  float score;               /* valid when status is TINYAD_STATUS_OK */
  bool anomaly;              /* score > threshold */
  enum tinyad_status status; /* NOT_READY until the window is full */
} tinyad_verdict_f;

/* tinyad_mahalanobis_detector<float>. */
typedef struct tinyad_mahalanobis_detector_f {
  const tinyad_recipe* recipe; /* passed tinyad_recipe_check_f() */
  tinyad_mahalanobis_f model;
  float threshold;             /* anomaly when score > threshold */
  float* features;             /* (model.n,) */
  float* scratch;              /* tinyad_features_scratch_size_destructive_f() values; null if 0 */
  size_t scratch_cap;
} tinyad_mahalanobis_detector_f;

/* tinyad_autoencoder_detector<float>. */
typedef struct tinyad_autoencoder_detector_f {
  const tinyad_recipe* recipe;
  const tinyad_autoencoder_f* net; /* passed tinyad_autoencoder_check_f() */
  float threshold;
  float* features; /* (n_features,) */
  size_t n_features;
  float* scratch;  /* tinyad_features_scratch_size_destructive_f() values; null if 0 */
  size_t scratch_cap;
  float* net_scratch; /* tinyad_autoencoder_scratch_size_f() values */
  size_t net_scratch_cap;
} tinyad_autoencoder_detector_f;

/* Running mean and co-moments: tinyad_online_cov<float>. */
typedef struct tinyad_online_cov_f {
  size_t n;
  uint32_t count;
  float* mean; /* (n,) */
  float* m2;   /* (n, n) */
} tinyad_online_cov_f;

/* Commissioning a mounting: tinyad_commission<float> (tinyad_commission.h). */
#ifndef TINYAD_COMMISSION_H
#ifndef TINYAD_COMMISSION_MAX_FEATURES
#define TINYAD_COMMISSION_MAX_FEATURES 64 /* the default recipe has 60 */
#endif
enum tinyad_commission_phase { TINYAD_COMMISSION_LEARNING = 0, TINYAD_COMMISSION_MONITORING };
#endif
typedef struct tinyad_commission_params_f {
  uint32_t windows;  /* K, windows to commission on (>= 3) */
  float sd_floor;    /* sd floor as a fraction of the fleet sd per feature */
  float margin;      /* threshold = margin * max leave-one-out score */
  float track_rate;  /* mean += track_rate * (x - mean) on a tracked window */
  float track_below; /* track only windows with score <= track_below * threshold */
  float track_bound; /* |mean - commissioned mean| <= track_bound * sd */
} tinyad_commission_params_f;
typedef struct tinyad_commission_f {
  tinyad_commission_params_f params;
  uint32_t n;       /* features */
  uint32_t count;   /* commissioning windows added so far */
  uint8_t phase;    /* enum tinyad_commission_phase */
  uint32_t tracked; /* monitoring windows the mean followed */
  float* windows;   /* caller-owned (params.windows * n), used while learning */
  float mean[TINYAD_COMMISSION_MAX_FEATURES];
  float m2[TINYAD_COMMISSION_MAX_FEATURES];
  float origin[TINYAD_COMMISSION_MAX_FEATURES];
  float sd[TINYAD_COMMISSION_MAX_FEATURES];
  float threshold; /* monitoring: anomalous when score > threshold */
} tinyad_commission_f;
/* Learn -> calibrate -> monitor on the device: tinyad_learner<float>. */
typedef struct tinyad_learner_f {
  tinyad_online_cov_f cov;
  tinyad_mahalanobis_f model;
  float* precision; /* (n, n) caller-owned */
  uint32_t n_learn, n_calibrate;
  float sd_factor;
  uint8_t phase; /* enum tinyad_learn_phase */
  uint32_t n_scores;
  float score_mean, score_m2;
  float threshold; /* set when calibration ends */
} tinyad_learner_f;

/* Recipe: check once at start-up (exported recipes pass). */
enum tinyad_status tinyad_recipe_check_f(const tinyad_recipe* r);
/* Length of the feature vector. */
size_t tinyad_recipe_n_features_f(const tinyad_recipe* r);
/* Scratch values (floats) tinyad_features_extract_f() needs. */
size_t tinyad_features_scratch_size_f(const tinyad_recipe* r);
/* Scratch values tinyad_features_extract_destructive_f() needs (may be 0). */
size_t tinyad_features_scratch_size_destructive_f(const tinyad_recipe* r);
/* Fills the Hann window and FFT twiddles into scratch once; then pass
   prepared = true with the same scratch (same bits, fewer sin/cos). */
enum tinyad_status tinyad_features_prepare_f(const tinyad_recipe* r, float* scratch, size_t scratch_cap);

/* Features of one window. rows (n_rows, 3) row-major in g; out (out_cap,)
   gets tinyad_recipe_n_features_f() values; scratch (scratch_cap,). */
enum tinyad_status tinyad_features_extract_f(const tinyad_recipe* r, const float* rows, size_t n_rows, float* out,
                                             size_t out_cap, float* scratch, size_t scratch_cap, bool prepared);
/* Same result, may overwrite rows; trusts a checked recipe. */
enum tinyad_status tinyad_features_extract_destructive_f(const tinyad_recipe* r, float* rows, size_t n_rows,
                                                         float* out, size_t out_cap, float* scratch,
                                                         size_t scratch_cap, bool prepared);

/* Squared Mahalanobis distance of x (n,). */
enum tinyad_status tinyad_mahalanobis_score_f(const tinyad_mahalanobis_f* m, const float* x, size_t n,
                                              float* score);

/* Autoencoder: check once, then score x (n,) by mean squared reconstruction
   error; scratch (scratch_n,) at least tinyad_autoencoder_scratch_size_f(). */
enum tinyad_status tinyad_autoencoder_check_f(const tinyad_autoencoder_f* m);
size_t tinyad_autoencoder_scratch_size_f(const tinyad_autoencoder_f* m);
enum tinyad_status tinyad_autoencoder_score_f(const tinyad_autoencoder_f* m, const float* x, size_t n,
                                              float* scratch, size_t scratch_n, float* score);

/* Window buffer: push returns true when the window is full (score it; the
   verdict resets it). rows (capacity, 3) caller-owned. */
void tinyad_window_init_f(tinyad_window_f* w, float* rows, size_t capacity);
bool tinyad_window_push_f(tinyad_window_f* w, float x, float y, float z);
void tinyad_window_reset_f(tinyad_window_f* w);

/* Verdict on a full window (NOT_READY before), window reset after; its rows
   are overwritten. prepared: the detector's scratch holds
   tinyad_features_prepare_f()'s tables. */
tinyad_verdict_f tinyad_mahalanobis_window_verdict_f(const tinyad_mahalanobis_detector_f* d, tinyad_window_f* w,
                                                     bool prepared);
tinyad_verdict_f tinyad_autoencoder_window_verdict_f(const tinyad_autoencoder_detector_f* d, tinyad_window_f* w,
                                                     bool prepared);

/* On-device learning. mean (n,), m2 (n, n), precision (n, n) caller-owned. */
void tinyad_learner_init_f(tinyad_learner_f* l, size_t n, float* mean, float* m2, float* precision,
                           uint32_t n_learn, uint32_t n_calibrate, float sd_factor);
/* Feeds one window's features x (n,); *score set when calibrating or
   monitoring, *anomaly only when monitoring. */
enum tinyad_status tinyad_learner_add_f(tinyad_learner_f* l, const float* x, float* score, bool* anomaly);

/* Commissioning (docs/commissioning.md): the measured default settings
   (K = 30). */
tinyad_commission_params_f tinyad_commission_default_params_f(void);
/* Starts (or restarts) commissioning n features; windows: caller-owned
   params->windows * n values, kept until finalize. */
enum tinyad_status tinyad_commission_reset_f(tinyad_commission_f* c, size_t n, const tinyad_commission_params_f* params,
                                             float* windows);
/* Adds one commissioning window's features (n,); NOT_READY once K are in. */
enum tinyad_status tinyad_commission_add_f(tinyad_commission_f* c, const float* x);
/* Ends commissioning: floored sd, leave-one-out threshold, then monitoring.
   fleet_sd (n,): the fleet model's per-feature sd (tinyad_model_fleet_sd). */
enum tinyad_status tinyad_commission_finalize_f(tinyad_commission_f* c, const float* fleet_sd);
/* Scores one window's features against the own baseline. */
enum tinyad_status tinyad_commission_score_f(const tinyad_commission_f* c, const float* x, float* score,
                                             bool* anomaly);
/* Follows slow drift from a window scored well inside the threshold; true
   when the mean moved. */
bool tinyad_commission_track_f(tinyad_commission_f* c, const float* x, float score);

#ifdef __cplusplus
}
#endif

#endif /* TINYAD_H */
