// selftest.cpp: the device self-test. Feeds every exported test window into
// the window buffer one reading at a time, as a sensor would, scores it with
// the exported model and compares with the score the host computed
// (tinyad_test_windows.h): float bit for bit, and, with TINYAD_TEST_DOUBLE,
// the double path bit for bit too. With commissioning results in the header
// (`tinyad export --commission K`) the features of the first K windows also
// commission the device's own baseline (core/tinyad_commission.h, float) and
// every later window is scored against it; threshold, scores and verdicts
// must equal the host's bit for bit. Prints one PASS/FAIL line (after a line
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
#ifdef TINYAD_TEST_COMMISSION_WINDOWS
#include "tinyad_commission.h"
#endif

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

#ifdef TINYAD_TEST_COMMISSION_WINDOWS
// Commissioning as a device runs it: the K windows in a static buffer, the
// state beside it; fed the features the verdict just computed (g_features).
float g_commission_windows[TINYAD_TEST_COMMISSION_WINDOWS * TINYAD_MODEL_N_FEATURES];
tinyad_commission<float> g_commission;

struct CommissionCheck {
  uint32_t ok = 0, n = 0;  // matching steps (threshold, then each scored window's score and verdict)
};

void commission_fail(uint32_t k, const char* what, float got, float want) {
  put("window ");
  board_write_u32(k);
  put(": commissioning ");
  put(what);
  put(" ");
  put_hex(bits(got), 8);
  put(", host ");
  put_hex(bits(want), 8);
  put("\n");
}

// One window's features: added while commissioning (finalized after the
// K-th, whose threshold must match), else scored, compared and tracked.
void commission_step(uint32_t k, const float* features, CommissionCheck* c) {
  if (k < TINYAD_TEST_COMMISSION_WINDOWS) {
    tinyad_status st = tinyad_commission_add(&g_commission, features);
    if (k + 1 == TINYAD_TEST_COMMISSION_WINDOWS) {
      if (st == TINYAD_STATUS_OK) st = tinyad_commission_finalize(&g_commission, tinyad_model_fleet_sd);
      ++c->n;
      if (st == TINYAD_STATUS_OK && bits(g_commission.threshold) == bits(tinyad_test_commission_threshold_f))
        ++c->ok;
      else
        commission_fail(k, "threshold", g_commission.threshold, tinyad_test_commission_threshold_f);
    }
    return;
  }
  float score = 0;
  bool anomaly = false;
  const tinyad_status st = tinyad_commission_score(&g_commission, features, &score, &anomaly);
  ++c->n;
  if (st == TINYAD_STATUS_OK && bits(score) == bits(tinyad_test_commission_score_f[k]) &&
      anomaly == (tinyad_test_commission_anomaly[k] != 0))
    ++c->ok;
  else
    commission_fail(k, "score", score, tinyad_test_commission_score_f[k]);
  if (st == TINYAD_STATUS_OK) tinyad_commission_track(&g_commission, features, score);
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
  uint32_t commission_ok = 0, commission_n = 0;
#ifdef TINYAD_TEST_COMMISSION_WINDOWS
  CommissionCheck commission;
  tinyad_commission_params<float> params = tinyad_commission_default_params<float>();
  params.windows = TINYAD_TEST_COMMISSION_WINDOWS;
  if (tinyad_commission_reset(&g_commission, TINYAD_MODEL_N_FEATURES, params, g_commission_windows) !=
      TINYAD_STATUS_OK) {
    put("tinyad selftest " TINYAD_TARGET " " TINYAD_VARIANT ": FAIL (too many features to commission)\n");
    return 1;
  }
#endif
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
#ifdef TINYAD_TEST_COMMISSION_WINDOWS
    if (v.status == TINYAD_STATUS_OK) commission_step(k, g_features, &commission);
#endif
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
#ifdef TINYAD_TEST_COMMISSION_WINDOWS
  commission_ok = commission.ok;
  commission_n = commission.n;
  // Every window after the K-th plus the threshold, or a window failed early.
  const uint32_t commission_want = TINYAD_TEST_N_WINDOWS - TINYAD_TEST_COMMISSION_WINDOWS + 1;
#else
  const uint32_t commission_want = 0;
#endif
  const bool pass = float_ok == TINYAD_TEST_N_WINDOWS && verdicts_ok == TINYAD_TEST_N_WINDOWS &&
                    double_ok == double_n && q8_ok == q8_n && commission_ok == commission_want &&
                    commission_n == commission_want;
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
  put(", commissioned ");
  board_write_u32(commission_ok);
  put("/");
  board_write_u32(commission_want);
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
