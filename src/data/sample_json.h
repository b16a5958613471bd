// sample_json.h: the device protocol's POST body {"x":[...],"y":[...],"z":[...]}
// (numbers in g) to one window of readings, and back. A small strict JSON
// reader of our own rather than a DOM library: it must say exactly what is
// wrong (which axis, which index, which byte) in one line, it must recognise
// the NaN / Infinity tokens an Arduino JSON library writes for a failed
// reading, and it runs thousands of times a second in the collect server.
#pragma once

#include <cmath>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace tinyad {

struct SampleWindow {
  std::vector<double> rows;  // (n, 3) row-major x, y, z; g
  // (n, 3) row-major: each number's text as sent. Views into the parsed body:
  // valid only while that body lives.
  std::vector<std::string_view> texts;
  std::string device;        // the optional "device" string field, else ""
  size_t size() const { return rows.size() / 3; }
};

struct SampleLimits {
  size_t max_readings = 10000;  // per axis
  size_t max_depth = 16;        // nesting of unknown fields
  // The servers set these two (server_flags.h: --min-readings, 16, and
  // 1000 g): a window shorter than that is no window (no recipe scores 1 or
  // 2 readings) and |reading| above 1000 g is no accelerometer's (MEMS parts
  // top out at a few hundred g), so both are refused at once rather than
  // stored to be rejected by train later. The parser alone takes anything.
  size_t min_readings = 1;
  double max_abs_g = HUGE_VAL;
};

/// Parses a POST body. On error returns false, sets *status (400, or 413 for
/// too many readings) and *err to one line saying what was wrong and where,
/// and leaves out->rows and out->texts empty.
/// Unknown fields are skipped; "device", when present, must be a string.
/// The numbers are read straight into out->rows / out->texts: a caller that
/// reuses one SampleWindow for many bodies (a server thread) parses a window
/// of the size it saw before with no allocation.
bool sample_json_parse(std::string_view body, const SampleLimits& limits, SampleWindow* out, int* status,
                       std::string* err);

/// Formats readings as the firmware does: {"x":[...],"y":[...],"z":[...]}
/// with each number in its shortest exact form. `rows` is (n, 3) row-major.
std::string sample_json_format(const std::vector<double>& rows);

/// Formats readings as dataset CSV rows "x, y, z\n", each number in its
/// shortest form that reads back to the same double (so a stored window holds
/// exactly the values sent).
std::string sample_csv_format(const std::vector<double>& rows);

/// Formats a parsed window as dataset CSV rows with each number exactly as it
/// was sent (its JSON text; a JSON number is also a valid CSV cell). Cheaper
/// than re-formatting the doubles, and the stored file holds the bytes the
/// device sent.
std::string sample_csv_format_sent(const SampleWindow& w);

/// Appends the shortest decimal form of v that reads back to the same double.
void append_shortest(std::string* out, double v);

}  // namespace tinyad
