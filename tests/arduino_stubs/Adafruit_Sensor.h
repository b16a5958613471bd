// Adafruit_Sensor.h (test stub): nothing of the unified sensor API is used.
#pragma once
