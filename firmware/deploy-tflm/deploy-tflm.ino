// deploy-tflm.ino: the autoencoder through TensorFlow Lite Micro, for users
// who want the .tflite path (the core's own forward pass in deploy/ is
// smaller: TFLM's interpreter alone is tens of kilobytes). Features come from
// the core, standardised with the exported mean and scale; TFLM runs the
// network exported as tinyad_model_tflite (float32, or int8 with --int8); the score is the core's
// mean squared error. Buzzer on A1, serial log, as deploy/.
//
// Setup: `tinyad train ... --detector autoencoder -o ae.json`, then
// `tinyad export ae.json build/sketch/deploy-tflm --to c` into a copy of this sketch; the TFLM library for
// your board (e.g. the Arduino_TensorFlowLite / TensorFlowLite_ESP32 library)
// and core/*.h on the include path.
#include <Adafruit_MSA301.h>
#include <Adafruit_Sensor.h>
#include <Arduino.h>

// The host computed the scores without fused multiply-add; so must we (ESP32 has madd.s).
#pragma GCC optimize("fp-contract=off")

#include "tensorflow/lite/micro/micro_interpreter.h"
#include "tensorflow/lite/micro/micro_mutable_op_resolver.h"
#define TINYAD_MODEL_TFLITE 1
#include "tinyad_window.h"
#include "tinyad_model.h"

#ifndef TINYAD_MODEL_AUTOENCODER
#error "deploy-tflm needs an autoencoder model: tinyad train --detector autoencoder, then tinyad export"
#endif

static const uint8_t BUZZER_PIN = A1;
static const uint32_t SAMPLE_US = 5000;  // 200 Hz, as the training data

static Adafruit_MSA301 msa;
static float rows[TINYAD_MODEL_WINDOW * 3];
static float features[TINYAD_MODEL_N_FEATURES];
#if TINYAD_MODEL_SCRATCH > 0
static float scratch[TINYAD_MODEL_SCRATCH];
#else
static float* const scratch = nullptr;
#endif
static tinyad_window<float> window;
alignas(16) static uint8_t arena[8 * 1024];
static tflite::MicroMutableOpResolver<1> resolver;
static tflite::MicroInterpreter* interpreter = nullptr;
static uint32_t next_sample_us = 0;

void setup() {
  Serial.begin(115200);
  pinMode(BUZZER_PIN, OUTPUT);
  if (!msa.begin()) {
    Serial.println("tinyad: MSA301 not found");
    while (true) delay(1000);
  }
  resolver.AddFullyConnected();
  static tflite::MicroInterpreter it(tflite::GetModel(tinyad_model_tflite), resolver, arena, sizeof arena);
  if (it.AllocateTensors() != kTfLiteOk) {
    Serial.println("tinyad: TFLM could not allocate the tensors (arena too small?)");
    while (true) delay(1000);
  }
  interpreter = &it;
  tinyad_window_init(&window, rows, TINYAD_MODEL_WINDOW);
  // The Hann window and FFT twiddles once, not every window (same bits).
  tinyad_features_prepare(&tinyad_model_recipe, scratch, TINYAD_MODEL_SCRATCH);
  next_sample_us = micros();
}

void loop() {
  if (int32_t(micros() - next_sample_us) < 0) return;
  next_sample_us += SAMPLE_US;
  sensors_event_t e;
  msa.getEvent(&e);  // m/s^2; the model works in g
  const float g = float(SENSORS_GRAVITY_STANDARD);
  if (!tinyad_window_push(&window, e.acceleration.x / g, e.acceleration.y / g, e.acceleration.z / g)) return;
  const tinyad_status st = tinyad_window_take_features<float, TINYAD_MODEL_GROUPS, true>(
      &tinyad_model_recipe, &window, features, TINYAD_MODEL_N_FEATURES, scratch, TINYAD_MODEL_SCRATCH).status;
  if (st != TINYAD_STATUS_OK) {
    Serial.println(tinyad_status_str(st));
    return;
  }
  // The network works in standardised units, z = (x - mean) / scale.
  static float z[TINYAD_MODEL_N_FEATURES], y[TINYAD_MODEL_N_FEATURES];
  TfLiteTensor* in = interpreter->input(0);
  for (unsigned i = 0; i < TINYAD_MODEL_N_FEATURES; ++i) {
    z[i] = (features[i] - tinyad_model_input_mean[i]) / tinyad_model_input_scale[i];
#ifdef TINYAD_MODEL_TFLITE_INT8  // exported with --int8: quantise as TFLite's QUANTIZE
    in->data.int8[i] = tinyad_quantize_int8(z[i], in->params.scale, in->params.zero_point);
#else
    in->data.f[i] = z[i];
#endif
  }
  if (interpreter->Invoke() != kTfLiteOk) {
    Serial.println("tinyad: TFLM Invoke failed");
    return;
  }
  const TfLiteTensor* out = interpreter->output(0);
  for (unsigned i = 0; i < TINYAD_MODEL_N_FEATURES; ++i) {
#ifdef TINYAD_MODEL_TFLITE_INT8
    y[i] = tinyad_dequantize_int8(out->data.int8[i], out->params.scale, out->params.zero_point);
#else
    y[i] = out->data.f[i];
#endif
  }
  const float score = tinyad_mse(z, y, TINYAD_MODEL_N_FEATURES);
  const bool anomaly = tinyad_model_anomalous(score) != 0;  // the exported rule, as the host judges
  Serial.print("tflm score ");
  Serial.print(score, 4);
  Serial.println(anomaly ? " ANOMALY" : " normal");
  digitalWrite(BUZZER_PIN, anomaly ? HIGH : LOW);
}
