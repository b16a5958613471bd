// Adafruit_MSA301.h (stub): the MSA301 accelerometer driver's calls the
// deploy sketch makes (begin, getEvent).
#pragma once

#include "Adafruit_Sensor.h"
#include "Wire.h"

class Adafruit_MSA301 {
 public:
  bool begin(uint8_t i2c_addr = 0x26, TwoWire* wire = &Wire);
  bool getEvent(sensors_event_t* event);
};
