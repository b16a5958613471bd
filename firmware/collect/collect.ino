// collect.ino: ESP32 + MSA301 accelerometer board for `tinyad collect`.
// Loop: ask the server whether it wants a window (GET /, flag 1 or 0), record
// TINYAD_WINDOW_READINGS readings at TINYAD_SAMPLE_RATE_HZ, post them as
// {"x":[...],"y":[...],"z":[...]} (g) with Connection: close, print the reply.
// Speaks the original firmware's protocol, so it also works with the original
// Python server; settings live in config.h.
//
// What it avoids: the heap while running (fixed buffers, no String, no JSON
// library: the body is written with snprintf), and drift (readings are
// scheduled on absolute micros() deadlines, not "5 ms after the last one").
#include <Arduino.h>
#include <WiFi.h>
#include <Wire.h>
#include <Adafruit_MSA301.h>
#include <Adafruit_Sensor.h>

#include <stdio.h>
#include <string.h>

#include "config.h"

#if TINYAD_DEBUG
#define LOG(...) Serial.printf(__VA_ARGS__)
#else
#define LOG(...) \
  do {           \
  } while (0)
#endif

static Adafruit_MSA301 msa;
static WiFiClient client;

// One window, g.
static float window_x[TINYAD_WINDOW_READINGS];
static float window_y[TINYAD_WINDOW_READINGS];
static float window_z[TINYAD_WINDOW_READINGS];

// Worst case per reading: "-4.000000," = 10 characters per axis.
static char body[3 * TINYAD_WINDOW_READINGS * 11 + 32];
static char reply[256];

// Blinks `times` times; error codes are visible without a serial cable.
static void blink(int times, int ms) {
  for (int i = 0; i < times; ++i) {
    digitalWrite(LED_BUILTIN, HIGH);
    delay(ms);
    digitalWrite(LED_BUILTIN, LOW);
    delay(ms);
  }
}

// Reads the reply until the server closes or `timeout_ms` passes without a
// byte; keeps the first sizeof(reply)-1 bytes. Returns the bytes kept, -1 if
// nothing came within the first TINYAD_RESPONSE_TIMEOUT_MS.
static int read_reply(unsigned long timeout_ms) {
  unsigned long start = millis();
  while (!client.available()) {
    if (millis() - start > TINYAD_RESPONSE_TIMEOUT_MS) return -1;
    delay(1);
  }
  size_t n = 0;
  unsigned long last = millis();
  while (client.connected() || client.available()) {
    if (client.available()) {
      const int c = client.read();
      if (c >= 0 && n + 1 < sizeof(reply)) reply[n++] = (char)c;
      last = millis();
    } else if (millis() - last > timeout_ms) {
      break;
    } else {
      delay(1);
    }
  }
  reply[n] = '\0';
  return (int)n;
}

// GET /: 1 when the server wants a window, 0 when not, -1 on any failure.
static int server_ready_flag() {
  if (WiFi.status() != WL_CONNECTED) return -1;
  if (!client.connect(TINYAD_SERVER_HOST, TINYAD_SERVER_PORT)) {
    LOG("GET: cannot connect to %s:%d\n", TINYAD_SERVER_HOST, TINYAD_SERVER_PORT);
    return -1;
  }
  client.print("GET / HTTP/1.1\r\nHost: " TINYAD_SERVER_HOST "\r\nConnection: close\r\n\r\n");
  const int n = read_reply(200);
  client.stop();
  if (n < 0) {
    LOG("GET: no reply within %d ms\n", TINYAD_RESPONSE_TIMEOUT_MS);
    blink(3, 100);
    return -1;
  }
  // The flag is the body: what follows the blank line ending the header.
  const char* end_of_head = strstr(reply, "\r\n\r\n");
  if (strncmp(reply, "HTTP/1.", 7) != 0 || !end_of_head) return -1;
  const char* flag = end_of_head + 4;
  while (*flag == ' ' || *flag == '\r' || *flag == '\n') ++flag;
  if (flag[0] == '1') return 1;
  if (flag[0] == '0') return 0;
  return -1;
}

// Records one window on absolute deadlines: reading k is taken at
// start + k * period, so a slow read does not shift the ones after it.
static void record_window() {
  const unsigned long period_us = 1000000UL / TINYAD_SAMPLE_RATE_HZ;
  const unsigned long start = micros();
  for (int k = 0; k < TINYAD_WINDOW_READINGS; ++k) {
    while ((long)(micros() - (start + (unsigned long)k * period_us)) < 0) {
    }
    msa.read();
    window_x[k] = msa.x_g;
    window_y[k] = msa.y_g;
    window_z[k] = msa.z_g;
  }
}

// Appends one axis as "[v,v,...]"; returns the new length or -1 when full.
static int append_axis(int len, const char* key, const float* v) {
  int n = snprintf(body + len, sizeof(body) - (size_t)len, "%s\"%s\":[", len > 1 ? "," : "", key);
  if (n < 0 || len + n >= (int)sizeof(body)) return -1;
  len += n;
  for (int k = 0; k < TINYAD_WINDOW_READINGS; ++k) {
    n = snprintf(body + len, sizeof(body) - (size_t)len, k ? ",%.6f" : "%.6f", (double)v[k]);
    if (n < 0 || len + n >= (int)sizeof(body)) return -1;
    len += n;
  }
  if (len + 1 >= (int)sizeof(body)) return -1;
  body[len++] = ']';
  body[len] = '\0';
  return len;
}

// POSTs the window; returns the HTTP status, or -1.
static int post_window() {
  int len = 1;
  body[0] = '{';
  len = append_axis(len, "x", window_x);
  if (len > 0) len = append_axis(len, "y", window_y);
  if (len > 0) len = append_axis(len, "z", window_z);
  if (len < 0 || len + 2 > (int)sizeof(body)) return -1;
  body[len++] = '}';
  body[len] = '\0';
  if (!client.connect(TINYAD_SERVER_HOST, TINYAD_SERVER_PORT)) {
    LOG("POST: cannot connect\n");
    return -1;
  }
  char head[384];
  const char* token = TINYAD_DEVICE_TOKEN;
  snprintf(head, sizeof(head),
           "POST / HTTP/1.1\r\nHost: %s\r\nConnection: close\r\nX-Device-Id: %s\r\n%s%s%s"
           "Content-Type: application/json\r\nContent-Length: %d\r\n\r\n",
           TINYAD_SERVER_HOST, TINYAD_DEVICE_ID, token[0] ? "X-Device-Token: " : "", token, token[0] ? "\r\n" : "",
           len);
  client.print(head);
  client.write((const uint8_t*)body, (size_t)len);
  const int n = read_reply(200);
  client.stop();
  if (n < 0) {
    LOG("POST: no reply within %d ms\n", TINYAD_RESPONSE_TIMEOUT_MS);
    blink(3, 100);
    return -1;
  }
  int status = -1;
  if (sscanf(reply, "HTTP/1.%*d %d", &status) != 1) status = -1;
  // The first line of the reply, and the reason when the server refused.
  const char* eol = strstr(reply, "\r\n");
  LOG("POST: %.*s\n", eol ? (int)(eol - reply) : n, reply);
  const char* reason = strstr(reply, "\r\n\r\n");
  if (status >= 400 && reason) LOG("  %s", reason + 4);
  return status;
}

void setup() {
#if TINYAD_DEBUG
  Serial.begin(115200);
#endif
  pinMode(LED_BUILTIN, OUTPUT);
  if (!msa.begin()) {
    LOG("no MSA301 found on I2C\n");
    for (;;) blink(1, 50);  // a board without its sensor records nothing
  }
  msa.setRange(MSA301_RANGE_4_G);
  msa.setResolution(MSA301_RESOLUTION_14);
  msa.setDataRate(MSA301_DATARATE_500_HZ);
  WiFi.begin(TINYAD_WIFI_SSID, TINYAD_WIFI_PASSWORD);
  LOG("joining %s", TINYAD_WIFI_SSID);
  while (WiFi.status() != WL_CONNECTED) {
    delay(500);
    LOG(".");
  }
  LOG("\nconnected; server %s:%d\n", TINYAD_SERVER_HOST, TINYAD_SERVER_PORT);
}

void loop() {
  const int flag = server_ready_flag();
  if (flag != 1) {
    delay(flag == 0 ? 200 : 1000);  // not now / no server: ask again later
    return;
  }
  digitalWrite(LED_BUILTIN, HIGH);
  record_window();
  const int status = post_window();
  digitalWrite(LED_BUILTIN, LOW);
  if (status != 204) blink(2, 100);
}
