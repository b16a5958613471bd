// Arduino.h (test stub): the few Arduino core calls the firmware sketches
// use, implemented on the host so a sketch compiles as C++ and can run
// against a real server in a test. Not the Arduino core: timing comes from
// std::chrono, Serial writes to stdout, pins do nothing.
#pragma once

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <chrono>
#include <thread>

#define HIGH 1
#define LOW 0
#define OUTPUT 1
#define INPUT 0
#define LED_BUILTIN 2

inline unsigned long tinyad_stub_us() {
  static const auto t0 = std::chrono::steady_clock::now();
  return (unsigned long)std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0)
      .count();
}
inline unsigned long millis() { return tinyad_stub_us() / 1000; }
inline unsigned long micros() { return tinyad_stub_us(); }
inline void delay(unsigned long ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }
inline void pinMode(int, int) {}
inline void digitalWrite(int, int) {}

struct TinyadStubSerial {
  void begin(unsigned long) {}
  explicit operator bool() const { return true; }
  int printf(const char* fmt, ...) __attribute__((format(printf, 2, 3))) {
    va_list ap;
    va_start(ap, fmt);
    const int n = vprintf(fmt, ap);
    va_end(ap);
    return n;
  }
  void print(const char* s) { fputs(s, stdout); }
  void println(const char* s) { puts(s); }
};
inline TinyadStubSerial Serial;
