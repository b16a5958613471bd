// json_line.cpp: see json_line.h.
#include "json_line.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <nlohmann/json.hpp>

namespace tinyad {
namespace {

// nlohmann's layout: plain decimals for a decimal point within the first
// 15 digits (and up to 4 zeros after "0."), else d.ddde+XX.
constexpr int kMinExp = -4;
constexpr int kMaxExp = 15;  // std::numeric_limits<double>::digits10

// Writes e as nlohmann does (sign, at least two digits); returns the end.
char* put_exponent(char* p, int e) {
  *p++ = e < 0 ? '-' : '+';
  if (e < 0) e = -e;
  if (e >= 100) *p++ = char('0' + e / 100);
  *p++ = char('0' + e / 10 % 10);  // at least two digits, as printf's %g
  *p++ = char('0' + e % 10);
  return p;
}

}  // namespace

void json_append_number(std::string* out, double v) {
  if (!std::isfinite(v)) {
    out->append("null");
    return;
  }
  // Laid out in a local buffer and appended once (60 per verdict).
  char buf[48];
  char* p = buf;
  if (std::signbit(v)) *p++ = '-';
  if (v == 0) {
    *p++ = '0';
    *p++ = '.';
    *p++ = '0';
    out->append(buf, size_t(p - buf));
    return;
  }
  // The shortest digits that read back to v, as d[.ddd]e±x.
  char sci[32];
  const char* end = std::to_chars(sci, sci + sizeof sci, std::fabs(v), std::chars_format::scientific).ptr;
  const char* e_at = end - 1;
  while (*e_at != 'e') --e_at;
  int exp10 = 0;
  for (const char* q = e_at + 2; q < end; ++q) exp10 = exp10 * 10 + (*q - '0');
  if (e_at[1] == '-') exp10 = -exp10;
  char digits[20];
  int k = 0;
  for (const char* q = sci; q < e_at; ++q)
    if (*q != '.') digits[k++] = *q;
  const int n = exp10 + 1;  // where the decimal point goes, counted in digits
  if (k <= n && n <= kMaxExp) {  // digits[000].0
    p = std::copy(digits, digits + k, p);
    p = std::fill_n(p, n - k, '0');
    *p++ = '.';
    *p++ = '0';
  } else if (0 < n && n <= kMaxExp) {  // dig.its
    p = std::copy(digits, digits + n, p);
    *p++ = '.';
    p = std::copy(digits + n, digits + k, p);
  } else if (kMinExp < n && n <= 0) {  // 0.[000]digits
    *p++ = '0';
    *p++ = '.';
    p = std::fill_n(p, -n, '0');
    p = std::copy(digits, digits + k, p);
  } else {  // d[.igits]e±XX
    *p++ = digits[0];
    if (k > 1) {
      *p++ = '.';
      p = std::copy(digits + 1, digits + k, p);
    }
    *p++ = 'e';
    p = put_exponent(p, n - 1);
  }
  out->append(buf, size_t(p - buf));
}

void json_append_string(std::string* out, std::string_view s) {
  // Printable ASCII with nothing to escape (every id and name we write, in
  // practice) goes as it is; anything else is nlohmann's to escape.
  for (const char c : s) {
    if (c < 0x20 || c > 0x7e || c == '"' || c == '\\') {
      out->append(nlohmann::json(std::string(s)).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
      return;
    }
  }
  out->push_back('"');
  out->append(s);
  out->push_back('"');
}

}  // namespace tinyad
