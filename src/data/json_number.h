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
#pragma once

#include <cstddef>

namespace tinyad {

/// Reads a JSON number (RFC 8259 grammar) at the start of [first, last) when
/// it is on the fast path: returns its length in bytes and sets *value to
/// exactly the double std::from_chars gives for that text. Returns 0 (and
/// leaves *value alone) when the text is not such a number: not a JSON
/// number at all, or one the fast path cannot convert exactly (more than
/// 19 digits, digits above 2^53, a power of ten beyond 10^±22);
/// the caller then takes its general path. The length is that of the
/// longest JSON number at `first` (what follows it is the caller's to check).
size_t json_number_fast(const char* first, const char* last, double* value);

}  // namespace tinyad
