// raw_http.h: the tests' HTTP client on plain sockets, one request per
// connection as the firmware does (so nothing a client library adds or
// fixes hides what the server sent): send bytes, optionally in pieces with
// pauses (a slow device), read until the server closes or a timeout.
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

/// Sends `pieces` on a fresh loopback connection to `port` (pausing
/// `pause_ms` after each), reads until the server closes or `timeout_ms`
/// passed, returns what came back ("connect failed" if it could not connect).
inline std::string send_pieces(int port, const std::vector<std::string>& pieces, int pause_ms = 0,
                               int timeout_ms = 5000) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(uint16_t(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return "connect failed";
  }
  for (const std::string& p : pieces) {
    ::send(fd, p.data(), p.size(), MSG_NOSIGNAL);
    if (pause_ms) std::this_thread::sleep_for(std::chrono::milliseconds(pause_ms));
  }
  std::string out;
  char buf[4096];
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
    pollfd p{fd, POLLIN, 0};
    if (left <= 0 || ::poll(&p, 1, int(left)) <= 0) break;
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    out.append(buf, size_t(n));
  }
  ::close(fd);
  return out;
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

inline std::string get_request(const std::string& target) {
  return "GET " + target + " HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";
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
