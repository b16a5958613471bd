// Arduino.h (stub): the few Arduino core declarations tinyad's sketches use,
// so CI can compile-check them without an Arduino toolchain. Declarations
// only: the check compiles, it does not link or run.
#pragma once

#include <stddef.h>
#include <stdint.h>

#define HIGH 0x1
#define LOW 0x0
#define INPUT 0x01
#define OUTPUT 0x03
#define INPUT_PULLUP 0x05
static const uint8_t A1 = 37;  // ESP32 DevKit numbering; only the type matters here

void pinMode(uint8_t pin, uint8_t mode);
void digitalWrite(uint8_t pin, uint8_t val);
int digitalRead(uint8_t pin);
void delay(uint32_t ms);
uint32_t millis();
uint32_t micros();

class HardwareSerial {
 public:
  void begin(unsigned long baud);
  size_t print(const char* s);
  size_t print(unsigned v);
  size_t print(unsigned long v);
  size_t print(int v);
  size_t print(double v, int digits = 2);
  size_t println(const char* s = "");
  size_t println(unsigned v);
  size_t println(unsigned long v);
  size_t println(double v, int digits = 2);
  explicit operator bool() const { return true; }
};
extern HardwareSerial Serial;
