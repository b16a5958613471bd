// http_stream.h: server-sent events (text/event-stream) for HttpServer. A
// handler answers with a stream by subscribing to an HttpStreamHub and
// putting the subscription in HttpResponse::stream; the server then keeps the
// connection, writes the headers and whatever the hub publishes. publish() is
// thread-safe and never waits for a socket: each subscriber has a bounded
// buffer, and a subscriber whose buffer is full (a client that stopped
// reading) is dropped, so one slow browser cannot hold up the service.
// What it avoids: per-subscriber filtering, replay (Last-Event-ID) and
// chunked transfer encoding (the stream ends when the connection closes).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace tinyad {

/// One subscribed connection's pending bytes. Shared by the hub (which
/// appends) and the server loop owning the connection (which takes and
/// writes); every member is guarded by `mutex`.
struct HttpStream {
  std::mutex mutex;
  std::shared_ptr<const std::string> first;  // sent before `pending`, shared with other subscribers (a snapshot)
  std::string pending;   // published, not yet handed to the connection
  size_t max_pending = 0;
  bool dropped = false;  // the buffer overflowed: the server closes the connection
  bool closed = false;   // the connection is gone: publish skips and forgets it
  int wake_fd = -1;      // eventfd of the loop that owns the connection (-1: not attached yet)
};

/// The text of one event: "event: NAME\n", one "data: " line per line of
/// `data`, and the blank line that ends the event. NAME is omitted when empty.
std::string sse_event(std::string_view name, std::string_view data);

class HttpStreamHub {
 public:
  /// `max_pending`: bytes a subscriber may have waiting before it is dropped.
  explicit HttpStreamHub(size_t max_pending = 256 << 10) : max_pending_(max_pending) {}

  /// A new subscription whose stream starts with `first` (e.g. a snapshot).
  /// It is registered before this returns, so nothing published after the
  /// call is missed: build `first` and subscribe under the same lock that
  /// orders your publish() calls.
  std::shared_ptr<HttpStream> subscribe(std::string first);
  /// The same, starting with `shared` (not copied: every subscriber of one
  /// snapshot shares it) and then `first`.
  std::shared_ptr<HttpStream> subscribe(std::shared_ptr<const std::string> shared, std::string first);

  /// Appends `bytes` (one or more whole events) to every subscriber.
  void publish(std::string_view bytes);

  /// Subscribers still connected (not dropped, not closed).
  size_t subscribers() const;
  /// Subscribers dropped so far because their buffer was full.
  uint64_t dropped() const { return dropped_.load(); }

 private:
  size_t max_pending_;
  mutable std::mutex mutex_;
  std::vector<std::shared_ptr<HttpStream>> subs_;
  std::atomic<uint64_t> dropped_{0};
};

}  // namespace tinyad
