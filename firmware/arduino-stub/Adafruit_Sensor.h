// Adafruit_Sensor.h (stub): the unified sensor event the sketches read.
#pragma once

#define SENSORS_GRAVITY_STANDARD 9.80665F

struct sensors_vec_t {
  float x, y, z;
};
struct sensors_event_t {
  sensors_vec_t acceleration;  // m/s^2
};
