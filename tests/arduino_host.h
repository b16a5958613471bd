// arduino_host.h: what the host runner of a sketch can see of the Arduino
// stubs' host implementation (tests/arduino_host.cpp).
#pragma once

// POST requests the sketch has sent so far (the runner stops on a count).
extern unsigned long tinyad_stub_posts;
