// window_file.cpp: see window_file.h. The plain firmware CSV keeps its fast
// reader; only files it refuses are looked at again by the tolerant one, so
// the common case costs nothing extra.
#include "window_file.h"

#include <fast_float/fast_float.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "atomic_file.h"
#include "csv_reader.h"
#include "sample_json.h"

namespace tinyad {
namespace {

constexpr double kStandardGravity = 9.80665;  // m/s2 per g

std::string_view trim_cell(std::string_view s) {
  auto space = [](char c) { return c == ' ' || c == '\t' || c == '\r'; };
  while (!s.empty() && space(s.front())) s.remove_prefix(1);
  while (!s.empty() && space(s.back())) s.remove_suffix(1);
  if (s.size() >= 2 && s.front() == '"' && s.back() == '"') s = s.substr(1, s.size() - 2);
  return s;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = char(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string where(const std::string& path, size_t line) { return path + ":" + std::to_string(line) + ": "; }

// ';' wins over tab over ',': a ';' file may use decimal commas.
char detect_separator(std::string_view line) {
  if (line.find(';') != std::string_view::npos) return ';';
  if (line.find('\t') != std::string_view::npos) return '\t';
  return ',';
}

void split_cells(std::string_view line, char sep, std::vector<std::string_view>* cells) {
  cells->clear();
  while (true) {
    const size_t at = line.find(sep);
    cells->push_back(trim_cell(line.substr(0, at)));
    if (at == std::string_view::npos) return;
    line.remove_prefix(at + 1);
  }
}

// A number filling the whole cell (nan and inf included: they are numbers
// to refuse, not a header); "0,5" reads as 0.5 when the
// separator is not ',' (spreadsheets in many locales write that).
bool parse_cell(std::string_view cell, char sep, double* v) {
  std::string buf;
  if (sep != ',' && cell.find(',') != std::string_view::npos && cell.find('.') == std::string_view::npos) {
    buf.assign(cell);
    std::replace(buf.begin(), buf.end(), ',', '.');
    cell = buf;
  }
  if (cell.size() > 1 && cell.front() == '+') cell.remove_prefix(1);
  if (cell.empty()) return false;
  const auto r = fast_float::from_chars(cell.data(), cell.data() + cell.size(), *v);
  return r.ec == std::errc() && r.ptr == cell.data() + cell.size();
}

bool is_index(const std::string& s) {
  return !s.empty() && s.size() < 6 && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::string quoted(std::string_view s) {
  return "'" + std::string(s.substr(0, 40)) + (s.size() > 40 ? "...'" : "'");
}

// Columns (0-based) named by `wanted` among `names` (header cells or sensor
// names; empty when there is none), or the default three.
bool pick_columns(const std::vector<std::string>& wanted, const std::vector<std::string>& names, size_t n_cols,
                  bool default_last, const std::string& at, size_t picked[3], std::string* err) {
  if (wanted.empty()) {
    for (size_t a = 0; a < 3; ++a) picked[a] = default_last ? n_cols - 3 + a : a;
    return true;
  }
  if (wanted.size() != 3) {
    *err = "--columns needs 3 columns (x, y, z), got " + std::to_string(wanted.size());
    return false;
  }
  for (size_t a = 0; a < 3; ++a) {
    if (is_index(wanted[a])) {
      const size_t k = std::stoul(wanted[a]);
      if (k < 1 || k > n_cols) {
        *err = at + "--columns " + wanted[a] + ": expected a column number in 1.." + std::to_string(n_cols);
        return false;
      }
      picked[a] = k - 1;
      continue;
    }
    const auto it = std::find_if(names.begin(), names.end(), [&](const std::string& n) { return lower(n) == lower(wanted[a]); });
    if (it == names.end()) {
      std::string known;
      for (const auto& n : names) known += (known.empty() ? "" : ", ") + n;
      *err = at + "no column '" + wanted[a] + "'" + (names.empty() ? " (the file has no header row)" : " (columns: " + known + ")");
      return false;
    }
    picked[a] = size_t(it - names.begin());
  }
  return true;
}

// The first line is numbers between commas, as the firmware's own "x, y, z":
// then the fast reader's verdict stands, errors included. With more than
// three numeric columns and no header it cannot be told whether the first
// or the last column is the odd one (index, or a fourth sensor): --columns
// says which.
bool looks_plain(std::string_view text) {
  size_t start = 0;
  while (start < text.size()) {
    const size_t nl = text.find('\n', start);
    const std::string_view line = text.substr(start, nl == std::string_view::npos ? text.npos : nl - start);
    start = nl == std::string_view::npos ? text.size() : nl + 1;
    if (trim_cell(line).empty()) continue;
    if (detect_separator(line) != ',') return false;
    std::vector<std::string_view> cells;
    split_cells(line, ',', &cells);
    double v;
    return std::all_of(cells.begin(), cells.end(), [&](std::string_view c) { return parse_cell(c, ',', &v); });
  }
  return true;  // empty: the fast reader says so
}

bool has_extension(const std::string& name, std::initializer_list<const char*> exts) {
  const std::string ext = lower(std::filesystem::path(name).extension().string());
  return std::any_of(exts.begin(), exts.end(), [&](const char* e) { return ext == e; });
}

}  // namespace

bool window_file_known(const std::string& name) { return has_extension(name, {".csv", ".tsv", ".json"}); }

bool csv_parse_table(std::string_view text, const std::string& path, const WindowReadOptions& opt,
                     std::vector<double>* rows, std::string* err) {
  rows->clear();
  std::vector<std::string_view> cells;
  size_t line_no = 0, picked[3] = {0, 1, 2}, need = 0;
  char sep = 0;
  bool started = false;
  while (!text.empty()) {
    ++line_no;
    const size_t nl = text.find('\n');
    const std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    if (trim_cell(line).empty()) continue;
    if (!started) {  // the first line: separator, header, columns
      started = true;
      sep = detect_separator(line);
      split_cells(line, sep, &cells);
      if (cells.size() < 3) {
        *err = where(path, line_no) + "expected at least 3 columns (x, y, z), got " + std::to_string(cells.size()) +
               (cells.size() == 1 ? " (separators tried: ';', tab, ',')" : "");
        return false;
      }
      const bool by_name = std::any_of(opt.columns.begin(), opt.columns.end(), [](const std::string& c) { return !is_index(c); });
      std::vector<std::string> names;
      for (auto c : cells) names.emplace_back(c);
      if (!pick_columns(opt.columns, {}, cells.size(), true, where(path, line_no), picked, err) && !by_name) return false;
      double v;
      const bool header = by_name || !parse_cell(cells[picked[0]], sep, &v) || !parse_cell(cells[picked[1]], sep, &v) ||
                          !parse_cell(cells[picked[2]], sep, &v);
      if (by_name && !pick_columns(opt.columns, names, cells.size(), true, where(path, line_no), picked, err)) return false;
      need = std::max({picked[0], picked[1], picked[2]}) + 1;
      if (header) continue;
    }
    split_cells(line, sep, &cells);
    if (cells.size() < need) {
      *err = where(path, line_no) + "expected at least " + std::to_string(need) + " columns, got " + std::to_string(cells.size());
      return false;
    }
    double v[3] = {0, 0, 0};
    for (size_t a = 0; a < 3; ++a) {
      if (!parse_cell(cells[picked[a]], sep, &v[a]) || !std::isfinite(v[a])) {
        *err = where(path, line_no) + "expected a " + (std::isfinite(v[a]) ? "" : "finite ") + "number in column " +
               std::to_string(picked[a] + 1) + ", got " + quoted(cells[picked[a]]);
        return false;
      }
    }
    rows->insert(rows->end(), v, v + 3);
  }
  if (rows->empty()) {
    *err = where(path, 1) + "expected rows of x, y, z, got " + (started ? "a header only" : "an empty file");
    return false;
  }
  return true;
}

bool json_parse_window(const std::string& text, const std::string& path, const WindowReadOptions& opt,
                       std::vector<double>* rows, WindowFileInfo* info, std::string* err) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    *err = path + ": not JSON (" + e.what() + ")";
    return false;
  }
  if (j.is_object() && j.contains("x") && !j.contains("payload")) {  // the firmware's window
    SampleWindow w;
    SampleLimits limits;
    limits.max_readings = 10000000;
    int status = 0;
    if (!sample_json_parse(text, limits, &w, &status, err)) {
      *err = path + ": " + *err;
      return false;
    }
    *rows = std::move(w.rows);
    return true;
  }
  if (!j.is_object() || !j.contains("payload") || !j["payload"].is_object()) {
    *err = path + ": expected the firmware's {\"x\":[...],\"y\":[...],\"z\":[...]} or Edge Impulse's "
                  "{\"payload\":{\"interval_ms\",\"sensors\",\"values\"}}";
    return false;
  }
  try {
    const auto& p = j["payload"];
    const auto& sensors = p.at("sensors");
    const auto& values = p.at("values");
    if (!sensors.is_array() || sensors.size() < 3) {
      *err = path + ": expected at least 3 sensors (x, y, z) in payload.sensors, got " +
             std::to_string(sensors.is_array() ? sensors.size() : 0);
      return false;
    }
    std::vector<std::string> names;
    for (const auto& s : sensors) names.push_back(s.value("name", std::string()));
    size_t picked[3];
    if (!pick_columns(opt.columns, names, sensors.size(), false, path + ": ", picked, err)) return false;
    double scale[3];
    for (size_t a = 0; a < 3; ++a) {
      const std::string units = lower(sensors[picked[a]].value("units", std::string("g")));
      scale[a] = units == "m/s2" || units == "m/s^2" || units == "m/s\xc2\xb2" ? 1.0 / kStandardGravity : 1.0;
    }
    if (p.contains("interval_ms") && p["interval_ms"].is_number() && p["interval_ms"].get<double>() > 0)
      info->rate_hz = 1000.0 / p["interval_ms"].get<double>();
    rows->clear();
    for (size_t i = 0; i < values.size(); ++i) {
      const auto& row = values[i];
      if (!row.is_array() || row.size() != sensors.size()) {
        *err = path + ": payload.values[" + std::to_string(i) + "]: expected " + std::to_string(sensors.size()) +
               " numbers (one per sensor)";
        return false;
      }
      for (size_t a = 0; a < 3; ++a) {
        const auto& cell = row[picked[a]];
        if (!cell.is_number() || !std::isfinite(cell.get<double>())) {
          *err = path + ": payload.values[" + std::to_string(i) + "][" + std::to_string(picked[a]) +
                 "]: expected a finite number";
          return false;
        }
        rows->push_back(cell.get<double>() * scale[a]);
      }
    }
    if (rows->empty()) {
      *err = path + ": payload.values is empty";
      return false;
    }
    return true;
  } catch (const nlohmann::json::exception& e) {
    *err = path + ": expected Edge Impulse's payload.sensors and payload.values (" + e.what() + ")";
    return false;
  }
}

bool window_file_read(const std::string& path, const WindowReadOptions& opt, std::vector<double>* rows,
                      WindowFileInfo* info, std::string* err) {
  *info = {};
  if (!window_file_known(path)) {
    *err = path + ": not a window file (tinyad reads .csv, .tsv and .json; docs/foreign-data.md)";
    return false;
  }
  std::string text;
  if (!read_file(path, &text, err)) return false;
  if (has_extension(path, {".json"})) return json_parse_window(text, path, opt, rows, info, err);
  if (opt.columns.empty()) {
    if (csv_parse_window(text, path, rows, err)) return true;  // the firmware's own form, fast
    if (looks_plain(text)) return false;
  }
  return csv_parse_table(text, path, opt, rows, err);
}

}  // namespace tinyad
