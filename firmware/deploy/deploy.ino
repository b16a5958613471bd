// deploy.ino: anomaly detection on an ESP32 + MSA301 accelerometer. Reads
// 200 Hz x, y, z (g) into the window buffer; every full window is scored by
// the core (core/tinyad_window.h) with the exported model, logged on serial,
// and an anomaly sounds the buzzer on A1. Learn mode (hold BOOT_LEARN_PIN low
// at reset, or no exported model) learns the baseline on this machine:
// LEARN_WINDOWS windows of normal running, CALIBRATE_WINDOWS more for the
// threshold (mean + 3 sd of their scores), then monitors.
// Commissioning (an exported Mahalanobis model; docs/commissioning.md): at
// every boot the first TINYAD_COMMISSION_WINDOWS windows (30; define it 0 to
// judge with the exported model only) are judged by the exported model while
// they build this mounting's own baseline (core/tinyad_commission.h), which
// judges from then on and follows slow drift. After a re-mount, reset the
// board: the baseline lives in RAM.
//
// Setup (README "The first hour"): copy this file and core/*.h into
// build/sketch/deploy/, then `tinyad export MODEL.json build/sketch/deploy --to c`
// writes tinyad_model.h there (never into the tracked firmware/). The sketch
// holds no logic of its own.
// The host computed the scores without fused multiply-add; so must we (ESP32 has madd.s).
#pragma GCC optimize("fp-contract=off")
#include <Adafruit_MSA301.h>
#include <Adafruit_Sensor.h>
#include <Arduino.h>
#include <Wire.h>

#include "tinyad_online.h"
#include "tinyad_window.h"
#if __has_include("tinyad_model.h")
#include "tinyad_model.h"
#endif

#ifndef TINYAD_COMMISSION_WINDOWS
#define TINYAD_COMMISSION_WINDOWS 30  // K: 30 measured enough on the ceiling fan, 60 safer
#endif
#if defined(TINYAD_MODEL_FLEET_SD) && TINYAD_COMMISSION_WINDOWS > 0
#include "tinyad_commission.h"
#define TINYAD_COMMISSION 1
#endif

#ifndef TINYAD_MODEL_MAHALANOBIS
// No exported Mahalanobis model: learn one here with the original recipe.
#define TINYAD_MODEL_WINDOW 128
#define TINYAD_MODEL_N_FEATURES 3
#define TINYAD_MODEL_SCRATCH 0
#define TINYAD_MODEL_GROUPS TINYAD_GROUP_BIT(TINYAD_FEATURE_MAD)
static const tinyad_recipe tinyad_model_recipe = {128, 1, {TINYAD_FEATURE_MAD}, 0, {0}, 0, 0.0, TINYAD_MAD_SCALE, 200.0};
#define TINYAD_LEARN_ONLY 1
#endif

static const uint8_t BUZZER_PIN = A1;
static const uint8_t BOOT_LEARN_PIN = 0;  // the ESP32 BOOT button
static const uint32_t SAMPLE_US = 5000;   // 200 Hz, as the training data
static const uint32_t LEARN_WINDOWS = 200;
static const uint32_t CALIBRATE_WINDOWS = 50;

static Adafruit_MSA301 msa;
static float rows[TINYAD_MODEL_WINDOW * 3];
static float features[TINYAD_MODEL_N_FEATURES];
#if TINYAD_MODEL_SCRATCH > 0
static float scratch[TINYAD_MODEL_SCRATCH];
#else
static float* const scratch = nullptr;
#endif
static tinyad_window<float> window;

// Learn mode state (a learned baseline lives in RAM until the next reset).
static float learn_mean[TINYAD_MODEL_N_FEATURES];
static float learn_m2[TINYAD_MODEL_N_FEATURES * TINYAD_MODEL_N_FEATURES];
static float learn_precision[TINYAD_MODEL_N_FEATURES * TINYAD_MODEL_N_FEATURES];
static tinyad_learner<float> learner;
static bool learning = false;
static uint32_t next_sample_us = 0;

#ifdef TINYAD_COMMISSION
// This mounting's baseline: the K windows' features (needed until the
// threshold is computed) and the state (4 x 64 floats).
static float commission_windows[TINYAD_COMMISSION_WINDOWS * TINYAD_MODEL_N_FEATURES];
static tinyad_commission<float> commission;

static void commission_start() {
  tinyad_commission_params<float> p = tinyad_commission_default_params<float>();
  p.windows = TINYAD_COMMISSION_WINDOWS;
  tinyad_commission_reset(&commission, TINYAD_MODEL_N_FEATURES, p, commission_windows);
  Serial.println("tinyad: commissioning: keep the machine running normally");
}
#endif

static void alarm(bool on) { digitalWrite(BUZZER_PIN, on ? HIGH : LOW); }

static void log_verdict(const char* mode, tinyad_status st, float score, float threshold, bool anomaly) {
  Serial.print(mode);
  if (st != TINYAD_STATUS_OK) {
    Serial.print(" error: ");
    Serial.println(tinyad_status_str(st));
    return;
  }
  Serial.print(" score ");
  Serial.print(score, 4);
  Serial.print(" threshold ");
  Serial.print(threshold, 4);
  Serial.println(anomaly ? " ANOMALY" : " normal");
}

void setup() {
  Serial.begin(115200);
  pinMode(BUZZER_PIN, OUTPUT);
  pinMode(BOOT_LEARN_PIN, INPUT_PULLUP);
  alarm(false);
  if (!msa.begin()) {
    Serial.println("tinyad: MSA301 not found");
    while (true) delay(1000);
  }
  tinyad_window_init(&window, rows, TINYAD_MODEL_WINDOW);
  // The Hann window and FFT twiddles once, not every window (same bits).
  tinyad_features_prepare(&tinyad_model_recipe, scratch, TINYAD_MODEL_SCRATCH);
#ifdef TINYAD_LEARN_ONLY
  learning = true;
#else
  learning = digitalRead(BOOT_LEARN_PIN) == LOW;
#endif
  if (learning) {
    tinyad_learner_init(&learner, TINYAD_MODEL_N_FEATURES, learn_mean, learn_m2, learn_precision, LEARN_WINDOWS,
                        CALIBRATE_WINDOWS, 3.0f);
    Serial.println("tinyad: learn mode: keep the machine running normally");
  }
#ifdef TINYAD_COMMISSION
  if (!learning) commission_start();
#endif
  next_sample_us = micros();
}

void loop() {
  if (int32_t(micros() - next_sample_us) < 0) return;
  next_sample_us += SAMPLE_US;
  sensors_event_t e;
  msa.getEvent(&e);  // m/s^2; the model works in g
  const float g = float(SENSORS_GRAVITY_STANDARD);
  if (!tinyad_window_push(&window, e.acceleration.x / g, e.acceleration.y / g, e.acceleration.z / g)) return;

  if (learning) {
    const tinyad_status st = tinyad_window_take_features<float, TINYAD_MODEL_GROUPS, true>(
        &tinyad_model_recipe, &window, features, TINYAD_MODEL_N_FEATURES, scratch, TINYAD_MODEL_SCRATCH).status;
    float score = 0;
    bool anomaly = false;
    const uint8_t phase = learner.phase;
    const tinyad_status ls = st == TINYAD_STATUS_OK ? tinyad_learner_add(&learner, features, &score, &anomaly) : st;
    if (phase == TINYAD_PHASE_LEARN) {
      Serial.print("tinyad: learning ");
      Serial.print(learner.cov.count);
      Serial.print("/");
      Serial.println(LEARN_WINDOWS);
      if (ls != TINYAD_STATUS_OK) log_verdict("learn", ls, 0, 0, false);
    } else {
      log_verdict(phase == TINYAD_PHASE_CALIBRATE ? "calibrate" : "learned", ls, score, learner.threshold, anomaly);
    }
    alarm(anomaly);
    return;
  }
#ifndef TINYAD_LEARN_ONLY
  static const tinyad_mahalanobis_detector<float> detector = {
      &tinyad_model_recipe, {TINYAD_MODEL_N_FEATURES, tinyad_model_mean, tinyad_model_precision},
      tinyad_model_threshold, features, scratch, TINYAD_MODEL_SCRATCH};
  const tinyad_verdict<float> v = tinyad_mahalanobis_window_verdict<float, TINYAD_MODEL_GROUPS, true, true>(&detector, &window);
#ifdef TINYAD_COMMISSION
  // `features` holds this window's features: commission on them, or judge
  // them by the own baseline and follow drift when well inside it.
  if (v.status == TINYAD_STATUS_OK && commission.phase == TINYAD_COMMISSION_MONITORING) {
    float score = 0;
    bool anomaly = false;
    const tinyad_status st = tinyad_commission_score(&commission, features, &score, &anomaly);
    if (st == TINYAD_STATUS_OK) tinyad_commission_track(&commission, features, score);
    log_verdict("own", st, score, commission.threshold, anomaly);
    alarm(anomaly);
    return;
  }
  if (v.status == TINYAD_STATUS_OK && tinyad_commission_add(&commission, features) == TINYAD_STATUS_OK) {
    Serial.print("tinyad: commissioning ");
    Serial.print(commission.count);
    Serial.print("/");
    Serial.println(uint32_t(TINYAD_COMMISSION_WINDOWS));
    if (commission.count == TINYAD_COMMISSION_WINDOWS &&
        tinyad_commission_finalize(&commission, tinyad_model_fleet_sd) != TINYAD_STATUS_OK)
      commission_start();  // K identical windows (a silent sensor): again
  }
#endif
  log_verdict("model", v.status, v.score, tinyad_model_threshold, v.anomaly);
  alarm(v.anomaly);
#endif
}
