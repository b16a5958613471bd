// json_number.cpp: see json_number.h.
#include "json_number.h"

#include <cfloat>
#include <cstdint>

namespace tinyad {
namespace {

// 10^0 .. 10^22: every one is exactly representable as a double (5^22 <
// 2^53), so the single operation below is the only rounding.
constexpr double kPow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                             1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
constexpr int kMaxPow10 = 22;
constexpr uint64_t kMaxExactInteger = uint64_t(1) << 53;
constexpr int kMaxDigits = 19;          // significant digits that surely fit a uint64_t
constexpr int kMaxExponentDigits = 4;   // more: surely beyond 10^±22 or absurd; the general path decides

bool is_digit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

size_t json_number_fast(const char* first, const char* last, double* value) {
// The exactness argument needs each operation done in double precision
// (not x87's extended one), as on x86-64 SSE2 and arm64.
#if !defined(FLT_EVAL_METHOD) || FLT_EVAL_METHOD != 0
  (void)first;
  (void)last;
  (void)value;
  return 0;
#else
  const char* p = first;
  const bool negative = p < last && *p == '-';
  if (negative) ++p;
  uint64_t digits = 0;  // the significant digits as an integer
  int significant = 0;  // how many (leading zeros do not count)
  int exponent = 0;     // value = digits * 10^exponent
  auto take = [&](char c) {
    const unsigned d = unsigned(c - '0');
    if (digits == 0 && d == 0) return true;  // a leading zero: no digit yet
    if (++significant > kMaxDigits) return false;
    digits = digits * 10 + d;
    return true;
  };
  // Integer part: "0", or a non-zero digit and more digits.
  if (p >= last || !is_digit(*p)) return 0;
  if (*p == '0') {
    ++p;
  } else {
    for (; p < last && is_digit(*p); ++p)
      if (!take(*p)) return 0;
  }
  if (p < last && *p == '.') {
    ++p;
    if (p >= last || !is_digit(*p)) return 0;  // "1." is not JSON: the general path says so
    for (; p < last && is_digit(*p); ++p) {
      if (!take(*p)) return 0;
      --exponent;
    }
  }
  if (p < last && (*p == 'e' || *p == 'E')) {
    ++p;
    const bool minus = p < last && *p == '-';
    if (p < last && (*p == '-' || *p == '+')) ++p;
    if (p >= last || !is_digit(*p)) return 0;
    int e = 0, n = 0;
    for (; p < last && is_digit(*p); ++p) {
      if (++n > kMaxExponentDigits) return 0;
      e = e * 10 + (*p - '0');
    }
    exponent += minus ? -e : e;
  }
  double v;
  if (digits == 0) {
    v = 0;  // any zero, whatever its exponent
  } else {
    if (digits > kMaxExactInteger || exponent < -kMaxPow10 || exponent > kMaxPow10) return 0;
    // Both operands exact: one correctly rounded operation (round to nearest
    // even), as from_chars rounds the exact decimal value.
    v = double(digits);
    v = exponent < 0 ? v / kPow10[-exponent] : v * kPow10[exponent];
  }
  *value = negative ? -v : v;  // rounding to nearest is symmetric: negating after is exact
  return size_t(p - first);
#endif
}

}  // namespace tinyad
