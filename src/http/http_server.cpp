// http_server.cpp: see http_server.h. Binding, the loop threads' lifetime,
// drain and statistics; what each thread does is in http_loop.cpp.
#include "http_server.h"

#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>

#include "http_loop.h"

namespace tinyad {

HttpServer::HttpServer(HttpServerOptions options, HttpHandler handler, HttpRejectLog reject_log)
    : options_(std::move(options)), handler_(std::move(handler)), reject_log_(std::move(reject_log)) {}

HttpServer::~HttpServer() { stop(); }

bool HttpServer::start(std::string* err) {
  const std::string where = options_.host + ":" + std::to_string(options_.port);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* res = nullptr;
  const std::string port_text = std::to_string(options_.port);
  if (const int rc = ::getaddrinfo(options_.host.empty() ? nullptr : options_.host.c_str(), port_text.c_str(),
                                   &hints, &res);
      rc != 0) {
    *err = where + ": " + ::gai_strerror(rc);
    return false;
  }
  std::string last_error = "no address";
  for (addrinfo* ai = res; ai && listen_fd_ < 0; ai = ai->ai_next) {
    const int fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) {
      last_error = std::strerror(errno);
      continue;
    }
    const int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    // `--host ::` means every interface, IPv4 included, whatever the
    // system's net.ipv6.bindv6only says.
    if (ai->ai_family == AF_INET6) {
      const int zero = 0;
      ::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
    }
    if (::bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || ::listen(fd, 4096) != 0) {
      last_error = std::strerror(errno);
      ::close(fd);
      continue;
    }
    listen_fd_ = fd;
  }
  ::freeaddrinfo(res);
  if (listen_fd_ < 0) {
    *err = where + ": " + last_error;
    return false;
  }
  sockaddr_storage bound{};
  socklen_t len = sizeof bound;
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&bound), &len);
  port_ = ntohs(bound.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port
                                            : reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
  char host[NI_MAXHOST] = "?";
  ::getnameinfo(reinterpret_cast<sockaddr*>(&bound), len, host, sizeof host, nullptr, 0, NI_NUMERICHOST);
  bound_address_ = host;
  state_ = kRunning;
  const int n = options_.threads > 0 ? options_.threads : 1;
  for (int i = 0; i < n; ++i) loops_.push_back(std::make_unique<Loop>(*this, listen_fd_));
  for (auto& loop : loops_) threads_.emplace_back([l = loop.get()] { l->run(); });
  return true;
}

void HttpServer::wake_all() {
  for (auto& loop : loops_) loop->wake();
}

void HttpServer::stop() {
  state_ = kStopping;
  wake_all();
  for (auto& t : threads_) t.join();
  threads_.clear();
  loops_.clear();  // closes each loop's connections, epoll set and eventfd
  if (listen_fd_ >= 0) ::close(listen_fd_);
  listen_fd_ = -1;
  open_ = 0;
  streams_ = 0;
}

bool HttpServer::drain(int timeout_ms) {
  if (threads_.empty()) return true;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  const int n = int(loops_.size());
  bool clean = false;
  {
    std::unique_lock<std::mutex> lock(drain_mutex_);
    listeners_released_ = loops_done_ = 0;
    state_ = kDraining;
    wake_all();
    // Close the listener once no loop polls it any more, so new clients are
    // refused at once instead of waiting in the backlog for a reset.
    drain_cv_.wait_until(lock, deadline, [&] { return listeners_released_ == n; });
    if (listeners_released_ == n && listen_fd_ >= 0) {
      ::close(listen_fd_);
      listen_fd_ = -1;
    }
    clean = drain_cv_.wait_until(lock, deadline, [&] { return loops_done_ == n; });
  }
  stop();
  return clean;
}

HttpServerStats HttpServer::stats() const {
  HttpServerStats s;
  s.connections = connections_.load();
  s.requests = requests_.load();
  s.rejected = rejected_.load();
  s.timeouts = timeouts_.load();
  s.over_limit = over_limit_.load();
  s.idle_closed = idle_closed_.load();
  s.open = uint64_t(std::max<int64_t>(0, open_.load()));
  s.streams = uint64_t(std::max<int64_t>(0, streams_.load()));
  return s;
}

}  // namespace tinyad
