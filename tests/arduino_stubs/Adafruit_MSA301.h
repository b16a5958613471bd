// Adafruit_MSA301.h (test stub): the MSA301 accelerometer's API as the
// sketches use it. read() produces a known signal (gravity on z plus small
// tones), quantised to the 14-bit +-4 g steps of the real sensor, so a test
// can check what reached the server.
#pragma once

#include <math.h>

#include "Arduino.h"

typedef enum { MSA301_RANGE_2_G, MSA301_RANGE_4_G, MSA301_RANGE_8_G, MSA301_RANGE_16_G } msa301_range_t;
typedef enum { MSA301_RESOLUTION_14, MSA301_RESOLUTION_12, MSA301_RESOLUTION_10, MSA301_RESOLUTION_8 } msa301_resolution_t;
typedef enum { MSA301_DATARATE_250_HZ = 8, MSA301_DATARATE_500_HZ = 9, MSA301_DATARATE_1000_HZ = 10 } msa301_dataRate_t;

class Adafruit_MSA301 {
 public:
  bool begin() { return true; }
  void setRange(msa301_range_t) {}
  void setResolution(msa301_resolution_t) {}
  void setDataRate(msa301_dataRate_t) {}
  void read() {
    const double t = micros() * 1e-6;
    x_g = step(0.01 * sin(2 * 3.14159265358979 * 80 * t));
    y_g = step(0.2 + 0.005 * sin(2 * 3.14159265358979 * 5.5 * t));
    z_g = step(0.98);
    ++reads;
  }
  float x_g = 0, y_g = 0, z_g = 0;
  unsigned long reads = 0;

 private:
  static float step(double g) { return (float)(round(g * 2048) / 2048); }
};
