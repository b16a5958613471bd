// csv_reader.cpp: see csv_reader.h.
// fast_float parses the numbers (locale-free, no allocation, several
// times faster than libstdc++'s from_chars); each line is one pass.
#include "csv_reader.h"

#include <fast_float/fast_float.h>

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>

#include "atomic_file.h"

namespace tinyad {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

std::string quoted(std::string_view s) {
  constexpr size_t kMax = 40;
  std::string out = "'";
  out += s.substr(0, kMax);
  if (s.size() > kMax) out += "...";
  return out + "'";
}

std::string where(const std::string& path, size_t line) {
  return path + ":" + std::to_string(line) + ": ";
}

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r'; }

// The sensor writes plain decimals such as "-0.012695". With at most 15
// digits the mantissa and the power of ten are exact doubles, so one IEEE
// division gives the correctly rounded value, bit for bit what strtod gives
// (Clinger's fast path). Anything else (exponents, long mantissas, nan, inf)
// goes to fast_float. Returns the end of the number, or nullptr to fall back.
const char* parse_plain_decimal(const char* p, const char* end, double* out) {
  static constexpr double kPow10[] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7,
                                      1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15};
  const bool negative = p < end && *p == '-';
  if (negative) ++p;
  uint64_t mantissa = 0;
  const char* start = p;
  while (p < end && unsigned(*p - '0') < 10) mantissa = mantissa * 10 + unsigned(*p++ - '0');
  const long int_digits = p - start;
  long fraction_digits = 0;
  if (p < end && *p == '.') {
    const char* fraction = ++p;
    while (p < end && unsigned(*p - '0') < 10) mantissa = mantissa * 10 + unsigned(*p++ - '0');
    fraction_digits = p - fraction;
  }
  const long digits = int_digits + fraction_digits;
  if (digits == 0 || digits > 15) return nullptr;
  if (p < end && (*p == 'e' || *p == 'E' || *p == '.')) return nullptr;
  const double v = double(mantissa) / kPow10[fraction_digits];
  *out = negative ? -v : v;
  return p;
}

// Parses one "x, y, z" line [p, end) into out[0..3) in a single pass.
bool parse_line(const char* p, const char* end, const std::string& path, size_t line_no, double* out,
                std::string* err) {
  for (int col = 0;; ++col) {
    while (p < end && is_space(*p)) ++p;
    if (col == 3) {
      *err = where(path, line_no) + "expected 3 columns (x, y, z), got more";
      return false;
    }
    const char* cell = p;
    if (p + 1 < end && *p == '+' && p[1] != '-') ++p;  // "+0.5" as numpy reads it
    const char* num_end = parse_plain_decimal(p, end, &out[col]);
    std::errc ec{};
    if (!num_end) {
      const auto r = fast_float::from_chars(p, end, out[col]);
      num_end = r.ptr;
      ec = r.ec;
    }
    const char* q = num_end;
    while (q < end && is_space(*q)) ++q;
    if (ec != std::errc() || num_end == cell || (q < end && *q != ',')) {
      const char* cell_end = cell;
      while (cell_end < end && *cell_end != ',') ++cell_end;
      std::string_view text = trim(std::string_view(cell, size_t(cell_end - cell)));
      if (text.empty() && q == end && col < 3 && cell == end) {
        *err = where(path, line_no) + "expected 3 columns (x, y, z), got " + std::to_string(col);
      } else {
        *err = where(path, line_no) + "expected a number in column " + std::to_string(col + 1) + ", got " +
               quoted(text);
      }
      return false;
    }
    if (!std::isfinite(out[col])) {
      *err = where(path, line_no) + "expected a finite number in column " + std::to_string(col + 1) + ", got " +
             quoted(std::string_view(cell, size_t(num_end - cell)));
      return false;
    }
    if (q == end) {
      if (col != 2) {
        *err = where(path, line_no) + "expected 3 columns (x, y, z), got " + std::to_string(col + 1);
        return false;
      }
      return true;
    }
    p = q + 1;  // past the comma
  }
}

}  // namespace

bool csv_parse_window(std::string_view text, const std::string& path, std::vector<double>* rows,
                      std::string* err) {
  rows->clear();
  size_t line_no = 0;
  size_t blank_since = 0;  // first line of the current run of blank lines
  while (!text.empty()) {
    ++line_no;
    const size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    if (trim(line).empty()) {
      if (blank_since == 0) blank_since = line_no;
      continue;
    }
    if (blank_since != 0) {  // blank lines are fine only at the end
      *err = where(path, blank_since) + "expected a row of x, y, z, got a blank line";
      return false;
    }
    double v[3];
    if (!parse_line(line.data(), line.data() + line.size(), path, line_no, v, err)) return false;
    rows->insert(rows->end(), v, v + 3);
  }
  if (rows->empty()) {
    *err = where(path, 1) + "expected rows of x, y, z, got an empty file";
    return false;
  }
  return true;
}

bool csv_read_window(const std::string& path, std::vector<double>* rows, std::string* err) {
  std::string text;
  if (!read_file(path, &text, err)) return false;
  return csv_parse_window(text, path, rows, err);
}

std::string csv_format_window(const std::vector<double>& rows) {
  std::string out;
  char buf[96];
  for (size_t i = 0; i + 2 < rows.size(); i += 3) {
    const int n = std::snprintf(buf, sizeof buf, "%.9g, %.9g, %.9g\n", rows[i], rows[i + 1], rows[i + 2]);
    out.append(buf, size_t(n));
  }
  return out;
}

}  // namespace tinyad
