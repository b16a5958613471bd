// raw_http.h: the tests' HTTP client on plain sockets, one request per
// connection as the firmware does (so nothing a client library adds or
// fixes hides what the server sent): send bytes, optionally in pieces with
// pauses (a slow device), read until the server closes or a timeout. The
// lower layer (connect_loopback, read_until, read_to_close) is for tests that
// hold a connection open: kept-alive requests, event streams, a window half
// sent while the server drains. Avoids: gtest, so a helper cannot end a test;
// the caller asserts on what it returns.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

namespace tinyad::test {

/// A TCP connection to 127.0.0.1:`port`; the socket, or -1 when nothing
/// accepts there. `rcvbuf` > 0 sets SO_RCVBUF before connecting (a client that
/// reads slowly: the kernel then buffers little on its side).
inline int connect_loopback(int port, int rcvbuf = 0) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (rcvbuf > 0) ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(uint16_t(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

/// Waits (until `end` at the latest) for data on `fd` and appends one read
/// to *out: 1 when it read something, 0 when the peer closed, -1 when time ran out.
inline int recv_before(int fd, std::chrono::steady_clock::time_point end, std::string* out) {
  const auto left =
      std::chrono::duration_cast<std::chrono::milliseconds>(end - std::chrono::steady_clock::now()).count();
  pollfd p{fd, POLLIN, 0};
  if (left <= 0 || ::poll(&p, 1, int(left)) <= 0) return -1;
  char buf[16384];
  const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
  if (n <= 0) return 0;
  out->append(buf, size_t(n));
  return 1;
}

/// Appends what `fd` receives to *out until `until` is in it (true), the peer
/// closes first (true only if `until` arrived), or `timeout_ms` passed (false).
inline bool read_until(int fd, std::string* out, const std::string& until, int timeout_ms = 3000) {
  const auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  size_t from = 0;  // only the tail can hold a new match (streams read megabytes)
  while (out->find(until, from) == std::string::npos) {
    from = out->size() > until.size() ? out->size() - until.size() : 0;
    const int got = recv_before(fd, end, out);
    if (got < 0) return false;
    if (got == 0) return out->find(until) != std::string::npos;
  }
  return true;
}

/// Appends what `fd` receives to *out until the peer closes (true) or
/// `timeout_ms` passed (false).
inline bool read_to_close(int fd, std::string* out, int timeout_ms = 3000) {
  const auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    const int got = recv_before(fd, end, out);
    if (got <= 0) return got == 0;
  }
}

/// Sends `pieces` on a fresh loopback connection to `port` (pausing
/// `pause_ms` after each), reads until the server closes or `timeout_ms`
/// passed, returns what came back ("connect failed" if it could not connect).
inline std::string send_pieces(int port, const std::vector<std::string>& pieces, int pause_ms = 0,
                               int timeout_ms = 5000) {
  const int fd = connect_loopback(port);
  if (fd < 0) return "connect failed";
  for (const std::string& p : pieces) {
    ::send(fd, p.data(), p.size(), MSG_NOSIGNAL);
    if (pause_ms) std::this_thread::sleep_for(std::chrono::milliseconds(pause_ms));
  }
  std::string out;
  read_to_close(fd, &out, timeout_ms);
  ::close(fd);
  return out;
}

/// Like send_request, but says whether the server closed the connection
/// within `timeout_ms` (false too when it could not connect); *reply gets
/// what came back either way.
inline bool send_to_close(int port, const std::string& request, std::string* reply, int timeout_ms = 3000) {
  const int fd = connect_loopback(port);
  if (fd < 0) return false;
  ::send(fd, request.data(), request.size(), MSG_NOSIGNAL);
  const bool closed = read_to_close(fd, reply, timeout_ms);
  ::close(fd);
  return closed;
}

/// One whole request on a fresh connection; the reply.
inline std::string send_request(int port, const std::string& request) {
  return send_pieces(port, std::vector<std::string>{request});
}

/// A device's POST / of a JSON window, Connection: close.
inline std::string post_request(const std::string& body, const std::string& extra_headers = "") {
  return "POST / HTTP/1.1\r\nHost: t\r\nConnection: close\r\nContent-Type: application/json\r\n" + extra_headers +
         "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

inline std::string get_request(const std::string& target, const std::string& extra_headers = "") {
  return "GET " + target + " HTTP/1.1\r\nHost: t\r\nConnection: close\r\n" + extra_headers + "\r\n";
}

/// A browser's EventSource GET of `target`: kept alive, the server streams.
inline std::string event_stream_request(const std::string& target = "/events") {
  return "GET " + target + " HTTP/1.1\r\nHost: t\r\nAccept: text/event-stream\r\n\r\n";
}

/// The status code of a raw reply, -1 if there is none.
inline int status_of(const std::string& reply) {
  return reply.rfind("HTTP/1.1 ", 0) == 0 && reply.size() > 12 ? std::atoi(reply.c_str() + 9) : -1;
}

/// The body of a raw reply (after the blank line), "" if there is none.
inline std::string body_of(const std::string& reply) {
  const size_t at = reply.find("\r\n\r\n");
  return at == std::string::npos ? "" : reply.substr(at + 4);
}

}  // namespace tinyad::test
