// json_number.h: a fast, exact reader for the plain decimal numbers a board
// sends in a window ("-0.01234", "1.0213", "9.8e-3"), the hot loop of serve
// and collect. It is Clinger's fast path: a decimal with at most 2^53 as its
// digits and a power of ten within 10^±22 is one exactly representable
// integer times or over one exactly representable power of ten, so a single
// IEEE multiply or divide (correctly rounded) gives the correctly rounded
// double, the same bits as std::from_chars / strtod. Anything else (long
// digit strings, large exponents, malformed text) is left to the caller's
// general path, which also says what is wrong and where.
// What it avoids: any approximation (no "close enough" digit loops), and any
// error reporting of its own.
// Inline (the header holds the whole reader): called once per number, 600
// times a window, the call itself was a tenth of its cost.
#pragma once

#include <cfloat>
#include <cstddef>
#include <bit>
#include <cstdint>
#include <cstring>

namespace tinyad {
namespace json_number_detail {

// 10^0 .. 10^22: every one is exactly representable as a double (5^22 <
// 2^53), so the single operation below is the only rounding.
inline constexpr double kPow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                                    1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
constexpr int kMaxPow10 = 22;
constexpr uint64_t kMaxExactInteger = uint64_t(1) << 53;
constexpr int kMaxDigits = 19;          // digits that surely fit a uint64_t
constexpr int kMaxExponentDigits = 4;   // more: surely beyond 10^±22 or absurd; the general path decides

inline bool is_digit(char c) { return c >= '0' && c <= '9'; }

inline constexpr uint64_t kPow10Int[] = {1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000};

// Appends the run of digits at p to *digits (which may wrap when there are
// more than 19: the caller counts them); returns its end.
inline const char* take_digits(const char* p, const char* last, uint64_t* digits) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  // Up to 8 digits at a time where 8 bytes can be read: a window's 5-6
  // digit fractions in ~25 instructions instead of ~60 one by one. Integer
  // arithmetic only: the digits are the same, so is the double.
  constexpr uint64_t kHigh = 0xF0F0F0F0F0F0F0F0u, kThrees = 0x3030303030303030u;
  while (last - p >= 8) {
    uint64_t c;
    std::memcpy(&c, p, 8);  // byte 0 is the first character
    // Per byte: non-zero unless a digit ('0'..'9': high nibble 3, and still
    // 3 after adding 6). A carry out of a non-digit byte only marks bytes
    // after it, which are past the run anyway.
    const uint64_t not_digit = (((c + 0x0606060606060606u) & kHigh) ^ kThrees) | ((c & kHigh) ^ kThrees);
    const int n = not_digit ? std::countr_zero(not_digit) / 8 : 8;
    if (n == 0) return p;
    // The n digits as the high bytes (leading zero bytes add nothing), then
    // combined pairwise: 2-digit, 4-digit, 8-digit numbers.
    uint64_t d = (c & 0x0F0F0F0F0F0F0F0Fu) << (8 * (8 - n));
    d = (d * 10 + (d >> 8)) & 0x00FF00FF00FF00FFu;
    d = (d * 100 + (d >> 16)) & 0x0000FFFF0000FFFFu;
    d = (d * 10000 + (d >> 32)) & 0xFFFFFFFFu;
    *digits = *digits * kPow10Int[n] + d;
    p += n;
    if (n < 8) return p;
  }
#endif
  for (; p < last && is_digit(*p); ++p) *digits = *digits * 10 + unsigned(*p - '0');
  return p;
}

}  // namespace json_number_detail

/// Reads a JSON number (RFC 8259 grammar) at the start of [first, last) when
/// it is on the fast path: returns its length in bytes and sets *value to
/// exactly the double std::from_chars gives for that text. Returns 0 (and
/// leaves *value alone) when the text is not such a number: not a JSON
/// number at all, or one the fast path cannot convert exactly (more than
/// 19 digits, digits above 2^53, a power of ten beyond 10^±22);
/// the caller then takes its general path. The length is that of the
/// longest JSON number at `first` (what follows it is the caller's to check).
inline size_t json_number_fast(const char* first, const char* last, double* value) {
  using namespace json_number_detail;
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
