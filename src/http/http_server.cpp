// http_server.cpp: see http_server.h. Each loop thread has its own epoll set;
// the listening socket is in all of them with EPOLLEXCLUSIVE so one thread
// wakes per new connection. Level-triggered events keep the code simple:
// read what is there, parse, answer, or wait for more. Each loop also has an
// eventfd that stop(), drain() and event-stream publishers write to wake it.
#include "http_server.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <exception>
#include <unordered_map>
#include <unordered_set>

namespace tinyad {
namespace {

constexpr int kLingerMs = 1000;   // after an error reply: how long to drain what the client still sends
constexpr int kTickMs = 50;       // how often deadlines are checked
constexpr size_t kReadChunk = 64 * 1024;
constexpr int kDrainQuietMs = 500;  // draining: how long a new connection may take to send its first byte
constexpr size_t kMaxRefusing = 256;  // per loop: connections past the limit still getting their 503

int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

std::string peer_name(const sockaddr_storage& addr) {
  char host[INET6_ADDRSTRLEN] = "?";
  int port = 0;
  if (addr.ss_family == AF_INET) {
    const auto* a = reinterpret_cast<const sockaddr_in*>(&addr);
    ::inet_ntop(AF_INET, &a->sin_addr, host, sizeof host);
    port = ntohs(a->sin_port);
    return std::string(host) + ":" + std::to_string(port);
  }
  if (addr.ss_family == AF_INET6) {
    const auto* a = reinterpret_cast<const sockaddr_in6*>(&addr);
    ::inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof host);
    port = ntohs(a->sin6_port);
    return "[" + std::string(host) + "]:" + std::to_string(port);
  }
  return "unknown";
}

std::string seconds_text(int ms) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g s", ms / 1000.0);
  return buf;
}

}  // namespace

struct HttpServer::Loop {
  // kStream: an event stream (out holds what is being written, the rest
  // waits in stream->pending).
  enum class Phase { kRead, kWrite, kLinger, kStream };
  struct Conn {
    int fd = -1;
    HttpPeer peer;
    std::string in;        // received, not yet consumed
    std::string out;       // reply not yet written
    size_t out_off = 0;
    int64_t deadline = 0;  // ms (steady clock)
    Phase phase = Phase::kRead;
    bool close_after = false;  // close once `out` is written
    bool served = false;       // answered at least one request (idle keep-alive closes quietly)
    bool eof = false;          // the client shut down its side
    bool linger = false;       // drain input before closing (after an error reply)
    size_t need = 0;           // bytes `in` must hold before parsing again (0: parse now)
    bool counted = true;       // counts against max_connections (not: refused with 503)
    bool out_wanted = false;   // kStream: EPOLLOUT is in the interest set
    uint64_t sent = 0, sent_at_tick = 0;  // kStream: bytes written, and at the last heartbeat
    std::shared_ptr<HttpStream> stream;
  };
  int epoll_fd = -1;
  int wake_fd = -1;    // eventfd: stop, drain, or an event stream has news
  int listen_fd = -1;  // this loop's copy; -1 once it let go of the listener (draining)
  bool draining = false;
  size_t refusing = 0;  // uncounted connections (503 on its way)
  std::unordered_map<int, std::unique_ptr<Conn>> conns;
  std::unordered_set<Conn*> streams;
};

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
  state_ = kRunning;
  const int n = options_.threads > 0 ? options_.threads : 1;
  for (int i = 0; i < n; ++i) {
    auto loop = std::make_unique<Loop>();
    loop->epoll_fd = ::epoll_create1(EPOLL_CLOEXEC);
    loop->wake_fd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    loop->listen_fd = listen_fd_;
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLEXCLUSIVE;
    ev.data.fd = listen_fd_;
    ::epoll_ctl(loop->epoll_fd, EPOLL_CTL_ADD, listen_fd_, &ev);
    ev.events = EPOLLIN;
    ev.data.fd = loop->wake_fd;
    ::epoll_ctl(loop->epoll_fd, EPOLL_CTL_ADD, loop->wake_fd, &ev);
    loops_.push_back(std::move(loop));
  }
  for (auto& loop : loops_) threads_.emplace_back([this, l = loop.get()] { run_loop(l); });
  return true;
}

void HttpServer::wake_all() {
  const uint64_t one = 1;
  for (auto& loop : loops_) [[maybe_unused]] ssize_t n = ::write(loop->wake_fd, &one, sizeof one);
}

void HttpServer::stop() {
  state_ = kStopping;
  wake_all();
  for (auto& t : threads_) t.join();
  threads_.clear();
  for (auto& loop : loops_) {
    for (auto& [fd, conn] : loop->conns) {
      if (conn->stream) {
        std::lock_guard<std::mutex> lock(conn->stream->mutex);
        conn->stream->closed = true;
        conn->stream->wake_fd = -1;  // closed below: publishers must not write to it
      }
      ::close(fd);
    }
    ::close(loop->epoll_fd);
    ::close(loop->wake_fd);
  }
  loops_.clear();
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

void HttpServer::run_loop(Loop* loop) {
  using Conn = Loop::Conn;
  using Phase = Loop::Phase;
  const int epfd = loop->epoll_fd;
  auto& conns = loop->conns;

  // Also true before this loop saw the wake-up: a reply formatted meanwhile
  // already says Connection: close.
  auto draining = [&] { return loop->draining || state_.load(std::memory_order_relaxed) != kRunning; };

  auto close_conn = [&](Conn* c) {
    if (c->stream) {
      {
        std::lock_guard<std::mutex> lock(c->stream->mutex);
        c->stream->closed = true;
        c->stream->wake_fd = -1;
      }
      loop->streams.erase(c);
      streams_.fetch_sub(1, std::memory_order_relaxed);
    }
    if (c->counted) open_.fetch_sub(1, std::memory_order_relaxed);
    else --loop->refusing;
    ::close(c->fd);  // also leaves the epoll set: the descriptor is never duplicated
    conns.erase(c->fd);  // destroys *c
  };

  auto want = [&](Conn* c, uint32_t events) {
    epoll_event ev{};
    ev.events = events;
    ev.data.fd = c->fd;
    ::epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &ev);
  };

  // Writes c->out; returns false when the connection was closed.
  auto flush = [&](Conn* c) -> bool {
    while (c->out_off < c->out.size()) {
      const ssize_t n = ::send(c->fd, c->out.data() + c->out_off, c->out.size() - c->out_off, MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
          if (c->phase != Phase::kWrite) {
            c->phase = Phase::kWrite;
            c->deadline = now_ms() + options_.request_timeout_ms;
            want(c, EPOLLOUT);
          }
          return true;
        }
        close_conn(c);
        return false;
      }
      c->out_off += size_t(n);
      // A big reply (the dashboard page) to a slow reader: the deadline is
      // for a stall, not for the whole transfer.
      if (c->phase == Phase::kWrite) c->deadline = now_ms() + options_.request_timeout_ms;
    }
    c->out.clear();
    c->out_off = 0;
    if (draining()) c->close_after = true;
    if (c->close_after) {
      if (c->linger && !c->eof) {
        // After an error the client may still be sending (a body we refused):
        // closing now would reset the connection and could destroy our reply
        // before it is read, so stop writing and drain for a moment first.
        ::shutdown(c->fd, SHUT_WR);
        c->phase = Phase::kLinger;
        c->deadline = now_ms() + kLingerMs;
        want(c, EPOLLIN);
        return true;
      }
      close_conn(c);
      return false;
    }
    if (c->phase == Phase::kWrite) {
      c->phase = Phase::kRead;
      want(c, EPOLLIN);
    }
    c->served = true;
    // Between requests the idle limit applies; a pipelined request already
    // (partly) here is on the request clock.
    c->deadline = now_ms() + (c->in.empty() ? options_.idle_timeout_ms : options_.request_timeout_ms);
    return true;
  };

  // kStream: writes what is waiting, taking more from the hub whenever the
  // last piece went out; false when the connection was closed.
  auto pump = [&](Conn* c) -> bool {
    for (;;) {
      bool dropped;
      {
        std::lock_guard<std::mutex> lock(c->stream->mutex);
        dropped = c->stream->dropped;
        if (!dropped && c->out_off == c->out.size()) {
          c->out.clear();
          c->out_off = 0;
          c->out.swap(c->stream->pending);
        }
      }
      if (dropped) {
        close_conn(c);  // it stopped reading: its buffer overflowed
        return false;
      }
      if (c->out_off == c->out.size()) {
        if (c->out.empty()) {
          if (c->out_wanted) {
            c->out_wanted = false;
            want(c, EPOLLIN);
          }
          return true;
        }
      }
      const ssize_t n = ::send(c->fd, c->out.data() + c->out_off, c->out.size() - c->out_off, MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
          if (!c->out_wanted) {
            c->out_wanted = true;
            want(c, EPOLLIN | EPOLLOUT);
          }
          return true;
        }
        close_conn(c);
        return false;
      }
      c->out_off += size_t(n);
      c->sent += uint64_t(n);
    }
  };

  // Turns the connection into an event stream: the head now, events after.
  auto start_stream = [&](Conn* c, const HttpResponse& resp) -> bool {
    c->stream = resp.stream;
    c->phase = Phase::kStream;
    c->in.clear();
    c->out = "HTTP/1.1 " + std::to_string(resp.status) + " " + http_status_text(resp.status) +
             "\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\nConnection: close\r\n";
    for (const auto& [k, v] : resp.headers) c->out += k + ": " + v + "\r\n";
    c->out += "\r\n";
    c->out_off = 0;
    c->deadline = now_ms() + options_.stream_heartbeat_ms;
    {
      std::lock_guard<std::mutex> lock(c->stream->mutex);
      c->stream->wake_fd = loop->wake_fd;
    }
    loop->streams.insert(c);
    streams_.fetch_add(1, std::memory_order_relaxed);
    return pump(c);
  };

  // Sends an error reply from the server itself and closes after it.
  auto reject = [&](Conn* c, int status, const std::string& reason) -> bool {
    rejected_.fetch_add(1, std::memory_order_relaxed);
    if (status == 408) timeouts_.fetch_add(1, std::memory_order_relaxed);
    if (reject_log_) reject_log_(c->peer, status, reason);
    HttpResponse r = HttpResponse::text(status, reason + "\n");
    r.headers.emplace_back("Connection", "close");
    c->out = http_format_response(r);
    c->out_off = 0;
    c->close_after = true;
    c->linger = true;
    c->in.clear();
    return flush(c);
  };

  // Parses and answers every complete request in c->in; false when closed.
  auto process = [&](Conn* c) -> bool {
    while (c->phase == Phase::kRead) {
      if (c->in.empty()) {
        if (c->eof) {
          close_conn(c);
          return false;
        }
        return true;
      }
      if (c->need > c->in.size() && !c->eof) return true;
      HttpRequest req;
      const HttpParseResult pr = http_parse_request(c->in, options_.limits, &req);
      if (pr.state == HttpParseState::kError) return reject(c, pr.status, pr.reason);
      if (pr.state == HttpParseState::kIncomplete) {
        c->need = pr.head_bytes ? pr.head_bytes + pr.body_bytes : 0;
        if (c->eof) {
          const std::string got =
              pr.head_bytes ? "after " + std::to_string(c->in.size() - pr.head_bytes) + " of the " +
                                  std::to_string(pr.body_bytes) + " body bytes announced by Content-Length"
                            : "before the end of the request head";
          return reject(c, 400, "connection closed " + got);
        }
        return true;
      }
      c->need = 0;
      c->in.erase(0, pr.consumed);
      requests_.fetch_add(1, std::memory_order_relaxed);
      HttpResponse resp;
      try {
        resp = handler_(req, c->peer);
      } catch (const std::exception& e) {
        resp = HttpResponse::text(500, std::string("internal error: ") + e.what() + "\n");
        resp.close = true;
      }
      if (resp.stream) {
        if (!loop->draining) return start_stream(c, resp);
        {
          std::lock_guard<std::mutex> lock(resp.stream->mutex);
          resp.stream->closed = true;
        }
        resp = HttpResponse::text(503, "shutting down\n");
      }
      // After an error the rest of the input may not be a request: answer,
      // say so, and close (draining first, see flush).
      const bool error = resp.status >= 400;
      c->close_after = resp.close || !req.keep_alive || c->eof || error || draining();
      c->linger = c->linger || error;
      if (c->close_after && (req.keep_alive || !resp.bare_head)) resp.headers.emplace_back("Connection", "close");
      c->out = http_format_response(resp);
      c->out_off = 0;
      if (!flush(c)) return false;
    }
    return true;
  };

  auto on_readable = [&](Conn* c) {
    for (;;) {
      // Receive straight into the connection's buffer (no bounce copy).
      const size_t old_size = c->in.size();
      c->in.resize(old_size + kReadChunk);
      const ssize_t n = ::recv(c->fd, c->in.data() + old_size, kReadChunk, 0);
      c->in.resize(old_size + size_t(n > 0 ? n : 0));
      if (n > 0) {
        if (c->phase == Phase::kLinger || c->phase == Phase::kStream) {
          c->in.clear();  // nothing more is read as a request
        } else if (old_size == 0 && c->served && c->phase == Phase::kRead) {
          c->deadline = now_ms() + options_.request_timeout_ms;  // a new request starts: off the idle clock
        }
        if (size_t(n) < kReadChunk) break;
        continue;
      }
      if (n == 0) {
        c->eof = true;
        break;
      }
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      close_conn(c);  // reset by peer
      return;
    }
    if (c->phase == Phase::kLinger || c->phase == Phase::kStream) {
      if (c->eof) close_conn(c);
      return;
    }
    if (c->phase == Phase::kRead) process(c);
  };

  auto on_timeout = [&](Conn* c) {
    if (c->phase == Phase::kStream) {
      if (c->out_off < c->out.size() && c->sent == c->sent_at_tick) {
        close_conn(c);  // not a byte taken for a whole heartbeat interval: gone or stuck
        return;
      }
      c->sent_at_tick = c->sent;
      c->deadline = now_ms() + options_.stream_heartbeat_ms;
      if (c->out_off == c->out.size()) {
        c->out = ":\n\n";  // an SSE comment: browsers ignore it
        c->out_off = 0;
        pump(c);
      }
      return;
    }
    if (c->phase != Phase::kRead) {
      close_conn(c);
      return;
    }
    if (c->in.empty() && (c->served || loop->draining)) {
      // Idle keep-alive connection: nothing was asked. (Draining: a new
      // connection that sent nothing within kDrainQuietMs.)
      if (c->served) idle_closed_.fetch_add(1, std::memory_order_relaxed);
      close_conn(c);
      return;
    }
    std::string what = "no request received";
    if (!c->in.empty()) {
      // Parsed again only to say how far the request got (nothing to parse
      // when none of it arrived).
      HttpRequest req;
      const HttpParseResult pr = http_parse_request(c->in, options_.limits, &req);
      what = pr.head_bytes ? "got " + std::to_string(c->in.size() - pr.head_bytes) + " of the " +
                                 std::to_string(pr.body_bytes) + " body bytes announced by Content-Length"
                           : "the request head is incomplete (" + std::to_string(c->in.size()) + " bytes)";
    }
    reject(c, 408, "timed out after " + seconds_text(options_.request_timeout_ms) + ": " + what);
  };

  auto on_accept = [&] {
    // A bounded batch per wake-up, so a burst spreads over the loop threads.
    for (int k = 0; k < 32; ++k) {
      sockaddr_storage addr{};
      socklen_t len = sizeof addr;
      const int fd = ::accept4(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) {
        if (errno == EINTR || errno == ECONNABORTED) continue;
        if (errno == EMFILE || errno == ENFILE) std::this_thread::sleep_for(std::chrono::milliseconds(1));
        return;
      }
      connections_.fetch_add(1, std::memory_order_relaxed);
      const bool over = open_.load(std::memory_order_relaxed) >= options_.max_connections;
      if (over && loop->refusing >= kMaxRefusing) {
        // A flood: not even a 503 for each (the kernel resets these).
        rejected_.fetch_add(1, std::memory_order_relaxed);
        over_limit_.fetch_add(1, std::memory_order_relaxed);
        ::close(fd);
        continue;
      }
      // No TCP_NODELAY: every reply is one send(), which Nagle never holds back.
      auto c = std::make_unique<Conn>();
      c->fd = fd;
      c->peer.address = peer_name(addr);
      c->deadline = now_ms() + options_.request_timeout_ms;
      c->counted = !over;
      if (over) ++loop->refusing;
      else open_.fetch_add(1, std::memory_order_relaxed);
      epoll_event ev{};
      ev.events = EPOLLIN;
      ev.data.fd = fd;
      ::epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
      Conn* raw = c.get();
      conns.emplace(fd, std::move(c));
      if (over) {
        over_limit_.fetch_add(1, std::memory_order_relaxed);
        reject(raw, 503, "too many connections: " + std::to_string(options_.max_connections) +
                             " are open (the server's limit); try again later");
        continue;
      }
      on_readable(raw);  // the request is often already there
    }
  };

  // Draining starts: take what waits in the backlog, let go of the listener,
  // end event streams and idle connections; requests under way go on.
  auto begin_drain = [&] {
    loop->draining = true;
    if (loop->listen_fd >= 0) {
      on_accept();
      ::epoll_ctl(epfd, EPOLL_CTL_DEL, loop->listen_fd, nullptr);
      loop->listen_fd = -1;
      std::lock_guard<std::mutex> lock(drain_mutex_);
      ++listeners_released_;
      drain_cv_.notify_all();
    }
    const int64_t quiet = now_ms() + kDrainQuietMs;
    std::vector<Conn*> all;
    for (auto& [fd, c] : conns) all.push_back(c.get());
    for (Conn* c : all) {
      if (c->phase == Phase::kStream) {
        if (pump(c)) close_conn(c);  // what is buffered goes out first, best effort
      } else if (c->phase == Phase::kRead && c->in.empty()) {
        if (c->served) close_conn(c);
        else c->deadline = std::min(c->deadline, quiet);
      }
    }
  };

  auto finished = [&] {
    std::lock_guard<std::mutex> lock(drain_mutex_);
    ++loops_done_;
    drain_cv_.notify_all();
  };

  constexpr int kMaxEvents = 128;
  epoll_event events[kMaxEvents];
  int64_t last_scan = now_ms();
  for (;;) {
    const int n = ::epoll_wait(epfd, events, kMaxEvents, kTickMs);
    if (n < 0 && errno != EINTR) break;
    for (int i = 0; i < n; ++i) {
      const int fd = events[i].data.fd;
      if (fd == loop->wake_fd) {
        uint64_t count;
        [[maybe_unused]] ssize_t r = ::read(loop->wake_fd, &count, sizeof count);
        const int state = state_.load();
        if (state == kStopping) return;
        if (state == kDraining && !loop->draining) begin_drain();
        // Event streams with news (or dropped by the hub).
        std::vector<Conn*> streams(loop->streams.begin(), loop->streams.end());
        for (Conn* c : streams) pump(c);
        continue;
      }
      if (fd == loop->listen_fd) {
        on_accept();
        continue;
      }
      const auto it = conns.find(fd);
      if (it == conns.end()) continue;
      Conn* c = it->second.get();
      if (c->phase == Phase::kStream) {
        if (events[i].events & (EPOLLHUP | EPOLLERR)) close_conn(c);
        else if (events[i].events & EPOLLIN) on_readable(c);
        else if (events[i].events & EPOLLOUT) pump(c);
        continue;
      }
      if (events[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
        if (c->phase == Phase::kWrite && !(events[i].events & EPOLLIN)) {
          if (events[i].events & (EPOLLHUP | EPOLLERR)) close_conn(c);
          else if (flush(c) && c->phase == Phase::kRead && !c->in.empty()) process(c);
        } else {
          on_readable(c);
        }
      } else if (events[i].events & EPOLLOUT) {
        if (flush(c) && c->phase == Phase::kRead && !c->in.empty()) process(c);
      }
    }
    const int64_t now = now_ms();
    if (now - last_scan >= kTickMs) {
      last_scan = now;
      std::vector<Conn*> expired;
      for (auto& [fd, c] : conns)
        if (c->deadline <= now) expired.push_back(c.get());
      for (Conn* c : expired) on_timeout(c);
    }
    if (loop->draining && conns.empty()) {
      finished();
      // Wait for stop() (drain() calls it) without spinning.
      while (state_.load() != kStopping) {
        epoll_event ev;
        ::epoll_wait(epfd, &ev, 1, kTickMs);
        uint64_t count;
        [[maybe_unused]] ssize_t r = ::read(loop->wake_fd, &count, sizeof count);
      }
      return;
    }
  }
}

}  // namespace tinyad
