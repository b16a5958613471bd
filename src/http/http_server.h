// http_server.h: a small HTTP/1.1 server for the device protocol and the
// inference service: a few event-loop threads (epoll) sharing one listening
// socket, each connection owned by one thread, requests parsed by
// http_parse_request and answered by a handler callback. Every reply goes out
// in one write() (the firmware reads only what has already arrived). Limits
// keep it standing under abuse: open connections (503 past the limit), a
// deadline per request (408), an idle limit between keep-alive requests.
// drain() stops without cutting a request short; replies can also be
// server-sent event streams (http_stream.h). What it avoids: chunked bodies,
// TLS, HTTP/2, and per-connection threads.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "http_request.h"
#include "http_stream.h"

namespace tinyad {

struct HttpServerOptions {
  std::string host = "0.0.0.0";  // address to bind; "127.0.0.1" for local only
  int port = 0;                  // 0: the OS picks a free port (see HttpServer::port)
  int threads = 2;               // event-loop threads; handlers run on them
  HttpLimits limits;
  int request_timeout_ms = 5000;  // a request must be complete this long after the connection
                                  // opened (or its first byte arrived): stalled clients get 408;
                                  // a reply not taken for this long (no progress) is dropped
  int idle_timeout_ms = 5000;     // a kept-alive connection with no request under way is closed
                                  // quietly after this long
  int max_connections = 10000;    // open at once (event streams included); past it: 503 and close
  int stream_heartbeat_ms = 15000;  // an event stream with nothing to say gets a comment line
                                    // this often (keeps proxies open, finds dead clients)
};

struct HttpPeer {
  std::string address;  // "127.0.0.1:50312"
};

/// Answers one complete request. Called concurrently from the server's
/// threads: it must be thread-safe. Exceptions become a 500 reply.
using HttpHandler = std::function<HttpResponse(const HttpRequest&, const HttpPeer&)>;

/// Told about every request the server itself refused (parse errors,
/// timeouts, limits) with the status and one-line reason it sent.
using HttpRejectLog = std::function<void(const HttpPeer&, int status, const std::string& reason)>;

struct HttpServerStats {
  uint64_t connections = 0;  // accepted
  uint64_t requests = 0;     // complete requests passed to the handler
  uint64_t rejected = 0;     // refused by the server (4xx/5xx before the handler)
  uint64_t timeouts = 0;     // of which: stalled clients (408)
  uint64_t over_limit = 0;   // of which: refused past max_connections (503)
  uint64_t idle_closed = 0;  // kept-alive connections closed for idling
  uint64_t open = 0;         // connections open now (event streams included)
  uint64_t streams = 0;      // event streams open now
};

class HttpServer {
 public:
  HttpServer(HttpServerOptions options, HttpHandler handler, HttpRejectLog reject_log = nullptr);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  /// Binds, listens and starts the threads. False with "host:port: reason" on
  /// failure (port in use, bad address).
  bool start(std::string* err);
  /// The bound port (the OS's choice when options.port was 0).
  int port() const { return port_; }
  /// The address actually bound, numeric, as the socket reports it:
  /// "0.0.0.0", "::" (dual-stack: IPv4 clients too), "127.0.0.1", "::1".
  const std::string& bound_address() const { return bound_address_; }
  /// Stops accepting, closes every connection and joins the threads. Requests
  /// still being read are dropped; a handler already running finishes first.
  void stop();
  /// Graceful stop: closes the listening socket (new clients are refused),
  /// ends event streams and idle keep-alive connections, lets requests
  /// already under way (being received, handled or written) finish and get
  /// their reply with Connection: close, then stops. Past `timeout_ms` what
  /// is left is cut as by stop(). True when nothing had to be cut.
  bool drain(int timeout_ms);
  HttpServerStats stats() const;

 private:
  class Loop;  // one event-loop thread (http_loop.h)
  void wake_all();
  enum State : int { kRunning, kDraining, kStopping };

  HttpServerOptions options_;
  HttpHandler handler_;
  HttpRejectLog reject_log_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::string bound_address_;
  std::vector<std::unique_ptr<Loop>> loops_;
  std::vector<std::thread> threads_;
  std::atomic<uint64_t> connections_{0}, requests_{0}, rejected_{0}, timeouts_{0}, over_limit_{0}, idle_closed_{0};
  std::atomic<int64_t> open_{0}, streams_{0};
  std::atomic<int> state_{kRunning};
  std::mutex drain_mutex_;  // with drain_cv_: loops report that they let go of the listener / finished
  std::condition_variable drain_cv_;
  int listeners_released_ = 0, loops_done_ = 0;
};

}  // namespace tinyad
