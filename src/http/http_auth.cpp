// http_auth.cpp: see http_auth.h.
#include "http_auth.h"

#include <cctype>
#include <cstdint>

namespace tinyad {

bool http_same_secret(const std::string& a, const std::string& b) {
  // Length leaks, content does not: every byte of the longer is looked at.
  const size_t n = a.size() > b.size() ? a.size() : b.size();
  uint8_t diff = a.size() == b.size() ? 0 : 1;
  for (size_t i = 0; i < n; ++i) {
    const uint8_t x = i < a.size() ? uint8_t(a[i]) : 0, y = i < b.size() ? uint8_t(b[i]) : 0;
    diff |= uint8_t(x ^ y);
  }
  return diff == 0;
}

namespace {

int base64_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

}  // namespace

std::optional<std::string> base64_decode(const std::string& in) {
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    if (c == '=') break;
    const int v = base64_value(c);
    if (v < 0) return std::nullopt;
    acc = (acc << 6) | uint32_t(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(char((acc >> bits) & 0xFF));
    }
  }
  return out;
}

bool http_has_token(const HttpRequest& req, const std::string& token) {
  const std::string* auth = req.header("authorization");
  if (!auth || token.empty()) return false;
  const std::string& h = *auth;
  auto starts = [&](const char* scheme, size_t n) {
    if (h.size() < n) return false;
    for (size_t i = 0; i < n; ++i)
      if (std::tolower(static_cast<unsigned char>(h[i])) != scheme[i]) return false;
    return true;
  };
  if (starts("bearer ", 7)) return http_same_secret(h.substr(7), token);
  if (starts("basic ", 6)) {
    const std::optional<std::string> pair = base64_decode(h.substr(6));
    if (!pair) return false;
    const size_t colon = pair->find(':');
    return colon != std::string::npos && http_same_secret(pair->substr(colon + 1), token);
  }
  return false;
}

HttpResponse http_unauthorized() {
  HttpResponse r = HttpResponse::text(401, "this needs the operator token (--token-file): Authorization: Bearer TOKEN, or Basic with it as the password\n");
  r.headers.emplace_back("WWW-Authenticate", "Basic realm=\"tinyad\"");
  return r;
}

}  // namespace tinyad
