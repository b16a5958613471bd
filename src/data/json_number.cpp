// json_number.cpp: see json_number.h.
#include "json_number.h"

#include <cfloat>
#include <cstddef>
#include <cstdint>

namespace tinyad {
namespace {

// 10^0 .. 10^22: every one is exactly representable as a double (5^22 <
// 2^53), so the single operation below is the only rounding.
constexpr double kPow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                             1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
constexpr int kMaxPow10 = 22;
constexpr uint64_t kMaxExactInteger = uint64_t(1) << 53;
constexpr int kMaxDigits = 19;          // digits that surely fit a uint64_t
constexpr int kMaxExponentDigits = 4;   // more: surely beyond 10^±22 or absurd; the general path decides

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Appends the run of digits at p to *digits (which may wrap when there are
// more than 19: the caller counts them); returns its end.
const char* take_digits(const char* p, const char* last, uint64_t* digits) {
  // One digit per step: tried 8 at a time (SWAR), no faster on the
  // firmware's 5-6 digit fractions.
  for (; p < last && is_digit(*p); ++p) *digits = *digits * 10 + unsigned(*p - '0');
  return p;
}

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
  // All digits go into one integer, leading zeros too (they add nothing);
  // more than 19 digit characters might not fit: the general path takes those.
  uint64_t digits = 0;
  int exponent = 0;  // value = digits * 10^exponent
  const char* int_start = p;
  if (p < last && *p == '0') {
    ++p;  // "0", then only '.', 'e' or the end: "01" is two tokens
  } else {
    p = take_digits(p, last, &digits);
    if (p == int_start) return 0;
  }
  ptrdiff_t n_digits = p - int_start;
  if (p < last && *p == '.') {
    const char* frac_start = ++p;
    p = take_digits(p, last, &digits);
    if (p == frac_start) return 0;  // "1." is not JSON: the general path says so
    exponent = -int(p - frac_start);
    n_digits += p - frac_start;
  }
  if (n_digits > kMaxDigits) return 0;  // digits may have wrapped around
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
