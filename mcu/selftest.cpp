// selftest.cpp: the device self-test. Feeds every exported test window into
// the window buffer one reading at a time, as a sensor would, scores it with
// the exported model and compares with the score the host computed
// (tinyad_test_windows.h): float bit for bit, and, with TINYAD_TEST_DOUBLE,
// the double path bit for bit too. Prints one PASS/FAIL line (after a line
// per mismatch) and returns the status board_exit() hands to the emulator.
// Freestanding: no heap, no C library; every buffer is static and sized by
// the generated header.
#include "board.h"
#include "tinyad_model.h"
#include "device_detector.h"
#ifdef TINYAD_MODEL_Q8
#include "tinyad_q8_net.h"
#endif
#include "tinyad_test_windows.h"

#ifndef TINYAD_VARIANT
#define TINYAD_VARIANT "model"
#endif
#ifndef TINYAD_TARGET
#define TINYAD_TARGET "host"
#endif

namespace {

void put(const char* s) { board_write(s); }

void put_hex(uint64_t v, int digits) {
  char buf[19] = {'0', 'x'};
  for (int i = 0; i < digits; ++i) buf[2 + i] = "0123456789abcdef"[(v >> (4 * (digits - 1 - i))) & 0xFu];
  buf[2 + digits] = '\0';
  put(buf);
}

uint32_t bits(float f) {
  uint32_t u;
  __builtin_memcpy(&u, &f, sizeof u);
  return u;
}

[[maybe_unused]] uint64_t bits(double d) {
  uint64_t u;
  __builtin_memcpy(&u, &d, sizeof u);
  return u;
}

// Scores one window through the device path; returns its verdict.
tinyad_verdict<float> score_window(const float* rows, tinyad_window<float>* w) {
  for (size_t i = 0; i < TINYAD_MODEL_WINDOW; ++i) {
    if (tinyad_window_push(w, rows[3 * i], rows[3 * i + 1], rows[3 * i + 2])) break;
  }
  return device_verdict(w);
}

#if defined(TINYAD_TEST_DOUBLE) && defined(TINYAD_MODEL_MAHALANOBIS)
double g_rows_d[TINYAD_MODEL_WINDOW * 3];
double g_features_d[TINYAD_MODEL_N_FEATURES];
double g_scratch_d[TINYAD_MODEL_SCRATCH > 0 ? TINYAD_MODEL_SCRATCH : 1];

tinyad_status score_window_d(const double* rows, double* score) {
  for (size_t i = 0; i < TINYAD_MODEL_WINDOW * 3; ++i) g_rows_d[i] = rows[i];
  const tinyad_status st = tinyad_features_extract_destructive<double, TINYAD_MODEL_GROUPS>(
      &tinyad_model_recipe, g_rows_d, TINYAD_MODEL_WINDOW, g_features_d, TINYAD_MODEL_N_FEATURES, g_scratch_d,
      TINYAD_MODEL_SCRATCH);
  if (st != TINYAD_STATUS_OK) return st;
  const tinyad_mahalanobis<double> m = {TINYAD_MODEL_N_FEATURES, tinyad_model_mean_d, tinyad_model_precision_d};
  return tinyad_mahalanobis_score(&m, g_features_d, TINYAD_MODEL_N_FEATURES, score);
}
#endif

#ifdef TINYAD_MODEL_Q8
float g_z[TINYAD_MODEL_N_FEATURES];
int8_t g_q[TINYAD_MODEL_Q8_SCRATCH];

// The int8 network on the same window: features, then tinyad_q8_score().
tinyad_status score_window_q8(const float* rows, float* score) {
  for (size_t i = 0; i < TINYAD_MODEL_WINDOW * 3; ++i) g_rows[i] = rows[i];
  const tinyad_status st = tinyad_features_extract_destructive<float, TINYAD_MODEL_GROUPS>(
      &tinyad_model_recipe, g_rows, TINYAD_MODEL_WINDOW, g_features, TINYAD_MODEL_N_FEATURES, k_scratch,
      TINYAD_MODEL_SCRATCH);
  if (st != TINYAD_STATUS_OK) return st;
  return tinyad_q8_score(&tinyad_model_q8_net, tinyad_model_input_mean, tinyad_model_input_scale, g_features,
                         TINYAD_MODEL_N_FEATURES, g_z, g_q, TINYAD_MODEL_Q8_SCRATCH, score);
}
#endif

}  // namespace

extern "C" int main(void) {
  board_init();
  if (device_prepare() != TINYAD_STATUS_OK) {
    put("tinyad selftest " TINYAD_TARGET " " TINYAD_VARIANT ": FAIL (scratch too small for the tables)\n");
    return 1;
  }
#ifdef TINYAD_MODEL_AUTOENCODER
  if (tinyad_autoencoder_check(&tinyad_model_net) != TINYAD_STATUS_OK) {
    put("tinyad selftest " TINYAD_TARGET " " TINYAD_VARIANT ": FAIL (network constants invalid)\n");
    return 1;
  }
#endif
  tinyad_window<float> w;
  tinyad_window_init(&w, g_rows, TINYAD_MODEL_WINDOW);
  uint32_t float_ok = 0, double_ok = 0, double_n = 0, verdicts_ok = 0, cost_min = 0xFFFFFFFFu, cost_max = 0;
  for (uint32_t k = 0; k < TINYAD_TEST_N_WINDOWS; ++k) {
    const uint32_t t0 = board_counter();
    const tinyad_verdict<float> v = score_window(tinyad_test_rows[k], &w);
    const uint32_t cost = board_elapsed(t0, board_counter());
    if (cost < cost_min) cost_min = cost;
    if (cost > cost_max) cost_max = cost;
    const float want = tinyad_test_score_f[k];
    if (v.status == TINYAD_STATUS_OK && bits(v.score) == bits(want)) {
      ++float_ok;
    } else {
      put("window ");
      board_write_u32(k);
      put(": float score ");
      put_hex(bits(v.score), 8);
      put(" (");
      put(tinyad_status_str(v.status));
      put("), host ");
      put_hex(bits(want), 8);
      put("\n");
    }
    if (v.anomaly == (tinyad_model_anomalous(want) != 0)) ++verdicts_ok;  /* the exported rule */
#if defined(TINYAD_TEST_DOUBLE) && defined(TINYAD_MODEL_MAHALANOBIS)
    double sd = 0;
    const tinyad_status st = score_window_d(tinyad_test_rows_d[k], &sd);
    ++double_n;
    if (st == TINYAD_STATUS_OK && bits(sd) == bits(tinyad_test_score_d[k])) {
      ++double_ok;
    } else {
      put("window ");
      board_write_u32(k);
      put(": double score ");
      put_hex(bits(sd), 16);
      put(", host ");
      put_hex(bits(tinyad_test_score_d[k]), 16);
      put("\n");
    }
#endif
  }
  uint32_t q8_ok = 0, q8_n = 0;
#ifdef TINYAD_MODEL_Q8
  for (uint32_t k = 0; k < TINYAD_TEST_N_WINDOWS; ++k) {
    float s = 0;
    ++q8_n;
    if (score_window_q8(tinyad_test_rows[k], &s) == TINYAD_STATUS_OK && bits(s) == bits(tinyad_test_score_q8[k])) {
      ++q8_ok;
    } else {
      put("window ");
      board_write_u32(k);
      put(": int8 network score ");
      put_hex(bits(s), 8);
      put(", host ");
      put_hex(bits(tinyad_test_score_q8[k]), 8);
      put("\n");
    }
  }
#endif
  const bool pass = float_ok == TINYAD_TEST_N_WINDOWS && verdicts_ok == TINYAD_TEST_N_WINDOWS &&
                    double_ok == double_n && q8_ok == q8_n;
  put("tinyad selftest " TINYAD_TARGET " " TINYAD_VARIANT ": ");
  put(pass ? "PASS" : "FAIL");
  put(", float scores bit-exact ");
  board_write_u32(float_ok);
  put("/");
  board_write_u32(TINYAD_TEST_N_WINDOWS);
  put(", double ");
  board_write_u32(double_ok);
  put("/");
  board_write_u32(double_n);
  put(", int8 ");
  board_write_u32(q8_ok);
  put("/");
  board_write_u32(q8_n);
  put(", verdicts ");
  board_write_u32(verdicts_ok);
  put("/");
  board_write_u32(TINYAD_TEST_N_WINDOWS);
  put(", per window ");
  board_write_u32(cost_min);
  put("..");
  board_write_u32(cost_max);
  put(" ");
  put(board_counter_unit());
  put("\n");
  return pass ? 0 : 1;
}
