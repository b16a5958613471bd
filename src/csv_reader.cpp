// csv_reader.cpp: see csv_reader.h. std::from_chars does the number parsing
// (locale-free, no allocation); each line is split by hand.
#include "csv_reader.h"

#include <charconv>
#include <cmath>
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

// Parses one "x, y, z" line into out[0..3).
bool parse_line(std::string_view line, const std::string& path, size_t line_no, double* out,
                std::string* err) {
  int col = 0;
  for (;;) {
    const size_t comma = line.find(',');
    std::string_view cell = trim(line.substr(0, comma));
    if (col == 3) {
      *err = where(path, line_no) + "expected 3 columns (x, y, z), got more";
      return false;
    }
    double v = 0;
    const auto [end, ec] = std::from_chars(cell.data(), cell.data() + cell.size(), v);
    if (cell.empty() || ec != std::errc() || end != cell.data() + cell.size()) {
      *err = where(path, line_no) + "expected a number in column " + std::to_string(col + 1) +
             ", got " + quoted(cell);
      return false;
    }
    if (!std::isfinite(v)) {
      *err = where(path, line_no) + "expected a finite number in column " +
             std::to_string(col + 1) + ", got " + quoted(cell);
      return false;
    }
    out[col++] = v;
    if (comma == std::string_view::npos) break;
    line.remove_prefix(comma + 1);
  }
  if (col != 3) {
    *err = where(path, line_no) + "expected 3 columns (x, y, z), got " + std::to_string(col);
    return false;
  }
  return true;
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
    if (!parse_line(line, path, line_no, v, err)) return false;
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
