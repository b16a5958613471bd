// footprint.ino: the smallest real Arduino program for one exported model,
// built by mcu/arduino_test.sh with the real Arduino AVR core to measure
// flash and RAM per board: readings (a deterministic stand-in for the
// accelerometer) go into the window buffer one at a time, every full window
// gets a verdict, the LED shows an anomaly, the score goes out on serial.
// The model (tinyad_model.h) is exported next to it by the test.
#include <Arduino.h>

#include "tinyad_model.h"
#include "tinyad_window.h"

static float rows[TINYAD_MODEL_WINDOW * 3];
static float features[TINYAD_MODEL_N_FEATURES];
static float scratch[TINYAD_MODEL_SCRATCH + 1];  // + 1: no empty arrays
static tinyad_window<float> window;
static uint32_t seed = 12345;

static float next_reading() {
  seed = seed * 1664525UL + 1013904223UL;
  return float(int32_t(seed >> 8) - (int32_t(1) << 23)) * (1.0f / 67108864.0f);
}

void setup() {
  Serial.begin(115200);
  pinMode(LED_BUILTIN, OUTPUT);
  tinyad_features_prepare(&tinyad_model_recipe, scratch, TINYAD_MODEL_SCRATCH);
  tinyad_window_init(&window, rows, TINYAD_MODEL_WINDOW);
}

void loop() {
  static const tinyad_mahalanobis_detector<float> d = {
      &tinyad_model_recipe, {TINYAD_MODEL_N_FEATURES, tinyad_model_mean, tinyad_model_precision},
      tinyad_model_threshold, features, scratch, TINYAD_MODEL_SCRATCH};
  if (!tinyad_window_push(&window, next_reading(), next_reading(), next_reading() + 1.0f)) return;
  const tinyad_verdict<float> v = tinyad_mahalanobis_window_verdict<float, TINYAD_MODEL_GROUPS, true, true>(&d, &window);
  digitalWrite(LED_BUILTIN, v.anomaly ? HIGH : LOW);
  Serial.println(v.score);
}
