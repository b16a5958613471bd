// http_loop.h: one event-loop thread of HttpServer (internal: only
// http_server.cpp and http_loop.cpp include it). Each loop has its own epoll
// set; the listening socket is in all of them with EPOLLEXCLUSIVE so one
// thread wakes per new connection, and an eventfd lets stop(), drain() and
// event-stream publishers wake it. Level-triggered events keep it simple:
// read what is there, parse, answer, or wait for more.
//
// A connection is in one phase at a time, and each transition is a member
// function below:
//   kRead   --parse_and_dispatch--> reply written at once: stays kRead
//           --flush (socket full)--> kWrite --on_writable--> kRead
//           --reject / error reply--> kLinger (drain input, then close)
//           --start_stream--> kStream (until the client or the hub ends it)
// and close_connection() ends any of them. Nested in HttpServer so it can
// count into the server's statistics and read its options and state.
#pragma once

#include <sys/epoll.h>
#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "http_server.h"

namespace tinyad {

class HttpServer::Loop {
 public:
  /// Creates the epoll set (with `listen_fd`, which the server owns) and the
  /// eventfd.
  Loop(HttpServer& server, int listen_fd);
  /// Closes what is left once the thread has ended: connections (their event
  /// streams marked closed), the epoll set and the eventfd.
  ~Loop();
  Loop(const Loop&) = delete;
  Loop& operator=(const Loop&) = delete;

  /// The thread body: serves until the server stops.
  void run();
  /// Wakes the thread (any thread may call it) to look at the server's state.
  void wake();

 private:
  // kStream: an event stream (out holds what is being written, the rest
  // waits in stream->pending).
  enum class Phase { kRead, kWrite, kLinger, kStream };
  struct Conn {
    int fd = -1;
    HttpPeer peer;
    std::string in;        // received; bytes before in_off are consumed
    size_t in_off = 0;     // parsed requests are skipped, not erased: in is compacted once per read
    std::string out;       // reply not yet written
    size_t out_off = 0;    // into out, then on into out_body
    std::shared_ptr<const std::string> out_body;  // a shared body sent after `out` (HttpResponse::shared_body)
    int64_t deadline = 0;  // ms (steady clock)
    Phase phase = Phase::kRead;
    bool close_after = false;  // close once `out` is written
    bool served = false;       // answered at least one request (idle keep-alive closes quietly)
    bool eof = false;          // the client shut down its side
    bool linger = false;       // drain input before closing (after an error reply)
    size_t need = 0;           // unread bytes needed before parsing again (0: parse now)
    bool counted = true;       // counts against max_connections (not: refused with 503)
    bool out_wanted = false;   // kStream: EPOLLOUT is in the interest set
    bool registered = false;   // in the epoll set (see want)
    uint64_t sent = 0, sent_at_tick = 0;  // kStream: bytes written, and at the last heartbeat
    std::shared_ptr<HttpStream> stream;

    std::string_view unread() const { return std::string_view(in).substr(in_off); }
    bool has_unread() const { return in_off < in.size(); }
    void discard_input() {
      in.clear();
      in_off = 0;
    }
    // Everything read was answered: give the read buffer back (an idle
    // kept-alive connection should not hold a large request's buffer).
    void release_input() {
      std::string().swap(in);
      in_off = 0;
    }
    size_t out_size() const { return out.size() + (out_body ? out_body->size() : 0); }
  };

  // Events from epoll (all return false / close the connection as noted).
  bool dispatch(const epoll_event& ev);  // false: the server is stopping
  bool on_wake();                        // false: the server is stopping
  void accept_ready();
  void open_connection(int fd, const sockaddr_storage& addr);
  void on_connection_event(Conn* c, uint32_t events);
  void on_stream_event(Conn* c, uint32_t events);
  bool on_readable(Conn* c);  // false when the connection was closed
  bool receive(Conn* c);  // false when the connection was closed
  void on_writable(Conn* c);

  // Requests and replies; false when the connection was closed.
  bool parse_and_dispatch(Conn* c);
  bool wait_for_rest(Conn* c, size_t head_bytes, size_t body_bytes);
  bool answer(Conn* c, const HttpRequest& req);
  bool reject(Conn* c, int status, const std::string& reason);
  bool flush(Conn* c);
  ssize_t send_out(Conn* c);
  bool reply_sent(Conn* c);
  void wait_writable(Conn* c);

  // Event streams; false when the connection was closed.
  bool start_stream(Conn* c, const HttpResponse& resp);
  bool pump(Conn* c);
  bool take_published(Conn* c);  // false: the hub dropped this subscriber

  // Deadlines.
  void sweep_deadlines(int64_t now);
  void on_deadline(Conn* c);
  void stream_heartbeat(Conn* c);
  std::string timeout_reason(const Conn* c) const;

  // Draining and stopping.
  void start_drain();
  void release_listener();
  void end_quiet_connections();
  void finish_and_wait_for_stop();
  bool draining() const;

  void close_connection(Conn* c);
  void want(Conn* c, uint32_t events);

  HttpServer& server_;
  int epoll_fd_ = -1;
  int wake_fd_ = -1;    // eventfd: stop, drain, or an event stream has news
  int listen_fd_ = -1;  // the server's socket; -1 once this loop let go of it (draining)
  bool draining_ = false;
  size_t refusing_ = 0;  // uncounted connections (503 on its way)
  std::unique_ptr<char[]> read_buf_;  // every recv() lands here first (kReadChunk bytes)
  std::unordered_map<int, std::unique_ptr<Conn>> conns_;
  std::unordered_set<Conn*> stream_conns_;
};

}  // namespace tinyad
