// WiFi.h (stub): the ESP32 WiFi and WiFiClient calls the collect sketch
// makes. Declarations only (tests/arduino_host.cpp runs them on POSIX
// sockets for the end-to-end test).
#pragma once

#include "Arduino.h"

#define WL_CONNECTED 3

class WiFiClass {
 public:
  void begin(const char* ssid, const char* password);
  int status();
};
extern WiFiClass WiFi;

class WiFiClient {
 public:
  ~WiFiClient();
  int connect(const char* host, uint16_t port);
  size_t print(const char* s);
  size_t write(const uint8_t* buf, size_t n);
  int available();
  int read();
  bool connected();
  void stop();

 private:
  void fill();
  int fd_ = -1;
  char buf_[1460];
  size_t pos_ = 0, len_ = 0;
  bool eof_ = false;
};
