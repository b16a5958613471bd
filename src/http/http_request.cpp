// http_request.cpp: see http_request.h. Works on string_views over the
// received bytes; every complete line is checked as soon as it is in, so a
// client sending garbage is answered at once instead of timing out.
#include "http_request.h"

#include <cctype>
#include <cstdint>

namespace tinyad {
namespace {

constexpr size_t kMaxLeadingBlankLines = 4;  // RFC 9112 2.2: tolerate a few before the request line

bool is_tchar(unsigned char c) {
  if (c >= '0' && c <= '9') return true;
  if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') return true;
  switch (c) {
    case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+':
    case '-': case '.': case '^': case '_': case '`': case '|': case '~':
      return true;
    default:
      return false;
  }
}

bool is_token(std::string_view s) {
  if (s.empty()) return false;
  for (unsigned char c : s)
    if (!is_tchar(c)) return false;
  return true;
}

char lower(char c) { return (c >= 'A' && c <= 'Z') ? char(c + 32) : c; }

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (lower(a[i]) != lower(b[i])) return false;
  return true;
}

std::string_view trim_ows(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Shows a bad piece of input in a one-line reason: printable ASCII only, cut short.
std::string shown(std::string_view s) {
  constexpr size_t kMax = 40;
  std::string out = "'";
  for (size_t i = 0; i < s.size() && i < kMax; ++i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c < 0x7f) {
      out += char(c);
    } else {
      static const char* hex = "0123456789abcdef";
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  if (s.size() > kMax) out += "...";
  return out + "'";
}

HttpParseResult error(int status, std::string reason) {
  HttpParseResult r;
  r.state = HttpParseState::kError;
  r.status = status;
  r.reason = std::move(reason);
  return r;
}

// Request line: METHOD SP TARGET SP HTTP/1.x
bool parse_request_line(std::string_view line, HttpRequest* req, HttpParseResult* err) {
  const size_t sp1 = line.find(' ');
  const size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || line.find(' ', sp2 + 1) != std::string_view::npos) {
    *err = error(400, "expected a request line 'METHOD /path HTTP/1.1', got " + shown(line));
    return false;
  }
  const std::string_view method = line.substr(0, sp1);
  const std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  const std::string_view version = line.substr(sp2 + 1);
  if (!is_token(method)) {
    *err = error(400, "expected a method name, got " + shown(method));
    return false;
  }
  if (target.empty() || !(target[0] == '/' || target == "*" || target.substr(0, 7) == "http://")) {
    *err = error(400, "expected a target starting with '/', got " + shown(target));
    return false;
  }
  for (unsigned char c : target) {
    if (c <= 0x20 || c == 0x7f) {
      *err = error(400, "control character in the request target " + shown(target));
      return false;
    }
  }
  if (version == "HTTP/1.1") {
    req->version_minor = 1;
  } else if (version == "HTTP/1.0") {
    req->version_minor = 0;
  } else if (version.size() == 8 && version.substr(0, 5) == "HTTP/" && version[6] == '.' &&
             version[5] >= '0' && version[5] <= '9' && version[7] >= '0' && version[7] <= '9') {
    *err = error(505, "only HTTP/1.0 and HTTP/1.1 are served, got " + shown(version));
    return false;
  } else {
    *err = error(400, "expected HTTP/1.1 at the end of the request line, got " + shown(version));
    return false;
  }
  req->method.assign(method);
  req->target.assign(target);
  return true;
}

bool parse_header_line(std::string_view line, HttpRequest* req, HttpParseResult* err) {
  if (line.front() == ' ' || line.front() == '\t') {
    *err = error(400, "folded header lines are not supported: " + shown(line));
    return false;
  }
  const size_t colon = line.find(':');
  if (colon == std::string_view::npos || !is_token(line.substr(0, colon))) {
    *err = error(400, "expected a header 'Name: value', got " + shown(line));
    return false;
  }
  const std::string_view value = trim_ows(line.substr(colon + 1));
  for (unsigned char c : value) {
    if ((c < 0x20 && c != '\t') || c == 0x7f) {
      *err = error(400, "control character in header " + shown(line.substr(0, colon)));
      return false;
    }
  }
  std::string name(line.substr(0, colon));
  for (char& c : name) c = lower(c);
  req->headers.emplace_back(std::move(name), std::string(value));
  return true;
}

// Applies the headers that frame the body and the connection.
bool apply_framing(HttpRequest* req, const HttpLimits& limits, size_t* content_length, HttpParseResult* err) {
  bool have_length = false;
  uint64_t length = 0;
  req->keep_alive = req->version_minor >= 1;
  for (const auto& [name, value] : req->headers) {
    if (name == "transfer-encoding") {
      *err = error(501, "Transfer-Encoding " + shown(value) + " is not supported; send a Content-Length");
      return false;
    }
    if (name == "content-length") {
      uint64_t v = 0;
      if (value.empty() || value.size() > 19) {
        if (!value.empty() && value.find_first_not_of("0123456789") == std::string::npos) {
          *err = error(413, "Content-Length " + value.substr(0, 24) + " is over the limit of " +
                                std::to_string(limits.max_body) + " bytes");
        } else {
          *err = error(400, "expected a number of bytes in Content-Length, got " + shown(value));
        }
        return false;
      }
      for (char c : value) {
        if (c < '0' || c > '9') {
          *err = error(400, "expected a number of bytes in Content-Length, got " + shown(value));
          return false;
        }
        v = v * 10 + uint64_t(c - '0');
      }
      if (have_length && v != length) {
        *err = error(400, "conflicting Content-Length headers (" + std::to_string(length) + " and " +
                              std::to_string(v) + ")");
        return false;
      }
      have_length = true;
      length = v;
    }
    if (name == "connection") {
      // A comma-separated list of options; "close" wins over "keep-alive".
      std::string_view rest = value;
      bool close = false, keep = false;
      while (!rest.empty()) {
        const size_t comma = rest.find(',');
        const std::string_view opt = trim_ows(rest.substr(0, comma));
        close = close || iequals(opt, "close");
        keep = keep || iequals(opt, "keep-alive");
        rest.remove_prefix(comma == std::string_view::npos ? rest.size() : comma + 1);
      }
      if (close) req->keep_alive = false;
      else if (keep) req->keep_alive = true;
    }
  }
  if (!have_length && (req->method == "POST" || req->method == "PUT" || req->method == "PATCH")) {
    *err = error(411, req->method + " needs a Content-Length header");
    return false;
  }
  if (length > limits.max_body) {
    *err = error(413, "Content-Length " + std::to_string(length) + " is over the limit of " +
                          std::to_string(limits.max_body) + " bytes");
    return false;
  }
  *content_length = size_t(length);
  return true;
}

}  // namespace

const std::string* HttpRequest::header(std::string_view lower_name) const {
  for (const auto& [name, value] : headers)
    if (name == lower_name) return &value;
  return nullptr;
}

std::string_view HttpRequest::path() const {
  std::string_view t = target;
  return t.substr(0, t.find('?'));
}

HttpParseResult http_parse_request(std::string_view data, const HttpLimits& limits, HttpRequest* req) {
  req->method.clear();
  req->target.clear();
  req->headers.clear();
  req->body.clear();
  HttpParseResult r;
  size_t pos = 0;
  size_t blank_lines = 0;
  bool have_request_line = false;
  for (;;) {
    const size_t nl = data.find('\n', pos);
    if (nl == std::string_view::npos) {
      const std::string_view partial = data.substr(pos);
      if (data.size() > limits.max_head) {
        return error(431, "request head is over the limit of " + std::to_string(limits.max_head) + " bytes");
      }
      // A bare CR can never become valid: answer now.
      const size_t cr = partial.find('\r');
      if (cr != std::string_view::npos && cr + 1 < partial.size()) {
        return error(400, "carriage return without a line feed in " + shown(partial));
      }
      return r;  // incomplete
    }
    std::string_view line = data.substr(pos, nl - pos);
    pos = nl + 1;
    if (pos > limits.max_head) {
      return error(431, "request head is over the limit of " + std::to_string(limits.max_head) + " bytes");
    }
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.find('\r') != std::string_view::npos) {
      return error(400, "carriage return inside a line: " + shown(line));
    }
    if (!have_request_line) {
      if (line.empty()) {
        if (++blank_lines > kMaxLeadingBlankLines) return error(400, "expected a request line, got blank lines");
        continue;
      }
      if (!parse_request_line(line, req, &r)) return r;
      have_request_line = true;
      continue;
    }
    if (line.empty()) break;  // end of the head
    if (req->headers.size() >= limits.max_headers) {
      return error(431, "more than " + std::to_string(limits.max_headers) + " header lines");
    }
    if (!parse_header_line(line, req, &r)) return r;
  }
  size_t content_length = 0;
  if (!apply_framing(req, limits, &content_length, &r)) return r;
  r.head_bytes = pos;
  r.body_bytes = content_length;
  if (data.size() - pos < content_length) return r;  // incomplete body
  req->body.assign(data.substr(pos, content_length));
  r.state = HttpParseState::kDone;
  r.consumed = pos + content_length;
  return r;
}

HttpResponse HttpResponse::text(int status, std::string body) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

const char* http_status_text(int status) {
  switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 204: return "No Content";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 411: return "Length Required";
    case 413: return "Content Too Large";
    case 415: return "Unsupported Media Type";
    case 422: return "Unprocessable Content";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 503: return "Service Unavailable";
    case 505: return "HTTP Version Not Supported";
    case 507: return "Insufficient Storage";
    default: return "Unknown";
  }
}

std::string http_format_response(const HttpResponse& r, bool with_shared_body) {
  const std::string& body = r.body_text();
  const bool append_body = !r.shared_body || with_shared_body;
  std::string out;
  out.reserve(96 + (append_body ? body.size() : 0));
  out += "HTTP/1.1 ";
  out += std::to_string(r.status);
  out += ' ';
  out += http_status_text(r.status);
  out += "\r\n";
  const bool has_body = !(r.status < 200 || r.status == 204 || r.status == 304);
  if (has_body) {
    out += "Content-Type: ";
    out += r.content_type;
    out += "\r\nContent-Length: ";
    out += std::to_string(body.size());
    out += "\r\n";
  }
  for (const auto& [name, value] : r.headers) {
    out += name;
    out += ": ";
    out += value;
    out += "\r\n";
  }
  out += "\r\n";
  if (has_body && append_body) out += body;
  return out;
}

std::string http_percent_decode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      out += char(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

bool http_is_json_content_type(const std::string* content_type) {
  if (!content_type) return false;
  std::string v = content_type->substr(0, content_type->find(';'));
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.pop_back();
  for (char& c : v) c = char(std::tolower(static_cast<unsigned char>(c)));
  return v == "application/json" || v == "text/json";
}

std::string http_content_type_refusal(const std::string* content_type) {
  return "expected Content-Type: application/json, got " +
         (content_type ? "'" + *content_type + "'" : std::string("none"));
}

bool http_is_cross_site(const HttpRequest& req) {
  if (const std::string* site = req.header("sec-fetch-site"); site && (*site == "cross-site" || *site == "same-site"))
    return true;
  const std::string* origin = req.header("origin");
  if (!origin) return false;
  // "null" (sandboxed pages, file://) is never the server itself.
  const size_t scheme_end = origin->find("://");
  if (scheme_end == std::string::npos) return true;
  const std::string origin_host = origin->substr(scheme_end + 3);
  const std::string* host = req.header("host");
  return !host || origin_host != *host;
}

}  // namespace tinyad
