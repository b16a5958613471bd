// device_id.cpp: see device_id.h.
#include "device_id.h"

#include <cstdint>
#include <cstdio>

namespace tinyad {
namespace {

// Length of the valid UTF-8 sequence at s[i], or 0 when there is none.
size_t utf8_sequence(std::string_view s, size_t i) {
  const auto b = [&](size_t k) { return uint8_t(s[k]); };
  const uint8_t c = b(i);
  if (c < 0x80) return 1;
  size_t n = 0;
  uint32_t min = 0, cp = 0;
  if ((c & 0xE0) == 0xC0) n = 2, min = 0x80, cp = c & 0x1F;
  else if ((c & 0xF0) == 0xE0) n = 3, min = 0x800, cp = c & 0x0F;
  else if ((c & 0xF8) == 0xF0) n = 4, min = 0x10000, cp = c & 0x07;
  else return 0;
  if (i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    if ((b(i + k) & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (b(i + k) & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return n;
}

bool is_control(std::string_view s, size_t i, size_t n) {
  const uint8_t c = uint8_t(s[i]);
  if (n == 1) return c < 0x20 || c == 0x7F;
  return n == 2 && c == 0xC2 && uint8_t(s[i + 1]) < 0xA0;  // U+0080..U+009F (C1 controls)
}

}  // namespace

std::string device_id_cut(std::string_view id, size_t max_bytes) {
  if (id.size() <= max_bytes) return std::string(id);
  size_t end = max_bytes;
  // Step back over continuation bytes to the start of the cut character.
  while (end > 0 && (uint8_t(id[end]) & 0xC0) == 0x80) --end;
  return std::string(id.substr(0, end));
}

bool device_id_valid(std::string_view id, std::string* why) {
  for (size_t i = 0; i < id.size();) {
    const size_t n = utf8_sequence(id, i);
    if (n == 0) {
      *why = "is not valid UTF-8 at byte " + std::to_string(i);
      return false;
    }
    if (is_control(id, i, n)) {
      *why = "has a control character at byte " + std::to_string(i);
      return false;
    }
    i += n;
  }
  return true;
}

std::string device_id_printable(std::string_view id) {
  std::string out;
  for (size_t i = 0; i < id.size();) {
    const size_t n = utf8_sequence(id, i);
    if (n == 0 || is_control(id, i, n)) {
      char hex[5];
      std::snprintf(hex, sizeof hex, "\\x%02X", unsigned(uint8_t(id[i])));
      out += hex;
      ++i;
    } else {
      out.append(id.substr(i, n));
      i += n;
    }
  }
  return out;
}

}  // namespace tinyad
