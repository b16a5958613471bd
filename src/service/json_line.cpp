// json_line.cpp: see json_line.h.
#include "json_line.h"

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

void append_exponent(std::string* out, int e) {
  out->push_back(e < 0 ? '-' : '+');
  if (e < 0) e = -e;
  if (e >= 100) out->push_back(char('0' + e / 100));
  out->push_back(char('0' + e / 10 % 10));  // at least two digits, as printf's %g
  out->push_back(char('0' + e % 10));
}

}  // namespace

void json_append_number(std::string* out, double v) {
  if (!std::isfinite(v)) {
    out->append("null");
    return;
  }
  if (std::signbit(v)) out->push_back('-');
  if (v == 0) {
    out->append("0.0");
    return;
  }
  // The shortest digits that read back to v, as d.ddde±x.
  char sci[32];
  const auto res = std::to_chars(sci, sci + sizeof sci, std::fabs(v), std::chars_format::scientific);
  const char* e_at = static_cast<const char*>(std::memchr(sci, 'e', size_t(res.ptr - sci)));
  char digits[20];
  int k = 0;
  for (const char* p = sci; p < e_at; ++p)
    if (*p != '.') digits[k++] = *p;
  int exp10 = 0;
  std::from_chars(e_at + (e_at[1] == '+' ? 2 : 1), res.ptr, exp10);
  const int n = exp10 + 1;  // where the decimal point goes, counted in digits
  if (k <= n && n <= kMaxExp) {  // digits[000].0
    out->append(digits, size_t(k));
    out->append(size_t(n - k), '0');
    out->append(".0");
  } else if (0 < n && n <= kMaxExp) {  // dig.its
    out->append(digits, size_t(n));
    out->push_back('.');
    out->append(digits + n, size_t(k - n));
  } else if (kMinExp < n && n <= 0) {  // 0.[000]digits
    out->append("0.");
    out->append(size_t(-n), '0');
    out->append(digits, size_t(k));
  } else {  // d[.igits]e±XX
    out->push_back(digits[0]);
    if (k > 1) {
      out->push_back('.');
      out->append(digits + 1, size_t(k - 1));
    }
    out->push_back('e');
    append_exponent(out, n - 1);
  }
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
