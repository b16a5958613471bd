/* selftest_c.c: the device self-test of selftest.cpp written in plain C99
   against core/tinyad.h (the C API, core/tinyad_c.cpp) and the same generated
   headers: every exported test window goes into the window buffer one
   reading at a time, gets its verdict, and its float score must equal the
   host's bit for bit. Prints one PASS/FAIL line. No heap, no C library. */
#include <stdbool.h>

#include "board.h"
#include "tinyad_model.h"
#include "tinyad_test_windows.h"

#ifndef TINYAD_VARIANT
#define TINYAD_VARIANT "model"
#endif
#ifndef TINYAD_TARGET
#define TINYAD_TARGET "host"
#endif

static float g_rows[TINYAD_MODEL_WINDOW * 3];
static float g_features[TINYAD_MODEL_N_FEATURES];
/* Sized for the tables tinyad_features_prepare_f() keeps (0 is not a valid C array size). */
static float g_scratch[TINYAD_MODEL_SCRATCH > 0 ? TINYAD_MODEL_SCRATCH : 1];
#ifdef TINYAD_MODEL_AUTOENCODER
static float g_net_scratch[TINYAD_MODEL_NET_SCRATCH];
#endif

#ifdef TINYAD_TEST_COMMISSION_WINDOWS
/* Commissioning through the C API, as selftest.cpp does it in C++: the K
   windows' features in a static buffer, fed the features each verdict just
   computed (g_features). */
static float g_commission_windows[TINYAD_TEST_COMMISSION_WINDOWS * TINYAD_MODEL_N_FEATURES];
static tinyad_commission_f g_commission;
#endif

static uint32_t bits(float f) {
  union {
    float f;
    uint32_t u;
  } v;
  v.f = f;
  return v.u;
}

static void put_hex(uint32_t v) {
  char buf[11] = {'0', 'x'};
  int i;
  for (i = 0; i < 8; ++i) buf[2 + i] = "0123456789abcdef"[(v >> (4 * (7 - i))) & 0xFu];
  buf[10] = '\0';
  board_write(buf);
}

/* The exported detector's verdict on a full window. (Not static: in C the
   const floats of the header are not constant expressions.) */
static tinyad_verdict_f verdict(tinyad_window_f* w) {
#ifdef TINYAD_MODEL_MAHALANOBIS
  const tinyad_mahalanobis_detector_f d = {
      &tinyad_model_recipe, {TINYAD_MODEL_N_FEATURES, tinyad_model_mean, tinyad_model_precision},
      tinyad_model_threshold, g_features, g_scratch, TINYAD_MODEL_SCRATCH};
  return tinyad_mahalanobis_window_verdict_f(&d, w, true);
#else
  const tinyad_autoencoder_detector_f d = {
      &tinyad_model_recipe, &tinyad_model_net, tinyad_model_threshold, g_features, TINYAD_MODEL_N_FEATURES,
      g_scratch, TINYAD_MODEL_SCRATCH, g_net_scratch, TINYAD_MODEL_NET_SCRATCH};
  return tinyad_autoencoder_window_verdict_f(&d, w, true);
#endif
}

#ifdef TINYAD_TEST_COMMISSION_WINDOWS
/* One window's features: added while commissioning (finalized after the
   K-th, whose threshold must match the host's), else scored and tracked.
   Returns 1 when this step matched, 0 when it did not, and counts steps. */
static uint32_t commission_step(uint32_t k, const float* features, uint32_t* steps) {
  float score = 0;
  bool anomaly = false;
  enum tinyad_status st;
  if (k < TINYAD_TEST_COMMISSION_WINDOWS) {
    st = tinyad_commission_add_f(&g_commission, features);
    if (k + 1 < TINYAD_TEST_COMMISSION_WINDOWS) return 0;
    if (st == TINYAD_STATUS_OK) st = tinyad_commission_finalize_f(&g_commission, tinyad_model_fleet_sd);
    ++*steps;
    return st == TINYAD_STATUS_OK && bits(g_commission.threshold) == bits(tinyad_test_commission_threshold_f);
  }
  st = tinyad_commission_score_f(&g_commission, features, &score, &anomaly);
  ++*steps;
  if (st != TINYAD_STATUS_OK) return 0;
  tinyad_commission_track_f(&g_commission, features, score);
  return bits(score) == bits(tinyad_test_commission_score_f[k]) && anomaly == (tinyad_test_commission_anomaly[k] != 0);
}
#endif

int main(void) {
  tinyad_window_f w;
  uint32_t k, float_ok = 0, verdicts_ok = 0, commission_ok = 0, commission_steps = 0, commission_want = 0;
  board_init();
#ifdef TINYAD_TEST_COMMISSION_WINDOWS
  {
    tinyad_commission_params_f params = tinyad_commission_default_params_f();
    params.windows = TINYAD_TEST_COMMISSION_WINDOWS;
    if (tinyad_commission_reset_f(&g_commission, TINYAD_MODEL_N_FEATURES, &params, g_commission_windows) !=
        TINYAD_STATUS_OK) {
      board_write("tinyad selftest-c " TINYAD_TARGET " " TINYAD_VARIANT ": FAIL (too many features to commission)\n");
      return 1;
    }
    /* The threshold, then every window after the K-th. */
    commission_want = TINYAD_TEST_N_WINDOWS - TINYAD_TEST_COMMISSION_WINDOWS + 1;
  }
#endif
  if (tinyad_features_prepare_f(&tinyad_model_recipe, g_scratch, TINYAD_MODEL_SCRATCH) != TINYAD_STATUS_OK) {
    board_write("tinyad selftest-c " TINYAD_TARGET " " TINYAD_VARIANT ": FAIL (scratch too small)\n");
    return 1;
  }
#ifdef TINYAD_MODEL_AUTOENCODER
  if (tinyad_autoencoder_check_f(&tinyad_model_net) != TINYAD_STATUS_OK) {
    board_write("tinyad selftest-c " TINYAD_TARGET " " TINYAD_VARIANT ": FAIL (network constants invalid)\n");
    return 1;
  }
#endif
  tinyad_window_init_f(&w, g_rows, TINYAD_MODEL_WINDOW);
  for (k = 0; k < TINYAD_TEST_N_WINDOWS; ++k) {
    const float* rows = tinyad_test_rows[k];
    const float want = tinyad_test_score_f[k];
    tinyad_verdict_f v;
    size_t i;
    for (i = 0; i < TINYAD_MODEL_WINDOW; ++i)
      if (tinyad_window_push_f(&w, rows[3 * i], rows[3 * i + 1], rows[3 * i + 2])) break;
    v = verdict(&w);
    if (v.status == TINYAD_STATUS_OK && bits(v.score) == bits(want)) {
      ++float_ok;
    } else {
      board_write("window ");
      board_write_u32(k);
      board_write(": float score ");
      put_hex(bits(v.score));
      board_write(" (");
      board_write(tinyad_status_str(v.status));
      board_write("), host ");
      put_hex(bits(want));
      board_write("\n");
    }
    if (v.anomaly == (tinyad_model_anomalous(want) != 0)) ++verdicts_ok;  /* the exported rule */
#ifdef TINYAD_TEST_COMMISSION_WINDOWS
    if (v.status == TINYAD_STATUS_OK) commission_ok += commission_step(k, g_features, &commission_steps);
#endif
  }
  board_write("tinyad selftest-c " TINYAD_TARGET " " TINYAD_VARIANT ": ");
  board_write(float_ok == TINYAD_TEST_N_WINDOWS && verdicts_ok == TINYAD_TEST_N_WINDOWS &&
                      commission_ok == commission_want && commission_steps == commission_want
                  ? "PASS"
                  : "FAIL");
  board_write(", float scores bit-exact ");
  board_write_u32(float_ok);
  board_write("/");
  board_write_u32(TINYAD_TEST_N_WINDOWS);
  board_write(", commissioned ");
  board_write_u32(commission_ok);
  board_write("/");
  board_write_u32(commission_want);
  board_write(", verdicts ");
  board_write_u32(verdicts_ok);
  board_write("/");
  board_write_u32(TINYAD_TEST_N_WINDOWS);
  board_write("\n");
  return float_ok == TINYAD_TEST_N_WINDOWS && verdicts_ok == TINYAD_TEST_N_WINDOWS &&
                 commission_ok == commission_want && commission_steps == commission_want
             ? 0
             : 1;
}
