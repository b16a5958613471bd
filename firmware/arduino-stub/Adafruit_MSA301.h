// Adafruit_MSA301.h (stub): the MSA301 accelerometer driver's calls the
// sketches make: collect reads raw g (read(), x_g/y_g/z_g), deploy reads the
// unified sensor event in m/s^2 (getEvent).
#pragma once

#include "Adafruit_Sensor.h"
#include "Wire.h"

typedef enum { MSA301_RANGE_2_G, MSA301_RANGE_4_G, MSA301_RANGE_8_G, MSA301_RANGE_16_G } msa301_range_t;
typedef enum { MSA301_RESOLUTION_14, MSA301_RESOLUTION_12, MSA301_RESOLUTION_10, MSA301_RESOLUTION_8 } msa301_resolution_t;
typedef enum { MSA301_DATARATE_250_HZ = 8, MSA301_DATARATE_500_HZ = 9, MSA301_DATARATE_1000_HZ = 10 } msa301_dataRate_t;

class Adafruit_MSA301 {
 public:
  bool begin(uint8_t i2c_addr = 0x26, TwoWire* wire = &Wire);
  void setRange(msa301_range_t range);
  void setResolution(msa301_resolution_t resolution);
  void setDataRate(msa301_dataRate_t rate);
  void read();
  bool getEvent(sensors_event_t* event);
  float x_g = 0, y_g = 0, z_g = 0;  // the latest read(), in g
};
