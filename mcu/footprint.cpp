// footprint.cpp: the smallest real device program for one exported model:
// readings go into the window buffer one at a time, each full window gets a
// verdict, anomalies go out through a (here: fake) output. What it costs in
// flash, RAM and stack is what bench/RESULTS.md reports. Under QEMU it scores
// a few windows of synthetic readings, measures the stack high-water mark
// (painted stack) and the instructions per window, and prints them.
#include "board.h"
#include "tinyad_model.h"
#include "device_detector.h"
#ifdef TINYAD_FOOTPRINT_Q8
#include "tinyad_q8_net.h"
#endif

extern "C" uint32_t _bss_end;

namespace {

volatile uint32_t g_alarm;  // stands in for the buzzer pin

uint32_t g_seed = 12345u;
float next_reading() {  // a deterministic stand-in for the accelerometer
  g_seed = g_seed * 1664525u + 1013904223u;
  return float(int32_t(g_seed >> 8) - (1 << 23)) * (1.0f / float(1 << 26));
}

#ifdef TINYAD_FOOTPRINT_Q8
float g_z[TINYAD_MODEL_N_FEATURES];
int8_t g_q[TINYAD_MODEL_Q8_SCRATCH];
#endif

__attribute__((noinline)) tinyad_verdict<float> verdict(tinyad_window<float>* w) {
#if defined(TINYAD_FOOTPRINT_Q8)  // the int8 network instead of the float one
  tinyad_verdict<float> v;
  v.score = 0.0f;
  v.status = device_features(w);
  if (v.status == TINYAD_STATUS_OK)
    v.status = tinyad_q8_score(&tinyad_model_q8_net, tinyad_model_input_mean, tinyad_model_input_scale, g_features,
                               TINYAD_MODEL_N_FEATURES, g_z, g_q, TINYAD_MODEL_Q8_SCRATCH, &v.score);
  v.anomaly = v.status == TINYAD_STATUS_OK && v.score > tinyad_model_threshold;
  return v;
#else
  return device_verdict(w);
#endif
}

}  // namespace

extern "C" int main(void) {
  // Paint the free stack below this frame so the deepest use can be read back.
  // Nothing lives below the stack pointer on these ABIs (no red zone).
  uintptr_t frame;
  #if defined(__riscv)
  __asm__ volatile("mv %0, sp" : "=r"(frame));
#else
  __asm__ volatile("mov %0, sp" : "=r"(frame));
#endif
  volatile uint32_t* lo = &_bss_end;
  volatile uint32_t* top = reinterpret_cast<volatile uint32_t*>(frame & ~uintptr_t(3));
  for (volatile uint32_t* p = lo; p < top; ++p) *p = 0xA5A5A5A5u;

  board_init();
  device_prepare();
  tinyad_window<float> w;
  tinyad_window_init(&w, g_rows, TINYAD_MODEL_WINDOW);
  uint32_t cost = 0;
  for (int k = 0; k < 3; ++k) {
    for (;;) {
      const float x = next_reading(), y = next_reading(), z = next_reading() + 1.0f;
      if (tinyad_window_push(&w, x, y, z)) break;
    }
    const uint32_t t0 = board_counter();
    const tinyad_verdict<float> v = verdict(&w);
    cost = board_elapsed(t0, board_counter());
    g_alarm = v.anomaly ? 1u : 0u;
  }
  volatile uint32_t* p = lo;
  while (p < top && *p == 0xA5A5A5A5u) ++p;
  const uint32_t used = uint32_t(frame - reinterpret_cast<uintptr_t>(p));
  board_write("footprint stack_bytes=");
  board_write_u32(used);
  board_write(" verdict_cost=");
  board_write_u32(cost);
  board_write(" ");
  board_write(board_counter_unit());
  board_write("\n");
  return 0;
}
