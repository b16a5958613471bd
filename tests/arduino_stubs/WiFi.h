// WiFi.h (test stub): ESP32 WiFi and WiFiClient on POSIX sockets. The
// network is always up; connect() goes to 127.0.0.1 and the port in the
// environment variable TINYAD_STUB_SERVER_PORT when it is set (the sketch's
// configured address is a LAN address that does not exist in a test).
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stdlib.h>
#include <string.h>

#include "Arduino.h"

#define WL_CONNECTED 3

// How many POST requests sketches sent (the host runner stops on it).
inline unsigned long tinyad_stub_posts = 0;

struct TinyadStubWiFi {
  void begin(const char*, const char*) {}
  int status() const { return WL_CONNECTED; }
};
inline TinyadStubWiFi WiFi;

class WiFiClient {
 public:
  int connect(const char* host, int port) {
    stop();
    const char* p = getenv("TINYAD_STUB_SERVER_PORT");
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)(p ? atoi(p) : port));
    if (inet_pton(AF_INET, p ? "127.0.0.1" : host, &a.sin_addr) != 1) return 0;
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    if (fd_ < 0 || ::connect(fd_, (sockaddr*)&a, sizeof a) != 0) {
      stop();
      return 0;
    }
    return 1;
  }
  size_t print(const char* s) {
    if (strncmp(s, "POST ", 5) == 0) ++tinyad_stub_posts;
    return write((const uint8_t*)s, strlen(s));
  }
  size_t write(const uint8_t* b, size_t n) {
    size_t off = 0;
    while (fd_ >= 0 && off < n) {
      const ssize_t k = send(fd_, b + off, n - off, MSG_NOSIGNAL);
      if (k <= 0) break;
      off += (size_t)k;
    }
    return off;
  }
  int available() {
    fill();
    return (int)(len_ - pos_);
  }
  int read() {
    fill();
    return pos_ < len_ ? (unsigned char)buf_[pos_++] : -1;
  }
  bool connected() {
    fill();
    return fd_ >= 0 && !eof_;
  }
  void stop() {
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
    pos_ = len_ = 0;
    eof_ = false;
  }
  ~WiFiClient() { stop(); }

 private:
  // Pulls what has arrived, without waiting (like the ESP32's lwIP buffer).
  void fill() {
    if (fd_ < 0 || eof_ || pos_ < len_) return;
    const ssize_t k = recv(fd_, buf_, sizeof buf_, MSG_DONTWAIT);
    if (k > 0) {
      pos_ = 0;
      len_ = (size_t)k;
    } else if (k == 0) {
      eof_ = true;
    }
  }
  int fd_ = -1;
  char buf_[1460];
  size_t pos_ = 0, len_ = 0;
  bool eof_ = false;
};
