// sample_json.cpp: see sample_json.h. A recursive-descent reader over a
// string_view with a depth limit; numbers are checked against the JSON number
// grammar and converted with std::from_chars (locale-free, exact).
#include "sample_json.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstring>

#include "device_id.h"
#include "json_number.h"

namespace tinyad {
namespace {

enum class Axis { kX, kY, kZ, kNone };

struct Reader {
  std::string_view s;
  size_t pos = 0;
  const SampleLimits& limits;
  std::string* err;
  int* status;

  bool fail(const std::string& what) {
    *status = 400;
    *err = what;
    return false;
  }

  // "expected X at byte N, got 'c'" / "... got the end of the body".
  bool expected(const char* what) {
    std::string got;
    if (pos >= s.size()) {
      got = "the end of the body (" + std::to_string(s.size()) + " bytes; a Content-Length too short?)";
    } else {
      const unsigned char c = static_cast<unsigned char>(s[pos]);
      if (c >= 0x20 && c < 0x7f) got = std::string("'") + char(c) + "'";
      else got = "byte 0x" + std::string(1, "0123456789abcdef"[c >> 4]) + "0123456789abcdef"[c & 15];
    }
    return fail(std::string("body is not valid JSON: expected ") + what + " at byte " + std::to_string(pos) +
                ", got " + got);
  }

  void skip_ws() {
    while (pos < s.size() && (s[pos] == ' ' || s[pos] == '\t' || s[pos] == '\n' || s[pos] == '\r')) ++pos;
  }

  bool peek(char c) {
    skip_ws();
    return pos < s.size() && s[pos] == c;
  }

  bool consume(char c, const char* what) {
    skip_ws();
    if (pos < s.size() && s[pos] == c) {
      ++pos;
      return true;
    }
    return expected(what);
  }

  // A JSON string; the decoded text goes to *out when out != nullptr.
  bool string(std::string* out) {
    if (!consume('"', "a string")) return false;
    for (;;) {
      if (pos >= s.size()) return expected("the end of a string");
      const unsigned char c = static_cast<unsigned char>(s[pos]);
      if (c == '"') {
        ++pos;
        return true;
      }
      if (c < 0x20) return expected("a character in a string (control characters must be escaped)");
      if (c != '\\') {
        if (out) out->push_back(char(c));
        ++pos;
        continue;
      }
      if (++pos >= s.size()) return expected("an escape");
      const char e = s[pos++];
      static const char* kSimple = "\"\\/bfnrt";
      static const char* kDecoded = "\"\\/\b\f\n\r\t";
      if (const char* p = std::strchr(kSimple, e); p && e) {
        if (out) out->push_back(kDecoded[p - kSimple]);
        continue;
      }
      if (e != 'u') {
        --pos;
        return expected("an escape (one of \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)");
      }
      for (int i = 0; i < 4; ++i, ++pos) {
        if (pos >= s.size() || !std::isxdigit(static_cast<unsigned char>(s[pos]))) return expected("4 hex digits");
      }
      if (out) out->push_back('?');  // device names are for logs: no need to decode
    }
  }

  // Checks the JSON number grammar at pos and returns its text.
  bool number_text(std::string_view* text) {
    const size_t start = pos;
    auto digits = [&] {
      const size_t d = pos;
      while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') ++pos;
      return pos > d;
    };
    if (pos < s.size() && s[pos] == '-') ++pos;
    if (pos < s.size() && s[pos] == '0') {
      ++pos;
    } else if (!digits()) {
      return expected("a number");
    }
    if (pos < s.size() && s[pos] == '.') {
      ++pos;
      if (!digits()) return expected("a digit after the decimal point");
    }
    if (pos < s.size() && (s[pos] == 'e' || s[pos] == 'E')) {
      ++pos;
      if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) ++pos;
      if (!digits()) return expected("a digit in the exponent");
    }
    *text = s.substr(start, pos - start);
    return true;
  }

  bool literal(std::string_view word) {
    if (s.substr(pos, word.size()) != word) return false;
    pos += word.size();
    return true;
  }

  // Any JSON value, discarded (fields the protocol does not use).
  bool skip_value(size_t depth) {
    if (depth > limits.max_depth) return fail("body nests deeper than " + std::to_string(limits.max_depth) + " levels");
    skip_ws();
    if (pos >= s.size()) return expected("a value");
    const char c = s[pos];
    if (c == '"') return string(nullptr);
    if (c == '{') {
      ++pos;
      if (peek('}')) return ++pos, true;
      for (;;) {
        if (!string(nullptr) || !consume(':', "':'") || !skip_value(depth + 1)) return false;
        if (peek(',')) {
          ++pos;
          continue;
        }
        return consume('}', "',' or '}'");
      }
    }
    if (c == '[') {
      ++pos;
      if (peek(']')) return ++pos, true;
      for (;;) {
        if (!skip_value(depth + 1)) return false;
        if (peek(',')) {
          ++pos;
          continue;
        }
        return consume(']', "',' or ']'");
      }
    }
    if (literal("true") || literal("false") || literal("null")) return true;
    std::string_view text;
    return number_text(&text);
  }

  // What a non-number element is, for the error message.
  std::string describe_value() {
    const char c = s[pos];
    if (c == '"') return "a string";
    if (c == '[') return "an array";
    if (c == '{') return "an object";
    if (s.substr(pos, 4) == "true" || s.substr(pos, 5) == "false") return "a boolean";
    if (s.substr(pos, 4) == "null") return "null";
    return "";
  }

  // [n, n, ...] of finite numbers into column `axis` of the (n, 3) rows and
  // texts, read straight into place (no per-axis vectors to transpose after):
  // both grow by whole rows when a reading lands past their size, so a window
  // of the size the thread parsed before costs no allocation. *count: the
  // readings; *beyond: one of them is above limits.max_abs_g (the caller says
  // which, once every array is known to be well-formed).
  bool axis_array(const char* name, size_t axis, std::vector<double>* rows, std::vector<std::string_view>* texts,
                  size_t* count, bool* beyond) {
    if (!consume('[', (std::string("an array of numbers for \"") + name + "\"").c_str())) return false;
    if (peek(']')) return fail(std::string("\"") + name + "\" is empty: expected at least one reading");
    // The hot loop of both servers: no allocation unless something is wrong.
    size_t k = 0;
    auto where = [&] { return std::string(name) + "[" + std::to_string(k) + "]"; };
    const char* const data = s.data();
    const char* const end = data + s.size();
    size_t cap = rows->size() / 3;
    bool far = false;
    for (;;) {
      skip_ws();
      if (k >= limits.max_readings) {
        *status = 413;
        *err = std::string("\"") + name + "\" has more than " + std::to_string(limits.max_readings) +
               " readings (the limit)";
        return false;
      }
      if (k == cap) {
        cap = std::max<size_t>(256, 2 * cap);
        rows->resize(3 * cap);
        texts->resize(3 * cap);
      }
      // The firmware's plain decimals: converted exactly in one pass
      // (json_number.h); anything else takes the careful path below.
      double v = 0;
      std::string_view text;
      if (const size_t len = json_number_fast(data + pos, end, &v)) {
        text = std::string_view(data + pos, len);
        pos += len;
      } else if (!general_number(where, &text, &v)) {
        return false;
      }
      far |= std::fabs(v) > limits.max_abs_g;
      (*rows)[3 * k + axis] = v;
      (*texts)[3 * k + axis] = text;
      ++k;
      if (pos < s.size() && s[pos] == ',') {  // the firmware's case: no white space
        ++pos;
        continue;
      }
      if (peek(',')) {
        ++pos;
        continue;
      }
      *count = k;
      *beyond = far;
      return consume(']', "',' or ']'");
    }
  }

  // One array element that is not on the fast path: a number in a form the
  // fast path leaves alone (many digits, a large exponent), or what the
  // device sent instead of a number (NaN, a string, bad grammar), said with
  // its index or byte.
  template <class Where>
  bool general_number(const Where& where, std::string_view* text, double* v) {
    if (pos >= s.size()) return expected("a number");
    const char c = s[pos];
    if (!(c == '-' || (c >= '0' && c <= '9')) || (c == '-' && pos + 1 < s.size() && !std::isdigit(static_cast<unsigned char>(s[pos + 1])))) {
      for (std::string_view bad : {"NaN", "-NaN", "nan", "Infinity", "-Infinity", "inf", "-inf"}) {
        if (s.substr(pos, bad.size()) == bad) {
          return fail(where() + " is " + std::string(bad) + ": expected a finite number (a failed sensor reading?)");
        }
      }
      if (const std::string what = describe_value(); !what.empty()) {
        return fail(where() + " is " + what + ": expected a number");
      }
    }
    if (!number_text(text)) return false;
    const auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), *v);
    if (ec != std::errc() || end != text->data() + text->size() || !std::isfinite(*v)) {
      return fail(where() + " = " + std::string(text->substr(0, 32)) + " is out of range: expected a finite number");
    }
    return true;
  }
};

Axis axis_of(const std::string& key) {
  if (key == "x") return Axis::kX;
  if (key == "y") return Axis::kY;
  if (key == "z") return Axis::kZ;
  return Axis::kNone;
}

}  // namespace

bool sample_json_parse(std::string_view body, const SampleLimits& limits, SampleWindow* out, int* status,
                       std::string* err) {
  Reader r{body, 0, limits, err, status};
  out->device.clear();
  // out->rows and out->texts keep their size from the caller's last window:
  // the arrays are read into them in place (axis_array), and only the end
  // sets their size; a refused body leaves them empty.
  struct EmptyUnlessParsed {
    SampleWindow* w;
    bool parsed = false;
    ~EmptyUnlessParsed() {
      if (parsed) return;
      w->rows.clear();
      w->texts.clear();
    }
  } result{out};
  size_t counts[3] = {0, 0, 0};
  bool seen[3] = {false, false, false};
  bool beyond = false;
  bool seen_device = false;
  r.skip_ws();
  if (r.pos >= body.size()) return r.fail("body is empty: expected {\"x\":[...],\"y\":[...],\"z\":[...]}");
  if (body[r.pos] != '{') {
    return r.expected("a JSON object {\"x\":[...],\"y\":[...],\"z\":[...]}");
  }
  ++r.pos;
  if (!r.peek('}')) {
    for (;;) {
      std::string key;
      if (!r.string(&key) || !r.consume(':', "':'")) return false;
      const Axis a = axis_of(key);
      if (a != Axis::kNone) {
        const size_t i = size_t(a);
        if (seen[i]) return r.fail("duplicate field \"" + key + "\"");
        seen[i] = true;
        bool far = false;
        if (!r.axis_array(key.c_str(), i, &out->rows, &out->texts, &counts[i], &far)) return false;
        beyond |= far;
      } else if (key == "device") {
        if (seen_device) return r.fail("duplicate field \"device\"");
        seen_device = true;
        r.skip_ws();
        if (!r.peek('"')) return r.fail("\"device\" must be a string");
        if (!r.string(&out->device)) return false;
        out->device = device_id_cut(out->device);  // whole characters only (device_id.h)
      } else if (!r.skip_value(1)) {
        return false;
      }
      if (r.peek(',')) {
        ++r.pos;
        continue;
      }
      if (!r.consume('}', "',' or '}'")) return false;
      break;
    }
  } else {
    ++r.pos;
  }
  r.skip_ws();
  if (r.pos != body.size()) return r.expected("the end of the body after the JSON object");
  static const char* kNames[3] = {"x", "y", "z"};
  for (int i = 0; i < 3; ++i) {
    if (!seen[i]) {
      return r.fail(std::string("missing axis \"") + kNames[i] + "\": expected {\"x\":[...],\"y\":[...],\"z\":[...]}");
    }
  }
  if (counts[0] != counts[1] || counts[0] != counts[2]) {
    return r.fail("axes have different lengths: x " + std::to_string(counts[0]) + ", y " +
                  std::to_string(counts[1]) + ", z " + std::to_string(counts[2]));
  }
  const size_t n = counts[0];
  if (n < limits.min_readings) {
    *err = "the window has " + std::to_string(n) + " readings per axis: expected at least " +
           std::to_string(limits.min_readings);
    *status = 422;  // well-formed, but not a window
    return false;
  }
  // The first reading beyond the limit, axis by axis (the arrays flagged one).
  for (size_t a = 0; beyond && a < 3; ++a) {
    for (size_t k = 0; k < n; ++k) {
      if (std::fabs(out->rows[3 * k + a]) > limits.max_abs_g) {
        *err = std::string(kNames[a]) + "[" + std::to_string(k) + "] = " +
               std::string(out->texts[3 * k + a].substr(0, 32)) +
               " g is beyond any accelerometer (|reading| <= " + std::to_string(int(limits.max_abs_g)) + " g expected)";
        *status = 422;
        return false;
      }
    }
  }
  out->rows.resize(3 * n);
  out->texts.resize(3 * n);
  result.parsed = true;
  return true;
}

void append_shortest(std::string* out, double v) {
  char buf[32];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out->append(buf, ec == std::errc() ? size_t(end - buf) : 0);
}

std::string sample_json_format(const std::vector<double>& rows) {
  const size_t n = rows.size() / 3;
  std::string out;
  out.reserve(n * 3 * 12 + 24);
  static const char* kOpen[3] = {"{\"x\":[", "],\"y\":[", "],\"z\":["};
  for (int axis = 0; axis < 3; ++axis) {
    out += kOpen[axis];
    for (size_t k = 0; k < n; ++k) {
      if (k) out += ',';
      append_shortest(&out, rows[3 * k + size_t(axis)]);
    }
  }
  out += "]}";
  return out;
}

std::string sample_csv_format_sent(const SampleWindow& w) {
  size_t bytes = 0;
  for (std::string_view t : w.texts) bytes += t.size() + 2;
  std::string out;
  out.reserve(bytes);
  for (size_t i = 0; i + 2 < w.texts.size(); i += 3) {
    out += w.texts[i];
    out += ", ";
    out += w.texts[i + 1];
    out += ", ";
    out += w.texts[i + 2];
    out += '\n';
  }
  return out;
}

std::string sample_csv_format(const std::vector<double>& rows) {
  std::string out;
  out.reserve(rows.size() * 12);
  for (size_t i = 0; i + 2 < rows.size(); i += 3) {
    append_shortest(&out, rows[i]);
    out += ", ";
    append_shortest(&out, rows[i + 1]);
    out += ", ";
    append_shortest(&out, rows[i + 2]);
    out += '\n';
  }
  return out;
}

}  // namespace tinyad
