// http_loop.cpp: see http_loop.h. The functions follow a connection's life:
// the thread body and event dispatch, accepting, reading and parsing,
// replying, event streams, deadlines, draining.
#include "http_loop.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <exception>
#include <thread>
#include <vector>

namespace tinyad {
namespace {

constexpr int kLingerMs = 1000;   // after an error reply: how long to drain what the client still sends
constexpr int kTickMs = 50;       // how often deadlines are checked
constexpr size_t kReadChunk = 64 * 1024;
constexpr int kDrainQuietMs = 500;  // draining: how long a new connection may take to send its first byte
constexpr size_t kMaxRefusing = 256;  // per loop: connections past the limit still getting their 503
constexpr int kAcceptBatch = 32;  // per wake-up, so a burst spreads over the loop threads
constexpr int kMaxEvents = 128;

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

void read_wake_count(int wake_fd) {
  uint64_t count;
  [[maybe_unused]] ssize_t r = ::read(wake_fd, &count, sizeof count);
}

void mark_stream_closed(HttpStream* stream) {
  std::lock_guard<std::mutex> lock(stream->mutex);
  stream->closed = true;
  stream->wake_fd = -1;  // the loop's eventfd may close: publishers must not write to it
}

}  // namespace

// ---- Setup, the thread body and dispatch ----

HttpServer::Loop::Loop(HttpServer& server, int listen_fd)
    : server_(server), listen_fd_(listen_fd), read_buf_(new char[kReadChunk]) {
  epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
  wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLEXCLUSIVE;
  ev.data.fd = listen_fd_;
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, listen_fd_, &ev);
  ev.events = EPOLLIN;
  ev.data.fd = wake_fd_;
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &ev);
}

HttpServer::Loop::~Loop() {
  for (auto& [fd, conn] : conns_) {
    if (conn->stream) mark_stream_closed(conn->stream.get());
    ::close(fd);
  }
  ::close(epoll_fd_);
  ::close(wake_fd_);
}

void HttpServer::Loop::wake() {
  const uint64_t one = 1;
  [[maybe_unused]] ssize_t n = ::write(wake_fd_, &one, sizeof one);
}

void HttpServer::Loop::run() {
  epoll_event events[kMaxEvents];
  int64_t last_sweep = now_ms();
  for (;;) {
    const int n = ::epoll_wait(epoll_fd_, events, kMaxEvents, kTickMs);
    if (n < 0 && errno != EINTR) return;
    for (int i = 0; i < n; ++i)
      if (!dispatch(events[i])) return;
    const int64_t now = now_ms();
    if (now - last_sweep >= kTickMs) {
      last_sweep = now;
      sweep_deadlines(now);
    }
    if (draining_ && conns_.empty()) {
      finish_and_wait_for_stop();
      return;
    }
  }
}

bool HttpServer::Loop::dispatch(const epoll_event& ev) {
  const int fd = ev.data.fd;
  if (fd == wake_fd_) return on_wake();
  if (fd == listen_fd_) {
    accept_ready();
    return true;
  }
  const auto it = conns_.find(fd);
  if (it == conns_.end()) return true;
  Conn* c = it->second.get();
  if (c->phase == Phase::kStream) on_stream_event(c, ev.events);
  else on_connection_event(c, ev.events);
  return true;
}

bool HttpServer::Loop::on_wake() {
  read_wake_count(wake_fd_);
  const int state = server_.state_.load();
  if (state == kStopping) return false;
  if (state == kDraining && !draining_) start_drain();
  // Event streams with news (or dropped by the hub); pump may close its own.
  std::vector<Conn*> streams(stream_conns_.begin(), stream_conns_.end());
  for (Conn* c : streams) pump(c);
  return true;
}

void HttpServer::Loop::on_connection_event(Conn* c, uint32_t events) {
  if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
    // While writing only EPOLLOUT is asked for: a hang-up then ends it.
    if (c->phase == Phase::kWrite && !(events & EPOLLIN)) close_connection(c);
    else on_readable(c);
  } else if (events & EPOLLOUT) {
    on_writable(c);
  }
}

void HttpServer::Loop::on_stream_event(Conn* c, uint32_t events) {
  if (events & (EPOLLHUP | EPOLLERR)) close_connection(c);
  else if (events & EPOLLIN) on_readable(c);
  else if (events & EPOLLOUT) pump(c);
}

// ---- Accepting ----

void HttpServer::Loop::accept_ready() {
  for (int k = 0; k < kAcceptBatch; ++k) {
    sockaddr_storage addr{};
    socklen_t len = sizeof addr;
    const int fd = ::accept4(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if (errno == EMFILE || errno == ENFILE) std::this_thread::sleep_for(std::chrono::milliseconds(1));
      return;
    }
    open_connection(fd, addr);
  }
}

void HttpServer::Loop::open_connection(int fd, const sockaddr_storage& addr) {
  server_.connections_.fetch_add(1, std::memory_order_relaxed);
  const HttpServerOptions& options = server_.options_;
  const bool over = server_.open_.load(std::memory_order_relaxed) >= options.max_connections;
  if (over && refusing_ >= kMaxRefusing) {
    // A flood: not even a 503 for each (the kernel resets these).
    server_.rejected_.fetch_add(1, std::memory_order_relaxed);
    server_.over_limit_.fetch_add(1, std::memory_order_relaxed);
    ::close(fd);
    return;
  }
  // No TCP_NODELAY: every reply is one send(), which Nagle never holds back.
  auto owned = std::make_unique<Conn>();
  Conn* c = owned.get();
  c->fd = fd;
  c->peer.address = peer_name(addr);
  c->deadline = now_ms() + options.request_timeout_ms;
  c->counted = !over;
  if (over) ++refusing_;
  else server_.open_.fetch_add(1, std::memory_order_relaxed);
  conns_.emplace(fd, std::move(owned));
  bool open = true;
  if (over) {
    server_.over_limit_.fetch_add(1, std::memory_order_relaxed);
    open = reject(c, 503, "too many connections: " + std::to_string(options.max_connections) +
                              " are open (the server's limit); try again later");
  } else {
    // The request is usually already here (a board sends it right after
    // connecting): answered and closed, the connection never enters the
    // epoll set, which saves an epoll_ctl per request and its removal in close.
    open = on_readable(c);
  }
  if (open && !c->registered) want(c, EPOLLIN);  // waits for (the rest of) a request
}

// ---- Reading ----

bool HttpServer::Loop::on_readable(Conn* c) {
  if (!receive(c)) return false;
  if (c->phase == Phase::kLinger || c->phase == Phase::kStream) {
    if (!c->eof) return true;
    close_connection(c);
    return false;
  }
  return c->phase != Phase::kRead || parse_and_dispatch(c);
}

bool HttpServer::Loop::receive(Conn* c) {
  // Requests parsed since the last read are dropped here, once, rather than
  // erased one by one (which is quadratic in a long pipeline).
  if (c->in_off > 0) {
    c->in.erase(0, c->in_off);
    c->in_off = 0;
  }
  for (;;) {
    // Into the loop's buffer, then only what came into the connection's:
    // growing the connection's string by a whole chunk per read zeroed 64 KB
    // for every request (a tenth of a window's cost) and kept 64 KB per
    // half-sent request (1000 such clients held 62 MB,
    // bench/serve/connection_memory.sh); copying the bytes received is cheap.
    const ssize_t n = ::recv(c->fd, read_buf_.get(), kReadChunk, 0);
    if (n > 0) {
      if (c->phase == Phase::kLinger || c->phase == Phase::kStream) {
        c->discard_input();  // nothing more is read as a request
      } else {
        if (c->in.empty() && c->served && c->phase == Phase::kRead)
          c->deadline = now_ms() + server_.options_.request_timeout_ms;  // a new request starts: off the idle clock
        c->in.append(read_buf_.get(), size_t(n));
      }
      if (size_t(n) < kReadChunk) return true;
      continue;
    }
    if (n == 0) {
      c->eof = true;
      return true;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return true;
    close_connection(c);  // reset by peer
    return false;
  }
}

void HttpServer::Loop::on_writable(Conn* c) {
  if (flush(c) && c->phase == Phase::kRead && c->has_unread()) parse_and_dispatch(c);
}

// ---- Requests and replies ----

// Parses and answers every complete request not yet read; false when closed.
bool HttpServer::Loop::parse_and_dispatch(Conn* c) {
  while (c->phase == Phase::kRead) {
    if (!c->has_unread()) {
      if (c->eof) {
        close_connection(c);
        return false;
      }
      c->release_input();
      return true;
    }
    const std::string_view data = c->unread();
    if (c->need > data.size() && !c->eof) return true;
    HttpRequest req;
    const HttpParseResult pr = http_parse_request(data, server_.options_.limits, &req);
    if (pr.state == HttpParseState::kError) return reject(c, pr.status, pr.reason);
    if (pr.state == HttpParseState::kIncomplete) return wait_for_rest(c, pr.head_bytes, pr.body_bytes);
    c->need = 0;
    c->in_off += pr.consumed;
    if (!answer(c, req)) return false;
  }
  return true;
}

// An incomplete request: wait for the bytes it still needs, or (the client
// closed its side) say what was missing.
bool HttpServer::Loop::wait_for_rest(Conn* c, size_t head_bytes, size_t body_bytes) {
  c->need = head_bytes ? head_bytes + body_bytes : 0;
  if (!c->eof) return true;
  const std::string got = head_bytes ? "after " + std::to_string(c->unread().size() - head_bytes) + " of the " +
                                           std::to_string(body_bytes) + " body bytes announced by Content-Length"
                                     : "before the end of the request head";
  return reject(c, 400, "connection closed " + got);
}

// Runs the handler for one request and writes its reply (or starts its
// event stream).
bool HttpServer::Loop::answer(Conn* c, const HttpRequest& req) {
  server_.requests_.fetch_add(1, std::memory_order_relaxed);
  HttpResponse resp;
  try {
    resp = server_.handler_(req, c->peer);
  } catch (const std::exception& e) {
    resp = HttpResponse::text(500, std::string("internal error: ") + e.what() + "\n");
    resp.close = true;
  }
  if (resp.stream) {
    if (!draining_) return start_stream(c, resp);
    {
      std::lock_guard<std::mutex> lock(resp.stream->mutex);
      resp.stream->closed = true;
    }
    resp = HttpResponse::text(503, "shutting down\n");
  }
  // After an error the rest of the input may not be a request: answer,
  // say so, and close (draining first, see reply_sent).
  const bool error = resp.status >= 400;
  c->close_after = resp.close || !req.keep_alive || c->eof || error || draining();
  c->linger = c->linger || error;
  if (c->close_after && (req.keep_alive || !resp.bare_head)) resp.headers.emplace_back("Connection", "close");
  c->out = http_format_response(resp, false);
  c->out_body = resp.status < 200 || resp.status == 204 || resp.status == 304 ? nullptr : resp.shared_body;
  c->out_off = 0;
  return flush(c);
}

// Sends an error reply from the server itself and closes after it.
bool HttpServer::Loop::reject(Conn* c, int status, const std::string& reason) {
  server_.rejected_.fetch_add(1, std::memory_order_relaxed);
  if (status == 408) server_.timeouts_.fetch_add(1, std::memory_order_relaxed);
  if (server_.reject_log_) server_.reject_log_(c->peer, status, reason);
  HttpResponse r = HttpResponse::text(status, reason + "\n");
  r.headers.emplace_back("Connection", "close");
  c->out = http_format_response(r);
  c->out_body.reset();
  c->out_off = 0;
  c->close_after = true;
  c->linger = true;
  c->discard_input();
  return flush(c);
}

// One send() of what is left of c->out, then of c->out_body.
ssize_t HttpServer::Loop::send_out(Conn* c) {
  const bool head = c->out_off < c->out.size();
  const std::string& buf = head ? c->out : *c->out_body;
  const size_t at = head ? c->out_off : c->out_off - c->out.size();
  return ::send(c->fd, buf.data() + at, buf.size() - at, MSG_NOSIGNAL);
}

// Writes c->out; false when the connection was closed.
bool HttpServer::Loop::flush(Conn* c) {
  while (c->out_off < c->out_size()) {
    const ssize_t n = send_out(c);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        wait_writable(c);
        return true;
      }
      close_connection(c);
      return false;
    }
    c->out_off += size_t(n);
    // A big reply (the dashboard page) to a slow reader: the deadline is
    // for a stall, not for the whole transfer.
    if (c->phase == Phase::kWrite) c->deadline = now_ms() + server_.options_.request_timeout_ms;
  }
  return reply_sent(c);
}

// The socket is full: wait for EPOLLOUT (and nothing else) to write on.
void HttpServer::Loop::wait_writable(Conn* c) {
  if (c->phase == Phase::kWrite) return;
  c->phase = Phase::kWrite;
  c->deadline = now_ms() + server_.options_.request_timeout_ms;
  want(c, EPOLLOUT);
}

// The whole reply is out: close, linger, or read the next request.
bool HttpServer::Loop::reply_sent(Conn* c) {
  c->out.clear();
  c->out.shrink_to_fit();  // a big reply's buffer is not kept for the next one
  c->out_body.reset();
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
    close_connection(c);
    return false;
  }
  if (c->phase == Phase::kWrite) {
    c->phase = Phase::kRead;
    want(c, EPOLLIN);
  }
  c->served = true;
  // Between requests the idle limit applies; a pipelined request already
  // (partly) here is on the request clock.
  const HttpServerOptions& options = server_.options_;
  c->deadline = now_ms() + (c->has_unread() ? options.request_timeout_ms : options.idle_timeout_ms);
  return true;
}

// ---- Event streams ----

// Turns the connection into an event stream: the head now, events after.
bool HttpServer::Loop::start_stream(Conn* c, const HttpResponse& resp) {
  c->stream = resp.stream;
  c->phase = Phase::kStream;
  c->discard_input();
  c->out = "HTTP/1.1 " + std::to_string(resp.status) + " " + http_status_text(resp.status) +
           "\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\nConnection: close\r\n";
  for (const auto& [k, v] : resp.headers) c->out += k + ": " + v + "\r\n";
  c->out += "\r\n";
  c->out_off = 0;
  {
    std::lock_guard<std::mutex> lock(c->stream->mutex);
    c->out_body = std::move(c->stream->first);  // the shared snapshot, after the head
  }
  c->deadline = now_ms() + server_.options_.stream_heartbeat_ms;
  {
    std::lock_guard<std::mutex> lock(c->stream->mutex);
    c->stream->wake_fd = wake_fd_;
  }
  stream_conns_.insert(c);
  server_.streams_.fetch_add(1, std::memory_order_relaxed);
  return pump(c);
}

// Writes what is waiting, taking more from the hub whenever the last piece
// went out; false when the connection was closed.
bool HttpServer::Loop::pump(Conn* c) {
  for (;;) {
    if (!take_published(c)) {
      close_connection(c);  // it stopped reading: its buffer overflowed
      return false;
    }
    if (c->out_off == c->out_size()) {  // all written, and the hub had nothing more
      if (c->out_wanted) {
        c->out_wanted = false;
        want(c, EPOLLIN);
      }
      return true;
    }
    const ssize_t n = send_out(c);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        if (!c->out_wanted) {
          c->out_wanted = true;
          want(c, EPOLLIN | EPOLLOUT);
        }
        return true;
      }
      close_connection(c);
      return false;
    }
    c->out_off += size_t(n);
    c->sent += uint64_t(n);
  }
}

// Once c->out is all written, swaps in what the hub published meanwhile.
bool HttpServer::Loop::take_published(Conn* c) {
  std::lock_guard<std::mutex> lock(c->stream->mutex);
  if (c->stream->dropped) return false;
  if (c->out_off == c->out_size()) {
    c->out.clear();
    c->out_body.reset();
    c->out_off = 0;
    c->out.swap(c->stream->pending);
  }
  return true;
}

// ---- Deadlines ----

void HttpServer::Loop::sweep_deadlines(int64_t now) {
  std::vector<Conn*> expired;  // on_deadline may close (and destroy) a connection
  for (auto& [fd, c] : conns_)
    if (c->deadline <= now) expired.push_back(c.get());
  for (Conn* c : expired) on_deadline(c);
}

void HttpServer::Loop::on_deadline(Conn* c) {
  if (c->phase == Phase::kStream) {
    stream_heartbeat(c);
    return;
  }
  if (c->phase != Phase::kRead) {
    close_connection(c);  // a reply not taken, or the linger after an error is over
    return;
  }
  if (!c->has_unread() && (c->served || draining_)) {
    // Idle keep-alive connection: nothing was asked. (Draining: a new
    // connection that sent nothing within kDrainQuietMs.)
    if (c->served) server_.idle_closed_.fetch_add(1, std::memory_order_relaxed);
    close_connection(c);
    return;
  }
  reject(c, 408, "timed out after " + seconds_text(server_.options_.request_timeout_ms) + ": " + timeout_reason(c));
}

void HttpServer::Loop::stream_heartbeat(Conn* c) {
  if (c->out_off < c->out_size() && c->sent == c->sent_at_tick) {
    close_connection(c);  // not a byte taken for a whole heartbeat interval: gone or stuck
    return;
  }
  c->sent_at_tick = c->sent;
  c->deadline = now_ms() + server_.options_.stream_heartbeat_ms;
  if (c->out_off == c->out_size()) {
    c->out_body.reset();
    c->out = ":\n\n";  // an SSE comment: browsers ignore it
    c->out_off = 0;
    pump(c);
  }
}

// How far a timed-out request got.
std::string HttpServer::Loop::timeout_reason(const Conn* c) const {
  if (!c->has_unread()) return "no request received";
  // Parsed again only to say how far the request got.
  const std::string_view data = c->unread();
  HttpRequest req;
  const HttpParseResult pr = http_parse_request(data, server_.options_.limits, &req);
  return pr.head_bytes ? "got " + std::to_string(data.size() - pr.head_bytes) + " of the " +
                             std::to_string(pr.body_bytes) + " body bytes announced by Content-Length"
                       : "the request head is incomplete (" + std::to_string(data.size()) + " bytes)";
}

// ---- Draining and stopping ----

// Also true before this loop saw the wake-up: a reply formatted meanwhile
// already says Connection: close.
bool HttpServer::Loop::draining() const {
  return draining_ || server_.state_.load(std::memory_order_relaxed) != kRunning;
}

// Draining starts: take what waits in the backlog, let go of the listener,
// end event streams and idle connections; requests under way go on.
void HttpServer::Loop::start_drain() {
  draining_ = true;
  if (listen_fd_ >= 0) release_listener();
  end_quiet_connections();
}

void HttpServer::Loop::release_listener() {
  accept_ready();
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, listen_fd_, nullptr);
  listen_fd_ = -1;
  std::lock_guard<std::mutex> lock(server_.drain_mutex_);
  ++server_.listeners_released_;
  server_.drain_cv_.notify_all();
}

void HttpServer::Loop::end_quiet_connections() {
  const int64_t quiet = now_ms() + kDrainQuietMs;
  std::vector<Conn*> all;  // closing destroys connections: not while iterating conns_
  for (auto& [fd, c] : conns_) all.push_back(c.get());
  for (Conn* c : all) {
    if (c->phase == Phase::kStream) {
      if (pump(c)) close_connection(c);  // what is buffered goes out first, best effort
    } else if (c->phase == Phase::kRead && !c->has_unread()) {
      if (c->served) close_connection(c);
      else c->deadline = std::min(c->deadline, quiet);
    }
  }
}

// Drained: tell drain(), then wait for stop() (drain() calls it) without spinning.
void HttpServer::Loop::finish_and_wait_for_stop() {
  {
    std::lock_guard<std::mutex> lock(server_.drain_mutex_);
    ++server_.loops_done_;
    server_.drain_cv_.notify_all();
  }
  while (server_.state_.load() != kStopping) {
    epoll_event ev;
    ::epoll_wait(epoll_fd_, &ev, 1, kTickMs);
    read_wake_count(wake_fd_);
  }
}

void HttpServer::Loop::close_connection(Conn* c) {
  if (c->stream) {
    mark_stream_closed(c->stream.get());
    stream_conns_.erase(c);
    server_.streams_.fetch_sub(1, std::memory_order_relaxed);
  }
  if (c->counted) server_.open_.fetch_sub(1, std::memory_order_relaxed);
  else --refusing_;
  ::close(c->fd);      // also leaves the epoll set: the descriptor is never duplicated
  conns_.erase(c->fd);  // destroys *c
}

// Sets the events the connection waits for; the first call adds it to the
// epoll set (open_connection leaves a connection answered at once out).
void HttpServer::Loop::want(Conn* c, uint32_t events) {
  epoll_event ev{};
  ev.events = events;
  ev.data.fd = c->fd;
  ::epoll_ctl(epoll_fd_, c->registered ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, c->fd, &ev);
  c->registered = true;
}

}  // namespace tinyad
