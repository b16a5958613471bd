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

int main(void) {
  tinyad_window_f w;
  uint32_t k, float_ok = 0, verdicts_ok = 0;
  board_init();
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
  }
  board_write("tinyad selftest-c " TINYAD_TARGET " " TINYAD_VARIANT ": ");
  board_write(float_ok == TINYAD_TEST_N_WINDOWS && verdicts_ok == TINYAD_TEST_N_WINDOWS ? "PASS" : "FAIL");
  board_write(", float scores bit-exact ");
  board_write_u32(float_ok);
  board_write("/");
  board_write_u32(TINYAD_TEST_N_WINDOWS);
  board_write(", verdicts ");
  board_write_u32(verdicts_ok);
  board_write("/");
  board_write_u32(TINYAD_TEST_N_WINDOWS);
  board_write("\n");
  return float_ok == TINYAD_TEST_N_WINDOWS && verdicts_ok == TINYAD_TEST_N_WINDOWS ? 0 : 1;
}
