// http_server_test.cpp: HttpServer's robustness over real loopback sockets,
// in-process: the connection limit (503), the idle limit between kept-alive
// requests (and that a request under way is not idle), drain (requests under
// way answered, idle connections and streams ended, the port closed), and
// server-sent event streams (broadcast to every subscriber, heartbeats, no
// request timeout, a subscriber that stops reading dropped without holding
// up publish() or the others), and requests pipelined in one write (all
// answered, in order).
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <future>
#include <string>
#include <thread>

#include "http_server.h"
#include "http_stream.h"
#include "raw_http.h"

namespace tinyad {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

using test::connect_loopback;
using test::read_to_close;  // 3 s unless told
using test::read_until;     // 3 s unless told

void send_all(int fd, const std::string& s) { ASSERT_EQ(::send(fd, s.data(), s.size(), MSG_NOSIGNAL), ssize_t(s.size())); }

template <typename F>
bool eventually(F f, int timeout_ms = 3000) {
  const auto end = Clock::now() + std::chrono::milliseconds(timeout_ms);
  while (Clock::now() < end) {
    if (f()) return true;
    std::this_thread::sleep_for(5ms);
  }
  return f();
}

const std::string kGet = "GET / HTTP/1.1\r\nHost: t\r\n\r\n";                             // kept alive
const std::string kGetClose = test::get_request("/");

HttpResponse hello(const HttpRequest&, const HttpPeer&) { return HttpResponse::text(200, "hello\n"); }

HttpServerOptions local(int threads = 2) {
  HttpServerOptions o;
  o.host = "127.0.0.1";
  o.threads = threads;
  return o;
}

TEST(HttpServerLimits, ConnectionsPastTheLimitGet503AndClose) {
  HttpServerOptions o = local();
  o.max_connections = 2;
  std::atomic<int> logged{0};
  HttpServer server(o, hello, [&](const HttpPeer&, int status, const std::string&) { logged += status == 503; });
  std::string err;
  ASSERT_TRUE(server.start(&err)) << err;
  const int a = connect_loopback(server.port()), b = connect_loopback(server.port());
  ASSERT_GE(a, 0);
  ASSERT_GE(b, 0);
  ASSERT_TRUE(eventually([&] { return server.stats().open == 2; })) << server.stats().open;
  const int c = connect_loopback(server.port());
  ASSERT_GE(c, 0);
  std::string reply;
  EXPECT_TRUE(read_to_close(c, &reply)) << reply;
  EXPECT_EQ(reply.rfind("HTTP/1.1 503 ", 0), 0u) << reply;
  EXPECT_NE(reply.find("too many connections: 2 are open"), std::string::npos) << reply;
  EXPECT_EQ(std::count(reply.begin() + long(reply.find("\r\n\r\n")), reply.end(), '\n') - 2, 1) << "one line: " << reply;
  ::close(c);
  EXPECT_EQ(server.stats().over_limit, 1u);
  EXPECT_EQ(server.stats().rejected, 1u);
  EXPECT_EQ(logged.load(), 1);
  // The two held connections are served as usual, and a freed slot is reused.
  send_all(a, kGetClose);
  reply.clear();
  EXPECT_TRUE(read_to_close(a, &reply));
  EXPECT_EQ(reply.rfind("HTTP/1.1 200 ", 0), 0u) << reply;
  ::close(a);
  ASSERT_TRUE(eventually([&] { return server.stats().open == 1; }));
  const int d = connect_loopback(server.port());
  send_all(d, kGetClose);
  reply.clear();
  EXPECT_TRUE(read_to_close(d, &reply));
  EXPECT_EQ(reply.rfind("HTTP/1.1 200 ", 0), 0u) << reply;
  ::close(d);
  ::close(b);
  EXPECT_EQ(server.stats().over_limit, 1u);
}

TEST(HttpServerLimits, IdleKeepAliveConnectionsCloseButRequestsUnderWayDoNot) {
  HttpServerOptions o = local(1);
  o.idle_timeout_ms = 250;
  o.request_timeout_ms = 2000;
  HttpServer server(o, hello);
  std::string err;
  ASSERT_TRUE(server.start(&err)) << err;

  // Idle after a reply: closed quietly (no 408) after about the idle limit.
  int fd = connect_loopback(server.port());
  send_all(fd, kGet);
  std::string reply;
  ASSERT_TRUE(read_until(fd, &reply, "hello\n"));
  const auto t0 = Clock::now();
  reply.clear();
  EXPECT_TRUE(read_to_close(fd, &reply, 2000));
  const double waited = std::chrono::duration<double>(Clock::now() - t0).count();
  EXPECT_EQ(reply, "") << "an idle close says nothing";
  EXPECT_GE(waited, 0.2);
  EXPECT_LT(waited, 1.5);
  ::close(fd);
  EXPECT_EQ(server.stats().idle_closed, 1u);

  // A second request that starts before the idle limit and takes longer than
  // it (but less than the request timeout) is answered.
  fd = connect_loopback(server.port());
  send_all(fd, kGet);
  reply.clear();
  ASSERT_TRUE(read_until(fd, &reply, "hello\n"));
  std::this_thread::sleep_for(100ms);
  send_all(fd, "GET / HTTP/1.1\r\n");
  std::this_thread::sleep_for(400ms);  // past the idle limit, measured from the reply
  send_all(fd, "Host: t\r\nConnection: close\r\n\r\n");
  reply.clear();
  EXPECT_TRUE(read_to_close(fd, &reply));
  EXPECT_EQ(reply.rfind("HTTP/1.1 200 ", 0), 0u) << reply;
  ::close(fd);
  EXPECT_EQ(server.stats().idle_closed, 1u);
  EXPECT_EQ(server.stats().timeouts, 0u);
}

TEST(HttpServerLimits, ANewConnectionThatSaysNothingStillGets408NotAnIdleClose) {
  HttpServerOptions o = local(1);
  o.idle_timeout_ms = 100;
  o.request_timeout_ms = 400;
  HttpServer server(o, hello);
  std::string err;
  ASSERT_TRUE(server.start(&err)) << err;
  const int fd = connect_loopback(server.port());
  std::string reply;
  EXPECT_TRUE(read_to_close(fd, &reply));
  EXPECT_EQ(reply.rfind("HTTP/1.1 408 ", 0), 0u) << reply;
  EXPECT_NE(reply.find("no request received"), std::string::npos) << reply;
  ::close(fd);
  EXPECT_EQ(server.stats().idle_closed, 0u);
}

TEST(HttpServerDrain, RequestsUnderWayAreAnsweredTheRestEnds) {
  std::atomic<int> in_handler{0};
  HttpServerOptions o = local(2);
  o.request_timeout_ms = 3000;
  HttpServer server(o, [&](const HttpRequest& r, const HttpPeer&) {
    if (r.path() == "/slow") {
      ++in_handler;
      std::this_thread::sleep_for(400ms);
    }
    return HttpResponse::text(200, "done " + std::string(r.path()) + " " + std::to_string(r.body.size()) + "\n");
  });
  std::string err;
  ASSERT_TRUE(server.start(&err)) << err;
  const int port = server.port();

  // 1: its handler is running when drain starts (kept-alive request).
  const int slow = connect_loopback(port);
  send_all(slow, "GET /slow HTTP/1.1\r\nHost: t\r\n\r\n");
  // 2: half of its body is sent when drain starts.
  const int half = connect_loopback(port);
  send_all(half, "POST /half HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\n12345");
  // 3: idle after a kept-alive reply: ended by the drain.
  const int idle = connect_loopback(port);
  send_all(idle, kGet);
  std::string idle_reply;
  ASSERT_TRUE(read_until(idle, &idle_reply, "done / 0\n"));
  ASSERT_TRUE(eventually([&] { return in_handler.load() == 1; }));

  const auto t0 = Clock::now();
  auto drained = std::async(std::launch::async, [&] { return server.drain(5000); });
  std::this_thread::sleep_for(150ms);
  send_all(half, "67890");

  std::string reply;
  EXPECT_TRUE(read_to_close(slow, &reply));
  EXPECT_EQ(reply.rfind("HTTP/1.1 200 ", 0), 0u) << reply;
  EXPECT_NE(reply.find("Connection: close\r\n"), std::string::npos) << "the client is told: " << reply;
  EXPECT_TRUE(reply.ends_with("\r\n\r\ndone /slow 0\n")) << "the whole body: " << reply;
  reply.clear();
  EXPECT_TRUE(read_to_close(half, &reply));
  EXPECT_EQ(reply.rfind("HTTP/1.1 200 ", 0), 0u) << reply;
  EXPECT_NE(reply.find("done /half 10\n"), std::string::npos) << reply;
  idle_reply.clear();
  EXPECT_TRUE(read_to_close(idle, &idle_reply, 1000));
  EXPECT_EQ(idle_reply, "");
  EXPECT_TRUE(drained.get()) << "nothing had to be cut";
  EXPECT_LT(std::chrono::duration<double>(Clock::now() - t0).count(), 2.0);
  EXPECT_LT(connect_loopback(port), 0) << "the port is closed after a drain";
  for (int fd : {slow, half, idle}) ::close(fd);
}

TEST(HttpServerDrain, StopsAtItsTimeoutWhenARequestNeverCompletes) {
  HttpServerOptions o = local(1);
  o.request_timeout_ms = 10000;
  HttpServer server(o, hello);
  std::string err;
  ASSERT_TRUE(server.start(&err)) << err;
  const int fd = connect_loopback(server.port());
  send_all(fd, "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\nabc");
  ASSERT_TRUE(eventually([&] { return server.stats().open == 1; }));
  const auto t0 = Clock::now();
  EXPECT_FALSE(server.drain(300));
  const double took = std::chrono::duration<double>(Clock::now() - t0).count();
  EXPECT_GE(took, 0.25);
  EXPECT_LT(took, 2.0);
  std::string rest;
  EXPECT_TRUE(read_to_close(fd, &rest));
  ::close(fd);
}

// Sends `requests` GETs for /0, /1, ... on one connection (the last asks to
// close) as `pieces` writes split anywhere, even inside a request, and
// returns how many replies ("<GET /i>") came back in order, one per request.
int pipelined_in_order(int port, int requests, int pieces) {
  std::string batch;
  for (int i = 0; i < requests; ++i) {
    batch += "GET /" + std::to_string(i) + " HTTP/1.1\r\nHost: t\r\n";
    batch += i + 1 == requests ? "Connection: close\r\n\r\n" : "\r\n";
  }
  const int fd = connect_loopback(port);
  if (fd < 0) return -1;
  for (int p = 0; p < pieces; ++p) {
    const size_t from = batch.size() * size_t(p) / size_t(pieces), to = batch.size() * size_t(p + 1) / size_t(pieces);
    send_all(fd, batch.substr(from, to - from));
    if (p + 1 < pieces) std::this_thread::sleep_for(30ms);  // the server parses what came so far
  }
  std::string reply;
  const bool closed = read_to_close(fd, &reply, 10000);
  ::close(fd);
  if (!closed) return -2;
  size_t at = 0;
  int answered = 0;
  for (; answered < requests; ++answered) {
    const size_t status = reply.find("HTTP/1.1 200 ", at);
    const size_t body = reply.find("\r\n\r\n<GET /" + std::to_string(answered) + ">", at);
    if (status == std::string::npos || body == std::string::npos || status > body) break;
    if (reply.find("HTTP/1.1 ", status + 1) < body) break;  // another reply came first
    at = body + 4;
  }
  return reply.find("HTTP/1.1 ", at) == std::string::npos ? answered : -3;  // -3: more replies than requests
}

TEST(HttpServerPipelining, ThousandsOfRequestsInOneWriteAreAllAnsweredInOrder) {
  HttpServer server(local(1), [](const HttpRequest& r, const HttpPeer&) {
    return HttpResponse::text(200, "<" + r.method + " " + r.target + ">");  // every byte of the request line counts
  });
  std::string err;
  ASSERT_TRUE(server.start(&err)) << err;
  EXPECT_EQ(pipelined_in_order(server.port(), 2000, 1), 2000);
  // Split inside requests: the unparsed tail must survive the buffer's
  // compaction on the next read.
  EXPECT_EQ(pipelined_in_order(server.port(), 2000, 7), 2000);
  EXPECT_EQ(server.stats().requests, 4000u);
  EXPECT_EQ(server.stats().rejected, 0u);
}

// A server whose /events subscribes to `hub` with a "hello" event first.
struct StreamServer {
  explicit StreamServer(HttpStreamHub* hub, HttpServerOptions o = local(2))
      : server(o, [hub](const HttpRequest& r, const HttpPeer&) {
          if (r.path() != "/events") return HttpResponse::text(200, "plain\n");
          HttpResponse resp;
          resp.stream = hub->subscribe(sse_event("hello", "first"));
          return resp;
        }) {
    std::string err;
    EXPECT_TRUE(server.start(&err)) << err;
  }
  int subscribe() {
    const int fd = connect_loopback(server.port());
    send_all(fd, test::event_stream_request());
    return fd;
  }
  // A subscriber with a 4 KiB receive buffer, for one the test then stops
  // reading (the kernel buffers little for it); -1 if it could not connect.
  int subscribe_small_buffer() {
    const int fd = test::connect_loopback(server.port(), 4096);
    if (fd >= 0) send_all(fd, "GET /events HTTP/1.1\r\nHost: t\r\n\r\n");
    return fd;
  }
  HttpServer server;
};

TEST(SseEvent, FormatsNameAndEveryDataLine) {
  EXPECT_EQ(sse_event("verdict", "{\"a\":1}"), "event: verdict\ndata: {\"a\":1}\n\n");
  EXPECT_EQ(sse_event("", "a\nb"), "data: a\ndata: b\n\n");
}

TEST(HttpServerStreams, EverySubscriberGetsEachEventAndNoTimeoutEndsThem) {
  HttpStreamHub hub;
  HttpServerOptions o = local(2);
  o.request_timeout_ms = 200;  // streams are not requests: they outlive this
  o.idle_timeout_ms = 200;
  o.stream_heartbeat_ms = 150;
  StreamServer s(&hub, o);
  const int a = s.subscribe(), b = s.subscribe();
  std::string ra, rb;
  ASSERT_TRUE(read_until(a, &ra, "data: first\n\n")) << ra;
  ASSERT_TRUE(read_until(b, &rb, "data: first\n\n")) << rb;
  EXPECT_EQ(ra.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << ra;
  EXPECT_NE(ra.find("Content-Type: text/event-stream\r\n"), std::string::npos) << ra;
  EXPECT_EQ(ra.find("Content-Length"), std::string::npos) << ra;
  ASSERT_TRUE(eventually([&] { return hub.subscribers() == 2 && s.server.stats().streams == 2; }));

  std::this_thread::sleep_for(600ms);  // three request timeouts
  hub.publish(sse_event("tick", "1"));
  hub.publish(sse_event("tick", "2"));
  EXPECT_TRUE(read_until(a, &ra, "data: 2\n\n")) << ra;
  EXPECT_TRUE(read_until(b, &rb, "data: 2\n\n")) << rb;
  EXPECT_LT(ra.find("data: 1\n"), ra.find("data: 2\n")) << "in order";
  EXPECT_NE(ra.find(":\n\n"), std::string::npos) << "heartbeat comments while nothing happened: " << ra;
  EXPECT_EQ(s.server.stats().timeouts, 0u);

  // A subscriber that leaves is forgotten; the other still gets events.
  ::close(b);
  ASSERT_TRUE(eventually([&] { return s.server.stats().streams == 1; }));
  hub.publish(sse_event("tick", "3"));
  EXPECT_TRUE(read_until(a, &ra, "data: 3\n\n")) << ra;
  EXPECT_EQ(hub.subscribers(), 1u);

  // Drain ends the stream (the browser reconnects elsewhere) at once.
  const auto t0 = Clock::now();
  EXPECT_TRUE(s.server.drain(5000));
  EXPECT_LT(std::chrono::duration<double>(Clock::now() - t0).count(), 1.0);
  EXPECT_TRUE(read_to_close(a, &ra, 1000));
  EXPECT_EQ(hub.subscribers(), 0u);
  hub.publish(sse_event("tick", "after"));  // nobody left: nothing happens
  ::close(a);
}

TEST(HttpServerStreams, ASubscriberThatStopsReadingIsDroppedWithoutBlocking) {
  // 1 MiB per subscriber: enough slack that the fast reader survives being
  // descheduled for ~100 ms on a loaded CI machine (with 64 KiB it was
  // dropped too once, under ctest -j2), still far below the 12 MB sent.
  HttpStreamHub hub(1024 * 1024);
  StreamServer s(&hub);
  // The slow one: a small receive buffer, never read after the first event.
  const int slow = s.subscribe_small_buffer();
  ASSERT_GE(slow, 0);
  std::string rs;
  ASSERT_TRUE(read_until(slow, &rs, "data: first\n\n"));
  // The fast one reads everything in a thread.
  const int fast = s.subscribe();
  std::string rf;
  ASSERT_TRUE(read_until(fast, &rf, "data: first\n\n"));
  ASSERT_TRUE(eventually([&] { return hub.subscribers() == 2; }));
  // The kernel takes a few MB into the slow one's socket buffers first
  // (tcp_wmem autotuning), so send well past that.
  const int kEvents = 12000;
  auto reader = std::async(std::launch::async, [&] {
    return read_until(fast, &rf, "data: " + std::to_string(kEvents - 1) + " " + std::string(1000, 'x') + "\n\n",
                      10000);
  });

  // 12 MB to each: far more than the slow one's socket and 1 MiB buffer hold.
  double slowest = 0;
  const auto t0 = Clock::now();
  for (int i = 0; i < kEvents; ++i) {
    const auto p0 = Clock::now();
    hub.publish(sse_event("bulk", std::to_string(i) + " " + std::string(1000, 'x')));
    slowest = std::max(slowest, std::chrono::duration<double>(Clock::now() - p0).count());
    if (i % 20 == 19) std::this_thread::sleep_for(2ms);  // let the fast reader keep up
  }
  const double total = std::chrono::duration<double>(Clock::now() - t0).count();
  EXPECT_TRUE(reader.get()) << "the fast subscriber got every event (" << rf.size() << " bytes)";
  EXPECT_EQ(hub.dropped(), 1u);
  EXPECT_EQ(hub.subscribers(), 1u);
  EXPECT_LT(slowest, 0.1) << "publish never waits for a socket";
  EXPECT_LT(total, 5.0);
  // The slow one's connection is closed by the server: after what was
  // already in its socket, it reads the end.
  EXPECT_TRUE(read_to_close(slow, &rs, 5000));
  EXPECT_LT(rs.size(), size_t(kEvents) * 1000);
  ASSERT_TRUE(eventually([&] { return s.server.stats().streams == 1; }));
  ::close(slow);
  ::close(fast);
}

TEST(HttpServerStreams, AStreamThatTakesNothingForAHeartbeatIntervalIsClosed) {
  HttpStreamHub hub(64 << 20);  // the hub would keep it: the server's own check must end it
  HttpServerOptions o = local(1);
  o.stream_heartbeat_ms = 150;
  StreamServer s(&hub, o);
  const int stuck = s.subscribe_small_buffer();
  ASSERT_GE(stuck, 0);
  std::string r;
  ASSERT_TRUE(read_until(stuck, &r, "data: first\n\n"));
  ASSERT_TRUE(eventually([&] { return s.server.stats().streams == 1; }));
  hub.publish(sse_event("big", std::string(12 << 20, 'x')));  // more than the socket buffers take
  EXPECT_TRUE(eventually([&] { return s.server.stats().streams == 0; }, 3000)) << "closed for making no progress";
  EXPECT_EQ(hub.dropped(), 0u);
  ::close(stuck);
}

}  // namespace
}  // namespace tinyad
