// arduino_host.cpp: host implementations of the Arduino stub declarations
// (firmware/arduino-stub), so a sketch compiled as C++ runs against a real
// server in a test. Not the Arduino core: time comes from std::chrono, Serial
// writes to stdout, pins do nothing, the network is always up, and connect()
// goes to 127.0.0.1 and the port in TINYAD_STUB_SERVER_PORT when it is set
// (the sketch's configured address is a LAN address that does not exist in
// a test). The MSA301 reads a known signal (gravity on z plus small tones)
// quantised to the 14-bit +-4 g steps of the real sensor, so a test can check
// what reached the server.
#include <Adafruit_MSA301.h>
#include <Arduino.h>
#include <WiFi.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>

#include "arduino_host.h"

unsigned long tinyad_stub_posts = 0;
HardwareSerial Serial;
TwoWire Wire;
WiFiClass WiFi;

namespace {
unsigned long elapsed_us() {
  static const auto t0 = std::chrono::steady_clock::now();
  return (unsigned long)std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0)
      .count();
}
float sensor_step(double g) { return float(std::round(g * 2048) / 2048); }
}  // namespace

unsigned long millis() { return elapsed_us() / 1000; }
unsigned long micros() { return elapsed_us(); }
void delay(unsigned long ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }
void pinMode(uint8_t, uint8_t) {}
void digitalWrite(uint8_t, uint8_t) {}
int digitalRead(uint8_t) { return LOW; }

void HardwareSerial::begin(unsigned long) {}
size_t HardwareSerial::print(const char* s) { return size_t(std::printf("%s", s)); }
size_t HardwareSerial::print(unsigned v) { return size_t(std::printf("%u", v)); }
size_t HardwareSerial::print(unsigned long v) { return size_t(std::printf("%lu", v)); }
size_t HardwareSerial::print(int v) { return size_t(std::printf("%d", v)); }
size_t HardwareSerial::print(double v, int digits) { return size_t(std::printf("%.*f", digits, v)); }
size_t HardwareSerial::println(const char* s) { return size_t(std::printf("%s\n", s)); }
size_t HardwareSerial::println(unsigned v) { return size_t(std::printf("%u\n", v)); }
size_t HardwareSerial::println(unsigned long v) { return size_t(std::printf("%lu\n", v)); }
size_t HardwareSerial::println(double v, int digits) { return size_t(std::printf("%.*f\n", digits, v)); }
int HardwareSerial::printf(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  const int n = std::vprintf(fmt, ap);
  va_end(ap);
  return n;
}

bool TwoWire::begin() { return true; }

bool Adafruit_MSA301::begin(uint8_t, TwoWire*) { return true; }
void Adafruit_MSA301::setRange(msa301_range_t) {}
void Adafruit_MSA301::setResolution(msa301_resolution_t) {}
void Adafruit_MSA301::setDataRate(msa301_dataRate_t) {}
void Adafruit_MSA301::read() {
  const double t = micros() * 1e-6;
  x_g = sensor_step(0.01 * std::sin(2 * M_PI * 80 * t));
  y_g = sensor_step(0.2 + 0.005 * std::sin(2 * M_PI * 5.5 * t));
  z_g = sensor_step(0.98);
}
bool Adafruit_MSA301::getEvent(sensors_event_t* e) {
  read();
  e->acceleration = {x_g * SENSORS_GRAVITY_STANDARD, y_g * SENSORS_GRAVITY_STANDARD, z_g * SENSORS_GRAVITY_STANDARD};
  return true;
}

void WiFiClass::begin(const char*, const char*) {}
int WiFiClass::status() { return WL_CONNECTED; }

WiFiClient::~WiFiClient() { stop(); }

int WiFiClient::connect(const char* host, uint16_t port) {
  stop();
  const char* p = std::getenv("TINYAD_STUB_SERVER_PORT");
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(uint16_t(p ? std::atoi(p) : port));
  if (inet_pton(AF_INET, p ? "127.0.0.1" : host, &a.sin_addr) != 1) return 0;
  fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd_ < 0 || ::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    stop();
    return 0;
  }
  return 1;
}

size_t WiFiClient::print(const char* s) {
  if (std::strncmp(s, "POST ", 5) == 0) ++tinyad_stub_posts;
  return write(reinterpret_cast<const uint8_t*>(s), std::strlen(s));
}

size_t WiFiClient::write(const uint8_t* b, size_t n) {
  size_t off = 0;
  while (fd_ >= 0 && off < n) {
    const ssize_t k = ::send(fd_, b + off, n - off, MSG_NOSIGNAL);
    if (k <= 0) break;
    off += size_t(k);
  }
  return off;
}

int WiFiClient::available() {
  fill();
  return int(len_ - pos_);
}

int WiFiClient::read() {
  fill();
  return pos_ < len_ ? static_cast<unsigned char>(buf_[pos_++]) : -1;
}

bool WiFiClient::connected() {
  fill();
  return fd_ >= 0 && !eof_;
}

void WiFiClient::stop() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  pos_ = len_ = 0;
  eof_ = false;
}

// Pulls what has arrived, without waiting (like the ESP32's lwIP buffer).
void WiFiClient::fill() {
  if (fd_ < 0 || eof_ || pos_ < len_) return;
  const ssize_t k = ::recv(fd_, buf_, sizeof buf_, MSG_DONTWAIT);
  if (k > 0) {
    pos_ = 0;
    len_ = size_t(k);
  } else if (k == 0) {
    eof_ = true;
  }
}
