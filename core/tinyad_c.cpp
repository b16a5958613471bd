// tinyad_c.cpp: the C API of core/tinyad.h, each function one call of the
// float template it names, so C firmware scores with the same code (and the
// same bits) as C++. Freestanding like the rest of core/: no heap, no
// exceptions, no C++ library; tests/CMakeLists.txt checks it needs no symbol
// from outside. The C feature code is the full one (all groups built in),
// unlike a C++ device build that passes its model's TINYAD_MODEL_GROUPS.
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tinyad_status.h"

// The C declarations, compiled as C++ inside a namespace so that their
// structs and enums are distinct types here that can be compared with the
// templates' below (a C program sees exactly these definitions).
namespace tinyad_c {
#include "tinyad.h"
}

#include "tinyad_commission.h"
#include "tinyad_dense.h"
#include "tinyad_features.h"
#include "tinyad_mahalanobis.h"
#include "tinyad_online.h"
#include "tinyad_window.h"

namespace {

// Same size, alignment and field offsets: a pointer to the C struct can be
// used as a pointer to the template struct.
#define TINYAD_SAME_FIELD(C, CPP, f) static_assert(offsetof(C, f) == offsetof(CPP, f), #C "." #f)
#define TINYAD_SAME_SIZE(C, CPP) \
  static_assert(sizeof(C) == sizeof(CPP) && alignof(C) == alignof(CPP), #C " differs from " #CPP)

using c_recipe = tinyad_c::tinyad_recipe;
TINYAD_SAME_SIZE(c_recipe, tinyad_recipe);
TINYAD_SAME_FIELD(c_recipe, tinyad_recipe, window);
TINYAD_SAME_FIELD(c_recipe, tinyad_recipe, n_groups);
TINYAD_SAME_FIELD(c_recipe, tinyad_recipe, groups);
TINYAD_SAME_FIELD(c_recipe, tinyad_recipe, n_bands);
TINYAD_SAME_FIELD(c_recipe, tinyad_recipe, band_edges);
TINYAD_SAME_FIELD(c_recipe, tinyad_recipe, log_scale);
TINYAD_SAME_FIELD(c_recipe, tinyad_recipe, log_eps);
TINYAD_SAME_FIELD(c_recipe, tinyad_recipe, mad_scale);
TINYAD_SAME_FIELD(c_recipe, tinyad_recipe, rate_hz);
static_assert(sizeof(c_recipe::groups) == sizeof(tinyad_recipe::groups) &&
                  sizeof(c_recipe::band_edges) == sizeof(tinyad_recipe::band_edges),
              "recipe array sizes differ");

// Enum values a C program writes into recipes, layers and reads from learners.
static_assert(int(tinyad_c::TINYAD_FEATURE_MEAN) == TINYAD_FEATURE_MEAN &&
                  int(tinyad_c::TINYAD_FEATURE_STD) == TINYAD_FEATURE_STD &&
                  int(tinyad_c::TINYAD_FEATURE_MAD) == TINYAD_FEATURE_MAD &&
                  int(tinyad_c::TINYAD_FEATURE_SKEW) == TINYAD_FEATURE_SKEW &&
                  int(tinyad_c::TINYAD_FEATURE_KURT) == TINYAD_FEATURE_KURT &&
                  int(tinyad_c::TINYAD_FEATURE_PTP) == TINYAD_FEATURE_PTP &&
                  int(tinyad_c::TINYAD_FEATURE_CREST) == TINYAD_FEATURE_CREST &&
                  int(tinyad_c::TINYAD_FEATURE_CORR) == TINYAD_FEATURE_CORR &&
                  int(tinyad_c::TINYAD_FEATURE_BANDS) == TINYAD_FEATURE_BANDS &&
                  int(tinyad_c::TINYAD_FEATURE_BANDS_REL) == TINYAD_FEATURE_BANDS_REL &&
                  int(tinyad_c::TINYAD_FEATURE_GROUP_COUNT) == TINYAD_FEATURE_GROUP_COUNT,
              "feature group codes differ");
static_assert(int(tinyad_c::TINYAD_ACT_LINEAR) == TINYAD_ACT_LINEAR &&
                  int(tinyad_c::TINYAD_ACT_RELU) == TINYAD_ACT_RELU,
              "activation codes differ");
static_assert(int(tinyad_c::TINYAD_PHASE_LEARN) == TINYAD_PHASE_LEARN &&
                  int(tinyad_c::TINYAD_PHASE_CALIBRATE) == TINYAD_PHASE_CALIBRATE &&
                  int(tinyad_c::TINYAD_PHASE_MONITOR) == TINYAD_PHASE_MONITOR,
              "learner phase codes differ");

using c_mahalanobis = tinyad_c::tinyad_mahalanobis_f;
TINYAD_SAME_SIZE(c_mahalanobis, tinyad_mahalanobis<float>);
TINYAD_SAME_FIELD(c_mahalanobis, tinyad_mahalanobis<float>, n);
TINYAD_SAME_FIELD(c_mahalanobis, tinyad_mahalanobis<float>, mean);
TINYAD_SAME_FIELD(c_mahalanobis, tinyad_mahalanobis<float>, precision);

using c_layer = tinyad_c::tinyad_dense_layer_f;
TINYAD_SAME_SIZE(c_layer, tinyad_dense_layer<float>);
TINYAD_SAME_FIELD(c_layer, tinyad_dense_layer<float>, n_in);
TINYAD_SAME_FIELD(c_layer, tinyad_dense_layer<float>, n_out);
TINYAD_SAME_FIELD(c_layer, tinyad_dense_layer<float>, weights);
TINYAD_SAME_FIELD(c_layer, tinyad_dense_layer<float>, bias);
TINYAD_SAME_FIELD(c_layer, tinyad_dense_layer<float>, activation);

using c_autoencoder = tinyad_c::tinyad_autoencoder_f;
TINYAD_SAME_SIZE(c_autoencoder, tinyad_autoencoder<float>);
TINYAD_SAME_FIELD(c_autoencoder, tinyad_autoencoder<float>, n_layers);
TINYAD_SAME_FIELD(c_autoencoder, tinyad_autoencoder<float>, layers);
TINYAD_SAME_FIELD(c_autoencoder, tinyad_autoencoder<float>, input_mean);
TINYAD_SAME_FIELD(c_autoencoder, tinyad_autoencoder<float>, input_scale);

using c_window = tinyad_c::tinyad_window_f;
TINYAD_SAME_SIZE(c_window, tinyad_window<float>);
TINYAD_SAME_FIELD(c_window, tinyad_window<float>, rows);
TINYAD_SAME_FIELD(c_window, tinyad_window<float>, capacity);
TINYAD_SAME_FIELD(c_window, tinyad_window<float>, count);

using c_verdict = tinyad_c::tinyad_verdict_f;
TINYAD_SAME_SIZE(c_verdict, tinyad_verdict<float>);
TINYAD_SAME_FIELD(c_verdict, tinyad_verdict<float>, score);
TINYAD_SAME_FIELD(c_verdict, tinyad_verdict<float>, anomaly);
TINYAD_SAME_FIELD(c_verdict, tinyad_verdict<float>, status);

using c_mdet = tinyad_c::tinyad_mahalanobis_detector_f;
using t_mdet = tinyad_mahalanobis_detector<float>;
TINYAD_SAME_SIZE(c_mdet, t_mdet);
TINYAD_SAME_FIELD(c_mdet, t_mdet, recipe);
TINYAD_SAME_FIELD(c_mdet, t_mdet, model);
TINYAD_SAME_FIELD(c_mdet, t_mdet, threshold);
TINYAD_SAME_FIELD(c_mdet, t_mdet, features);
TINYAD_SAME_FIELD(c_mdet, t_mdet, scratch);
TINYAD_SAME_FIELD(c_mdet, t_mdet, scratch_cap);

using c_adet = tinyad_c::tinyad_autoencoder_detector_f;
using t_adet = tinyad_autoencoder_detector<float>;
TINYAD_SAME_SIZE(c_adet, t_adet);
TINYAD_SAME_FIELD(c_adet, t_adet, recipe);
TINYAD_SAME_FIELD(c_adet, t_adet, net);
TINYAD_SAME_FIELD(c_adet, t_adet, threshold);
TINYAD_SAME_FIELD(c_adet, t_adet, features);
TINYAD_SAME_FIELD(c_adet, t_adet, n_features);
TINYAD_SAME_FIELD(c_adet, t_adet, scratch);
TINYAD_SAME_FIELD(c_adet, t_adet, scratch_cap);
TINYAD_SAME_FIELD(c_adet, t_adet, net_scratch);
TINYAD_SAME_FIELD(c_adet, t_adet, net_scratch_cap);

using c_cov = tinyad_c::tinyad_online_cov_f;
TINYAD_SAME_SIZE(c_cov, tinyad_online_cov<float>);
TINYAD_SAME_FIELD(c_cov, tinyad_online_cov<float>, n);
TINYAD_SAME_FIELD(c_cov, tinyad_online_cov<float>, count);
TINYAD_SAME_FIELD(c_cov, tinyad_online_cov<float>, mean);
TINYAD_SAME_FIELD(c_cov, tinyad_online_cov<float>, m2);

using c_learner = tinyad_c::tinyad_learner_f;
using t_learner = tinyad_learner<float>;
TINYAD_SAME_SIZE(c_learner, t_learner);
TINYAD_SAME_FIELD(c_learner, t_learner, cov);
TINYAD_SAME_FIELD(c_learner, t_learner, model);
TINYAD_SAME_FIELD(c_learner, t_learner, precision);
TINYAD_SAME_FIELD(c_learner, t_learner, n_learn);
TINYAD_SAME_FIELD(c_learner, t_learner, n_calibrate);
TINYAD_SAME_FIELD(c_learner, t_learner, sd_factor);
TINYAD_SAME_FIELD(c_learner, t_learner, phase);
TINYAD_SAME_FIELD(c_learner, t_learner, n_scores);
TINYAD_SAME_FIELD(c_learner, t_learner, score_mean);
TINYAD_SAME_FIELD(c_learner, t_learner, score_m2);
TINYAD_SAME_FIELD(c_learner, t_learner, threshold);

using c_commission_params = tinyad_c::tinyad_commission_params_f;
using t_commission_params = tinyad_commission_params<float>;
TINYAD_SAME_SIZE(c_commission_params, t_commission_params);
TINYAD_SAME_FIELD(c_commission_params, t_commission_params, windows);
TINYAD_SAME_FIELD(c_commission_params, t_commission_params, sd_floor);
TINYAD_SAME_FIELD(c_commission_params, t_commission_params, margin);
TINYAD_SAME_FIELD(c_commission_params, t_commission_params, track_rate);
TINYAD_SAME_FIELD(c_commission_params, t_commission_params, track_below);
TINYAD_SAME_FIELD(c_commission_params, t_commission_params, track_bound);
using c_commission = tinyad_c::tinyad_commission_f;
using t_commission = tinyad_commission<float>;
TINYAD_SAME_SIZE(c_commission, t_commission);
TINYAD_SAME_FIELD(c_commission, t_commission, params);
TINYAD_SAME_FIELD(c_commission, t_commission, n);
TINYAD_SAME_FIELD(c_commission, t_commission, count);
TINYAD_SAME_FIELD(c_commission, t_commission, phase);
TINYAD_SAME_FIELD(c_commission, t_commission, tracked);
TINYAD_SAME_FIELD(c_commission, t_commission, windows);
TINYAD_SAME_FIELD(c_commission, t_commission, mean);
TINYAD_SAME_FIELD(c_commission, t_commission, m2);
TINYAD_SAME_FIELD(c_commission, t_commission, origin);
TINYAD_SAME_FIELD(c_commission, t_commission, sd);
TINYAD_SAME_FIELD(c_commission, t_commission, threshold);
static_assert(int(tinyad_c::TINYAD_COMMISSION_LEARNING) == TINYAD_COMMISSION_LEARNING &&
                  int(tinyad_c::TINYAD_COMMISSION_MONITORING) == TINYAD_COMMISSION_MONITORING,
              "commissioning phase codes differ");

#undef TINYAD_SAME_FIELD
#undef TINYAD_SAME_SIZE


// The C struct seen as its template twin (layouts checked above).
inline const tinyad_recipe* cpp(const c_recipe* p) { return reinterpret_cast<const tinyad_recipe*>(p); }
inline const tinyad_mahalanobis<float>* cpp(const c_mahalanobis* p) {
  return reinterpret_cast<const tinyad_mahalanobis<float>*>(p);
}
inline const tinyad_autoencoder<float>* cpp(const c_autoencoder* p) {
  return reinterpret_cast<const tinyad_autoencoder<float>*>(p);
}
inline tinyad_window<float>* cpp(c_window* p) { return reinterpret_cast<tinyad_window<float>*>(p); }
inline const t_mdet* cpp(const c_mdet* p) { return reinterpret_cast<const t_mdet*>(p); }
inline const t_adet* cpp(const c_adet* p) { return reinterpret_cast<const t_adet*>(p); }
inline t_learner* cpp(c_learner* p) { return reinterpret_cast<t_learner*>(p); }
inline t_commission* cpp(c_commission* p) { return reinterpret_cast<t_commission*>(p); }
inline const t_commission* cpp(const c_commission* p) { return reinterpret_cast<const t_commission*>(p); }
inline const t_commission_params* cpp(const c_commission_params* p) {
  return reinterpret_cast<const t_commission_params*>(p);
}

inline c_verdict to_c(const tinyad_verdict<float>& v) {
  c_verdict out;
  out.score = v.score;
  out.anomaly = v.anomaly;
  out.status = v.status;
  return out;
}

}  // namespace

namespace tinyad_c {
extern "C" {

tinyad_status tinyad_recipe_check_f(const tinyad_recipe* r) { return ::tinyad_recipe_check(cpp(r)); }

size_t tinyad_recipe_n_features_f(const tinyad_recipe* r) { return ::tinyad_recipe_n_features(cpp(r)); }

size_t tinyad_features_scratch_size_f(const tinyad_recipe* r) { return ::tinyad_features_scratch_size(cpp(r)); }

size_t tinyad_features_scratch_size_destructive_f(const tinyad_recipe* r) {
  return ::tinyad_features_scratch_size_destructive(cpp(r));
}

tinyad_status tinyad_features_prepare_f(const tinyad_recipe* r, float* scratch, size_t scratch_cap) {
  return ::tinyad_features_prepare(cpp(r), scratch, scratch_cap);
}

tinyad_status tinyad_features_extract_f(const tinyad_recipe* r, const float* rows, size_t n_rows, float* out,
                                        size_t out_cap, float* scratch, size_t scratch_cap, bool prepared) {
  return prepared ? ::tinyad_features_extract<float, TINYAD_GROUPS_ALL, true>(cpp(r), rows, n_rows, out, out_cap,
                                                                              scratch, scratch_cap)
                  : ::tinyad_features_extract<float, TINYAD_GROUPS_ALL, false>(cpp(r), rows, n_rows, out, out_cap,
                                                                               scratch, scratch_cap);
}

tinyad_status tinyad_features_extract_destructive_f(const tinyad_recipe* r, float* rows, size_t n_rows, float* out,
                                                    size_t out_cap, float* scratch, size_t scratch_cap,
                                                    bool prepared) {
  return prepared ? ::tinyad_features_extract_destructive<float, TINYAD_GROUPS_ALL, true>(
                        cpp(r), rows, n_rows, out, out_cap, scratch, scratch_cap)
                  : ::tinyad_features_extract_destructive<float, TINYAD_GROUPS_ALL, false>(
                        cpp(r), rows, n_rows, out, out_cap, scratch, scratch_cap);
}

tinyad_status tinyad_mahalanobis_score_f(const tinyad_mahalanobis_f* m, const float* x, size_t n, float* score) {
  return ::tinyad_mahalanobis_score(cpp(m), x, n, score);
}

tinyad_status tinyad_autoencoder_check_f(const tinyad_autoencoder_f* m) { return ::tinyad_autoencoder_check(cpp(m)); }

size_t tinyad_autoencoder_scratch_size_f(const tinyad_autoencoder_f* m) {
  return ::tinyad_autoencoder_scratch_size(cpp(m));
}

tinyad_status tinyad_autoencoder_score_f(const tinyad_autoencoder_f* m, const float* x, size_t n, float* scratch,
                                         size_t scratch_n, float* score) {
  return ::tinyad_autoencoder_score(cpp(m), x, n, scratch, scratch_n, score);
}

void tinyad_window_init_f(tinyad_window_f* w, float* rows, size_t capacity) {
  ::tinyad_window_init(cpp(w), rows, capacity);
}

bool tinyad_window_push_f(tinyad_window_f* w, float x, float y, float z) {
  return ::tinyad_window_push(cpp(w), x, y, z);
}

void tinyad_window_reset_f(tinyad_window_f* w) { ::tinyad_window_reset(cpp(w)); }

tinyad_verdict_f tinyad_mahalanobis_window_verdict_f(const tinyad_mahalanobis_detector_f* d, tinyad_window_f* w,
                                                     bool prepared) {
  return to_c(prepared ? ::tinyad_mahalanobis_window_verdict<float, TINYAD_GROUPS_ALL, true>(cpp(d), cpp(w))
                       : ::tinyad_mahalanobis_window_verdict<float, TINYAD_GROUPS_ALL, false>(cpp(d), cpp(w)));
}

tinyad_verdict_f tinyad_autoencoder_window_verdict_f(const tinyad_autoencoder_detector_f* d, tinyad_window_f* w,
                                                     bool prepared) {
  return to_c(prepared ? ::tinyad_autoencoder_window_verdict<float, TINYAD_GROUPS_ALL, true>(cpp(d), cpp(w))
                       : ::tinyad_autoencoder_window_verdict<float, TINYAD_GROUPS_ALL, false>(cpp(d), cpp(w)));
}

void tinyad_learner_init_f(tinyad_learner_f* l, size_t n, float* mean, float* m2, float* precision,
                           uint32_t n_learn, uint32_t n_calibrate, float sd_factor) {
  ::tinyad_learner_init(cpp(l), n, mean, m2, precision, n_learn, n_calibrate, sd_factor);
}

tinyad_status tinyad_learner_add_f(tinyad_learner_f* l, const float* x, float* score, bool* anomaly) {
  return ::tinyad_learner_add(cpp(l), x, score, anomaly);
}

tinyad_commission_params_f tinyad_commission_default_params_f(void) {
  const t_commission_params p = ::tinyad_commission_default_params<float>();
  tinyad_commission_params_f out;
  out.windows = p.windows;
  out.sd_floor = p.sd_floor;
  out.margin = p.margin;
  out.track_rate = p.track_rate;
  out.track_below = p.track_below;
  out.track_bound = p.track_bound;
  return out;
}

tinyad_status tinyad_commission_reset_f(tinyad_commission_f* c, size_t n, const tinyad_commission_params_f* params,
                                        float* windows) {
  if (!params) return TINYAD_STATUS_NULL_ARGUMENT;
  return ::tinyad_commission_reset(cpp(c), n, *cpp(params), windows);
}

tinyad_status tinyad_commission_add_f(tinyad_commission_f* c, const float* x) {
  return ::tinyad_commission_add(cpp(c), x);
}

tinyad_status tinyad_commission_finalize_f(tinyad_commission_f* c, const float* fleet_sd) {
  return ::tinyad_commission_finalize(cpp(c), fleet_sd);
}

tinyad_status tinyad_commission_score_f(const tinyad_commission_f* c, const float* x, float* score, bool* anomaly) {
  return ::tinyad_commission_score(cpp(c), x, score, anomaly);
}

bool tinyad_commission_track_f(tinyad_commission_f* c, const float* x, float score) {
  return ::tinyad_commission_track(cpp(c), x, score);
}

}  // extern "C"
}  // namespace tinyad_c
