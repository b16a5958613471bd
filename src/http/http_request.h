// http_request.h: HTTP/1.x request parsing and response formatting as pure
// functions over bytes, so they can be fuzzed and tested without sockets.
// Only what the device protocol and a small service need: request line,
// headers, Content-Length bodies. No chunked bodies, no header folding (both
// are refused with a reason rather than guessed at).
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tinyad {

struct HttpStream;  // http_stream.h

struct HttpLimits {
  size_t max_head = 8192;      // bytes of request line + headers (431 past it)
  size_t max_headers = 64;     // header lines (431 past it)
  size_t max_body = 1 << 20;   // bytes of body (413 past it)
};

struct HttpRequest {
  std::string method;                                        // "GET", "POST", ...
  std::string target;                                        // "/", "/metrics?x=1"
  int version_minor = 1;                                     // HTTP/1.0 or HTTP/1.1
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased, values trimmed
  std::string body;
  bool keep_alive = false;  // the client lets the connection stay open after the reply

  /// Value of a header (name in lower case), or nullptr.
  const std::string* header(std::string_view lower_name) const;
  /// Target without the query string.
  std::string_view path() const;
};

enum class HttpParseState { kIncomplete, kDone, kError };

struct HttpParseResult {
  HttpParseState state = HttpParseState::kIncomplete;
  size_t consumed = 0;      // kDone: bytes of head + body
  size_t head_bytes = 0;    // once the head is complete: its size
  size_t body_bytes = 0;    // once the head is complete: the announced Content-Length
  int status = 0;           // kError: the 4xx/5xx to answer
  std::string reason;       // kError: one line saying what was wrong
};

/// Parses one request from the start of `data` (bytes received so far on a
/// connection). kIncomplete: more bytes are needed (head_bytes/body_bytes tell
/// how many once the head is in); kDone: *req is filled; kError: answer
/// `status` with `reason` and close.
HttpParseResult http_parse_request(std::string_view data, const HttpLimits& limits, HttpRequest* req);

struct HttpResponse {
  int status = 200;
  std::string content_type = "text/plain";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // extra header lines, in order
  bool close = false;  // close the connection after this reply whatever the client asked
  // Exactly the two header lines the firmware counts (the GET / ready flag):
  // no "Connection: close" added even when the server closes after it. Other
  // replies announce the close (RFC 9112 9.6), or clients such as wrk write
  // their next request into a closed connection.
  bool bare_head = false;
  // Set (HttpStreamHub::subscribe): a text/event-stream reply; the server
  // sends the head, then what the hub publishes, until either side closes.
  std::shared_ptr<HttpStream> stream;
  // Set instead of `body`: a body shared by every client it is sent to (the
  // dashboard page, a snapshot), not copied per connection.
  std::shared_ptr<const std::string> shared_body;

  const std::string& body_text() const { return shared_body ? *shared_body : body; }
  static HttpResponse text(int status, std::string body);
};

/// The reason phrase of a status code ("Not Found"), "Unknown" when unknown.
const char* http_status_text(int status);

/// The device protocol's Content-Type rule: JSON ("application/json" or
/// "text/json", any parameters). None at all is refused too: the firmware
/// sends it, and a web page of another site cannot without a CORS preflight
/// (a no-cors fetch of a Blob sends none).
bool http_is_json_content_type(const std::string* content_type);
/// The 415's reason for a refused Content-Type (null: none was sent).
std::string http_content_type_refusal(const std::string* content_type);

/// True for a request a browser sent from a page of another site: it has an
/// Origin header whose host differs from the Host header, or Sec-Fetch-Site
/// says cross-site / same-site. Devices send neither header, so refusing
/// these stops a web page from posting windows or resetting baselines
/// (even with `mode: 'no-cors'` and no Content-Type) without breaking any
/// firmware.
bool http_is_cross_site(const HttpRequest& req);

/// `%XX` escapes of a path segment decoded (a malformed escape is kept as
/// it is; '+' stays '+': it means a space only in query strings).
std::string http_percent_decode(std::string_view s);

/// Formats a response: status line, Content-Type and Content-Length (none for
/// 1xx/204/304), the extra headers, a blank line and the body. A response with
/// no extra headers therefore has exactly two header lines, which is what the
/// device firmware's line counting expects. `with_shared_body` false: a
/// shared_body is counted in Content-Length but left out (the server sends
/// it from the shared copy).
std::string http_format_response(const HttpResponse& r, bool with_shared_body = true);

}  // namespace tinyad
