// firmware_host_main.cpp: runs a firmware sketch on the host against the
// Arduino stubs (firmware/arduino-stub, implemented by tests/arduino_host.cpp):
// setup(), then loop() until the sketch has posted TINYAD_STUB_WINDOWS windows (default 3) or 20 s pass. The
// collect end-to-end test points it at a real `tinyad collect`.
#include <Arduino.h>
#include <WiFi.h>

#include "arduino_host.h"

#include <stdlib.h>

void setup();
void loop();

int main() {
  const char* w = getenv("TINYAD_STUB_WINDOWS");
  const unsigned long windows = w ? strtoul(w, nullptr, 10) : 3;
  setup();
  const unsigned long deadline = millis() + 20000;
  while (millis() < deadline && tinyad_stub_posts < windows) loop();
  return tinyad_stub_posts >= windows ? 0 : 1;
}
