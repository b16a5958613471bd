// Wire.h (stub): I2C, only as far as the sketches' headers need it.
#pragma once

#include "Arduino.h"

class TwoWire {
 public:
  bool begin();
};
extern TwoWire Wire;
