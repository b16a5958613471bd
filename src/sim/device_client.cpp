// device_client.cpp: see device_client.h. A tiny WiFiClient look-alike over
// a POSIX socket; the two firmware functions are written against it line by
// line as the original sketch does.
#include "device_client.h"

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <thread>

namespace tinyad {
namespace {

int64_t millis() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

// The parts of Arduino's WiFiClient + Stream the firmware uses.
class FirmwareSocket {
 public:
  ~FirmwareSocket() { stop(); }

  bool connect(const DeviceEndpoint& ep, int timeout_ms) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* res = nullptr;
    if (::getaddrinfo(ep.host.c_str(), std::to_string(ep.port).c_str(), &hints, &res) != 0) return false;
    for (addrinfo* ai = res; ai && fd_ < 0; ai = ai->ai_next) {
      const int fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
      if (fd < 0) continue;
      int rc = ::connect(fd, ai->ai_addr, ai->ai_addrlen);
      if (rc != 0 && errno == EINPROGRESS) {
        pollfd p{fd, POLLOUT, 0};
        int err = 0;
        socklen_t len = sizeof err;
        rc = (::poll(&p, 1, timeout_ms) == 1 && ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == 0)
                 ? 0
                 : -1;
      }
      if (rc != 0) {
        ::close(fd);
        continue;
      }
      const int one = 1;
      ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      fd_ = fd;
    }
    ::freeaddrinfo(res);
    buf_.clear();
    eof_ = false;
    return fd_ >= 0;
  }

  // client.print(): the whole string, blocking.
  bool print(const std::string& s) {
    size_t off = 0;
    while (off < s.size()) {
      const ssize_t n = ::send(fd_, s.data() + off, s.size() - off, MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
          pollfd p{fd_, POLLOUT, 0};
          if (::poll(&p, 1, 1000) <= 0) return false;
          continue;
        }
        return false;
      }
      off += size_t(n);
    }
    return true;
  }

  // client.available(): bytes received and not yet read; never waits.
  size_t available() {
    pull();
    return buf_.size() - pos_;
  }

  // Waits until available() or the deadline; false on timeout. A closed
  // connection never becomes readable again: with `until_deadline` we wait
  // out the deadline anyway, as the board's busy loop does.
  bool wait_available(int64_t deadline, bool until_deadline) {
    while (available() == 0) {
      const int64_t left = deadline - millis();
      if (left <= 0) return false;
      if (eof_) {
        if (until_deadline) std::this_thread::sleep_for(std::chrono::milliseconds(left));
        return false;
      }
      pollfd p{fd_, POLLIN, 0};
      ::poll(&p, 1, int(left));
    }
    return true;
  }

  // Stream::readStringUntil(term): bytes up to (not including) term; stops
  // when no byte comes within the stream timeout (here: or the peer closed).
  std::string read_string_until(char term, int stream_timeout_ms) {
    std::string out;
    for (;;) {
      if (pos_ == buf_.size()) {
        // The board waits out its stream timeout here even when the server
        // has closed; the result is the same, so we return at once.
        if (!wait_available(millis() + stream_timeout_ms, false)) return out;
      }
      const char c = buf_[pos_++];
      if (c == term) return out;
      out.push_back(c);
    }
  }

  void stop() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  void pull() {
    if (pos_ == buf_.size()) {
      buf_.clear();
      pos_ = 0;
    }
    char tmp[4096];
    while (fd_ >= 0 && !eof_) {
      const ssize_t n = ::recv(fd_, tmp, sizeof tmp, MSG_DONTWAIT);
      if (n > 0) {
        buf_.append(tmp, size_t(n));
        continue;
      }
      if (n == 0) eof_ = true;
      else if (errno == EINTR) continue;
      else if (errno != EAGAIN && errno != EWOULDBLOCK) eof_ = true;
      break;
    }
  }

  int fd_ = -1;
  std::string buf_;
  size_t pos_ = 0;
  bool eof_ = false;
};

// Arduino String::trim(): drop whitespace at both ends.
std::string trim(std::string s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return s.substr(b, e - b);
}

}  // namespace

bool device_parse_url(const std::string& url, DeviceEndpoint* out, std::string* err) {
  std::string rest = url;
  if (rest.rfind("https://", 0) == 0) {
    *err = url + ": the device protocol is plain HTTP (the firmware has no TLS); use http://";
    return false;
  }
  if (rest.rfind("http://", 0) == 0) rest = rest.substr(7);
  DeviceEndpoint ep;
  const size_t slash = rest.find('/');
  if (slash != std::string::npos) {
    ep.path = rest.substr(slash);
    rest = rest.substr(0, slash);
  }
  // "[::1]:1337" or "host:1337": the port follows the last ':' outside brackets.
  const size_t bracket = rest.rfind(']');
  const size_t colon = rest.rfind(':');
  if (colon != std::string::npos && (bracket == std::string::npos || colon > bracket) &&
      (rest.front() == '[' || rest.find(':') == colon)) {
    const std::string port = rest.substr(colon + 1);
    char* end = nullptr;
    const long p = std::strtol(port.c_str(), &end, 10);
    if (port.empty() || *end || p < 1 || p > 65535) {
      *err = url + ": expected a port number 1-65535 after ':', got '" + port + "'";
      return false;
    }
    ep.port = int(p);
    rest = rest.substr(0, colon);
  }
  if (rest.size() > 2 && rest.front() == '[' && rest.back() == ']') rest = rest.substr(1, rest.size() - 2);
  if (rest.empty()) {
    *err = url + ": expected http://HOST:PORT";
    return false;
  }
  ep.host = rest;
  *out = ep;
  return true;
}

int firmware_get_flag(const DeviceEndpoint& ep, const FirmwareTiming& timing, std::string* trace) {
  FirmwareSocket client;
  if (!client.connect(ep, timing.connect_timeout_ms)) {
    if (trace) *trace = "connect failed";
    return -1;
  }
  client.print("GET " + ep.path + " HTTP/1.1\r\nHost: " + ep.host + "\r\nConnection: close\r\n\r\n");
  // Wait for up to the timeout for the first byte.
  if (!client.wait_available(millis() + timing.response_timeout_ms, true)) {
    if (trace) *trace = "GET response timeout";
    return -1;
  }
  // The header takes four lines: throw them away, but only what has arrived.
  for (int i = 0; i < 4; ++i) {
    if (client.available() == 0) {
      if (trace) *trace += "[line " + std::to_string(i + 1) + " not available]";
      return -1;
    }
    const std::string line = client.read_string_until('\r', timing.stream_timeout_ms);
    if (trace) *trace += "[" + line + "]";
  }
  if (client.available() == 0) {
    if (trace) *trace += "[flag not available]";
    return -1;
  }
  const std::string resp = trim(client.read_string_until('\r', timing.stream_timeout_ms));
  if (trace) *trace += "{" + resp + "}";
  client.stop();
  if (resp == "0") return 0;
  if (resp == "1") return 1;
  return -1;
}

FirmwarePost firmware_post(const DeviceEndpoint& ep, const FirmwareTiming& timing, const std::string& json,
                           const std::string& device_id) {
  FirmwarePost r;
  FirmwareSocket client;
  if (!client.connect(ep, timing.connect_timeout_ms)) return r;
  std::string head = "POST " + ep.path + " HTTP/1.1\r\nHost: " + ep.host + "\r\nConnection: close\r\n";
  if (!device_id.empty()) head += "X-Device-Id: " + device_id + "\r\n";
  head += "Content-Type: application/json\r\nContent-Length: " + std::to_string(json.size()) + "\r\n\r\n";
  // Two writes, as the firmware: the header with print(), then serializeJson().
  if (!client.print(head) || !client.print(json)) {
    r.result = -1;
    return r;
  }
  if (!client.wait_available(millis() + timing.response_timeout_ms, true)) {
    r.result = -1;
    return r;
  }
  bool first = true;
  while (client.available() > 0) {
    std::string ln = client.read_string_until('\r', timing.stream_timeout_ms);
    if (first) {
      // "HTTP/1.1 204 No Content"
      if (ln.size() >= 12 && ln.rfind("HTTP/", 0) == 0) r.status = std::atoi(ln.c_str() + 9);
      first = false;
    }
    if (!ln.empty() && ln[0] == '\n') ln.erase(0, 1);
    r.printed += ln;
    r.printed += '\n';
  }
  r.result = 1;
  return r;
}

}  // namespace tinyad
