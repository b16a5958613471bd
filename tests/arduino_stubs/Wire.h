// Wire.h (test stub): I2C is not used directly by the sketches.
#pragma once
