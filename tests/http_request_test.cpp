// http_request_test.cpp: request parsing and response formatting, on bytes
// only (no sockets): framing, incremental input, every refusal and its status.
#include "http_request.h"

#include <gtest/gtest.h>

#include <string>

namespace tinyad {
namespace {

HttpParseResult parse(const std::string& data, HttpRequest* req, HttpLimits limits = {}) {
  return http_parse_request(data, limits, req);
}

TEST(HttpRequest, ParsesTheFirmwaresGet) {
  const std::string get = "GET / HTTP/1.1\r\nHost: 192.168.1.68\r\nConnection: close\r\n\r\n";
  HttpRequest req;
  const HttpParseResult r = parse(get, &req);
  ASSERT_EQ(r.state, HttpParseState::kDone) << r.reason;
  EXPECT_EQ(r.consumed, get.size());
  EXPECT_EQ(req.method, "GET");
  EXPECT_EQ(req.target, "/");
  EXPECT_EQ(req.version_minor, 1);
  EXPECT_FALSE(req.keep_alive);
  ASSERT_NE(req.header("host"), nullptr);
  EXPECT_EQ(*req.header("host"), "192.168.1.68");
}

TEST(HttpRequest, ParsesAPostBodyAndLeavesTheRest) {
  const std::string body = "{\"x\":[1],\"y\":[2],\"z\":[3]}";
  const std::string post = "POST /?a=1 HTTP/1.1\r\nContent-Type: application/json\r\ncontent-length: " +
                           std::to_string(body.size()) + "\r\n\r\n" + body;
  HttpRequest req;
  const HttpParseResult r = parse(post + "GET / HTTP/1.1\r\n", &req);
  ASSERT_EQ(r.state, HttpParseState::kDone) << r.reason;
  EXPECT_EQ(r.consumed, post.size());
  EXPECT_EQ(req.body, body);
  EXPECT_EQ(req.path(), "/");
  EXPECT_TRUE(req.keep_alive);  // HTTP/1.1 default
}

TEST(HttpRequest, EveryPrefixIsIncompleteNeverAnError) {
  const std::string post = "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello";
  for (size_t n = 0; n < post.size(); ++n) {
    HttpRequest req;
    const HttpParseResult r = parse(post.substr(0, n), &req);
    EXPECT_EQ(r.state, HttpParseState::kIncomplete) << "prefix of " << n << " bytes: " << r.reason;
  }
  HttpRequest req;
  const HttpParseResult r = parse(post.substr(0, post.size() - 2), &req);
  EXPECT_EQ(r.head_bytes, post.size() - 5);  // the server learns how much to wait for
  EXPECT_EQ(r.body_bytes, 5u);
}

TEST(HttpRequest, AcceptsBareLineFeedsAndLeadingBlankLines) {
  HttpRequest req;
  const HttpParseResult r = parse("\r\nGET / HTTP/1.0\nHost: a\n\n", &req);
  ASSERT_EQ(r.state, HttpParseState::kDone) << r.reason;
  EXPECT_EQ(req.version_minor, 0);
  EXPECT_FALSE(req.keep_alive);  // HTTP/1.0 default
}

TEST(HttpRequest, ConnectionHeaderDecidesKeepAlive) {
  HttpRequest req;
  ASSERT_EQ(parse("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", &req).state, HttpParseState::kDone);
  EXPECT_TRUE(req.keep_alive);
  ASSERT_EQ(parse("GET / HTTP/1.1\r\nConnection: keep-alive, close\r\n\r\n", &req).state, HttpParseState::kDone);
  EXPECT_FALSE(req.keep_alive);
}

struct Refusal {
  const char* name;
  std::string request;
  int status;
  const char* reason_part;
};

TEST(HttpRequest, RefusesBadRequestsWithStatusAndReason) {
  HttpLimits limits;
  limits.max_body = 100;
  limits.max_head = 200;
  limits.max_headers = 3;
  const Refusal cases[] = {
      {"garbage", "hello there\r\n", 400, "request line"},
      {"lower-case version", "GET / http/1.1\r\n\r\n", 400, "HTTP/1.1"},
      {"HTTP/2", "GET / HTTP/2.0\r\n\r\n", 505, "HTTP/1.0 and HTTP/1.1"},
      {"no slash", "GET index.html HTTP/1.1\r\n\r\n", 400, "target"},
      {"bad method", "G(T / HTTP/1.1\r\n\r\n", 400, "method"},
      {"folded header", "GET / HTTP/1.1\r\nA: b\r\n  c\r\n\r\n", 400, "folded"},
      {"header without colon", "GET / HTTP/1.1\r\nHost a\r\n\r\n", 400, "Name: value"},
      {"bare CR", "GET / HTTP/1.1\rHost: a\r\n\r\n", 400, "carriage return"},
      {"control char", "GET / HTTP/1.1\r\nA: b\x01" "c\r\n\r\n", 400, "control character"},
      {"chunked", "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", 501, "Transfer-Encoding"},
      {"no length", "POST / HTTP/1.1\r\nHost: a\r\n\r\n", 411, "Content-Length"},
      {"bad length", "POST / HTTP/1.1\r\nContent-Length: 12a\r\n\r\n", 400, "Content-Length"},
      {"negative length", "POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", 400, "Content-Length"},
      {"two lengths", "POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab", 400, "conflicting"},
      {"too large", "POST / HTTP/1.1\r\nContent-Length: 101\r\n\r\n", 413, "limit of 100"},
      {"huge length", "POST / HTTP/1.1\r\nContent-Length: 99999999999999999999999\r\n\r\n", 413, "limit"},
      {"too many headers", "GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n\r\n", 431, "header lines"},
      {"head too long", "GET /" + std::string(300, 'a') + " HTTP/1.1\r\n\r\n", 431, "over the limit"},
  };
  for (const Refusal& c : cases) {
    HttpRequest req;
    const HttpParseResult r = parse(c.request, &req, limits);
    EXPECT_EQ(r.state, HttpParseState::kError) << c.name;
    EXPECT_EQ(r.status, c.status) << c.name << ": " << r.reason;
    EXPECT_NE(r.reason.find(c.reason_part), std::string::npos) << c.name << ": " << r.reason;
    EXPECT_EQ(r.reason.find('\n'), std::string::npos) << c.name << ": reasons are one line";
  }
}

TEST(HttpResponse, FlagReplyHasExactlyTwoHeaderLines) {
  HttpResponse r;
  r.content_type = "text/plain";
  r.body = "1";
  EXPECT_EQ(http_format_response(r), "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 1\r\n\r\n1");
}

TEST(HttpResponse, NoContentHasNoBodyHeaders) {
  HttpResponse r;
  r.status = 204;
  r.body = "ignored";
  EXPECT_EQ(http_format_response(r), "HTTP/1.1 204 No Content\r\n\r\n");
}

TEST(HttpResponse, ExtraHeadersFollowTheBodyHeaders) {
  HttpResponse r = HttpResponse::text(405, "no\n");
  r.headers.emplace_back("Allow", "GET, POST");
  EXPECT_EQ(http_format_response(r),
            "HTTP/1.1 405 Method Not Allowed\r\nContent-Type: text/plain\r\nContent-Length: 3\r\nAllow: GET, "
            "POST\r\n\r\nno\n");
}

}  // namespace
}  // namespace tinyad
