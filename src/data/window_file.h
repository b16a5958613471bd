// window_file.h: one file of a label folder -> readings (n, 3) in g, whatever
// the kind of file tinyad reads (docs/foreign-data.md):
//   .csv .tsv       rows of numbers; the plain "x, y, z" form of the firmware
//                   goes through the fast reader (csv_reader.h), anything else
//                   (a header row, a leading timestamp or index column, ';' or
//                   tab separators, decimal commas with ';') through a
//                   tolerant one that takes the last three columns, or the
//                   ones --columns names (a headerless file of four or more
//                   numeric columns needs --columns: index or fourth sensor?);
//   .json           the firmware's window {"x":[...],"y":[...],"z":[...]}
//                   (sample_json.h), or Edge Impulse's data-acquisition JSON
//                   (payload.interval_ms, payload.sensors, payload.values;
//                   the first three sensors unless --columns names others;
//                   m/s2 is converted to g).
// Other files are not windows: window_file_known() says so by the name.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace tinyad {

struct WindowReadOptions {
  // The x, y, z columns: header names (case-insensitive) or 1-based column
  // numbers. Empty: the last three CSV columns, the first three Edge Impulse
  // sensors.
  std::vector<std::string> columns;
};

struct WindowFileInfo {
  double rate_hz = 0;  // sampling rate the file states (Edge Impulse interval_ms); 0: not stated
};

/// True for the file names read as windows (.csv, .tsv, .json); a .txt is
/// often a note beside the data, so it is named as unknown rather than parsed.
bool window_file_known(const std::string& name);

/// Reads one window file. Errors name the file (and line, for CSV) and say
/// what was expected, e.g. "a.csv:1: expected at least 3 columns (x, y, z), got 2".
bool window_file_read(const std::string& path, const WindowReadOptions& opt, std::vector<double>* rows,
                      WindowFileInfo* info, std::string* err);

/// The tolerant CSV reader alone (text already in memory); `path` for messages.
bool csv_parse_table(std::string_view text, const std::string& path, const WindowReadOptions& opt,
                     std::vector<double>* rows, std::string* err);

/// The JSON kinds alone: firmware window or Edge Impulse data acquisition.
bool json_parse_window(const std::string& text, const std::string& path, const WindowReadOptions& opt,
                       std::vector<double>* rows, WindowFileInfo* info, std::string* err);

}  // namespace tinyad
