// Arduino.h (stub): the Arduino core declarations tinyad's sketches use, so
// CI can compile-check them without the ESP32 toolchain (for the host and
// for RV32, freestanding: no C library headers here). Declarations only; the
// host implementations that let a test run a sketch are in
// tests/arduino_host.cpp. Types follow the ESP32 core (millis() is unsigned long).
#pragma once

#include <stddef.h>
#include <stdint.h>

#define HIGH 0x1
#define LOW 0x0
#define INPUT 0x01
#define OUTPUT 0x03
#define INPUT_PULLUP 0x05
#define LED_BUILTIN 2
static const uint8_t A1 = 37;  // ESP32 DevKit numbering; only the type matters here

void pinMode(uint8_t pin, uint8_t mode);
void digitalWrite(uint8_t pin, uint8_t val);
int digitalRead(uint8_t pin);
void delay(unsigned long ms);
unsigned long millis();
unsigned long micros();

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
  int printf(const char* fmt, ...) __attribute__((format(printf, 2, 3)));
  explicit operator bool() const { return true; }
};
extern HardwareSerial Serial;
