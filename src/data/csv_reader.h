// csv_reader.h: one recording window from a CSV file of `x, y, z` rows (g),
// no header. Tolerates CRLF, spaces around cells and trailing blank lines;
// anything else malformed is an error naming the file and line.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace tinyad {

/// Parses CSV text into (n_rows, 3) row-major readings. `path` is only used in
/// error messages ("path:line: what was expected"). Returns false on error.
bool csv_parse_window(std::string_view text, const std::string& path, std::vector<double>* rows,
                      std::string* err);

/// Reads and parses one CSV file.
bool csv_read_window(const std::string& path, std::vector<double>* rows, std::string* err);

/// Formats readings back as the dataset's CSV rows ("x, y, z\n").
std::string csv_format_window(const std::vector<double>& rows);

}  // namespace tinyad
