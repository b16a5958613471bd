// device_detector.h: what every program in mcu/ holds for the exported model
// (tinyad_model.h): the static window, feature and scratch buffers sized by
// the generated header, the detector over them, and the start-up step that
// makes the Hann window and FFT twiddles once (tinyad_features_prepare), so a
// window costs its FFTs and not a few hundred sin/cos as well. One copy for
// the footprint program and the self-test: what the footprint measures is
// what the self-test checks. Include once, after tinyad_model.h.
#pragma once

#include "tinyad_window.h"

namespace {

float g_rows[TINYAD_MODEL_WINDOW * 3];
float g_features[TINYAD_MODEL_N_FEATURES];
#if TINYAD_MODEL_SCRATCH > 0
float g_scratch[TINYAD_MODEL_SCRATCH];
float* const k_scratch = g_scratch;
#else
float* const k_scratch = nullptr;
#endif
#if defined(TINYAD_MODEL_AUTOENCODER) && !defined(TINYAD_FOOTPRINT_Q8)
float g_net_scratch[TINYAD_MODEL_NET_SCRATCH];
#endif

/// Once at start-up, before the first verdict.
inline tinyad_status device_prepare() {
  return tinyad_features_prepare(&tinyad_model_recipe, k_scratch, TINYAD_MODEL_SCRATCH);
}

/// Features of a full window into g_features (window reset), for programs
/// that score them their own way (the int8 network).
inline tinyad_status device_features(tinyad_window<float>* w) {
  return tinyad_window_take_features<float, TINYAD_MODEL_GROUPS, true>(&tinyad_model_recipe, w, g_features,
                                                                      TINYAD_MODEL_N_FEATURES, k_scratch,
                                                                      TINYAD_MODEL_SCRATCH)
      .status;
}

#if !defined(TINYAD_FOOTPRINT_Q8)
/// The exported detector's verdict on a full window (NOT_READY before).
inline tinyad_verdict<float> device_verdict(tinyad_window<float>* w) {
#ifdef TINYAD_MODEL_MAHALANOBIS
  static const tinyad_mahalanobis_detector<float> d = {
      &tinyad_model_recipe, {TINYAD_MODEL_N_FEATURES, tinyad_model_mean, tinyad_model_precision},
      tinyad_model_threshold, g_features, k_scratch, TINYAD_MODEL_SCRATCH};
  return tinyad_mahalanobis_window_verdict<float, TINYAD_MODEL_GROUPS, true, true>(&d, w);  // Rom: the exported arrays
#else
  static const tinyad_autoencoder_detector<float> d = {
      &tinyad_model_recipe, &tinyad_model_net, tinyad_model_threshold, g_features, TINYAD_MODEL_N_FEATURES,
      k_scratch, TINYAD_MODEL_SCRATCH, g_net_scratch, TINYAD_MODEL_NET_SCRATCH};
  return tinyad_autoencoder_window_verdict<float, TINYAD_MODEL_GROUPS, true>(&d, w);
#endif
}
#endif

}  // namespace
