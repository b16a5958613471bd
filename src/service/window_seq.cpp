// window_seq.cpp: see window_seq.h.
#include "window_seq.h"

#include <algorithm>
#include <cstdlib>

namespace tinyad {

uint64_t window_seq(std::string_view json) {
  for (size_t at = json.find("\"seq\""); at != std::string_view::npos; at = json.find("\"seq\"", at + 1)) {
    size_t before = at;
    while (before > 0 && (json[before - 1] == ' ' || json[before - 1] == '\n')) --before;
    if (before == 0 || (json[before - 1] != '{' && json[before - 1] != ',')) continue;
    size_t k = at + 5;
    while (k < json.size() && json[k] == ' ') ++k;
    if (k >= json.size() || json[k] != ':') continue;
    ++k;
    while (k < json.size() && json[k] == ' ') ++k;
    uint64_t v = 0;
    size_t digits = 0;
    for (; k < json.size() && json[k] >= '0' && json[k] <= '9' && digits < 19; ++k, ++digits)
      v = v * 10 + uint64_t(json[k] - '0');
    return digits ? v : 0;
  }
  return 0;
}

bool DeviceSeqs::accept(uint64_t seq) {
  if (seq > high) {
    if (seq > high + 1) gaps.emplace_back(high + 1, seq - 1);
    if (gaps.size() > kMaxGaps) gaps.erase(gaps.begin());
    high = seq;
    return true;
  }
  if (high - seq >= kRestartBelow) {
    *this = DeviceSeqs{};
    high = seq;
    return true;
  }
  for (size_t i = 0; i < gaps.size(); ++i) {
    auto [first, last] = gaps[i];
    if (seq < first || seq > last) continue;
    if (first == last) {
      gaps.erase(gaps.begin() + long(i));
    } else if (seq == first) {
      gaps[i].first = seq + 1;
    } else if (seq == last) {
      gaps[i].second = seq - 1;
    } else {
      gaps[i].second = seq - 1;
      gaps.insert(gaps.begin() + long(i) + 1, {seq + 1, last});
      if (gaps.size() > kMaxGaps) gaps.erase(gaps.begin());
    }
    return true;
  }
  return false;
}

std::string DeviceSeqs::text() const {
  std::string t = std::to_string(high);
  for (auto [first, last] : gaps) t += "," + std::to_string(first) + "-" + std::to_string(last);
  return t;
}

void DeviceSeqs::parse(const char* t) {
  *this = DeviceSeqs{};
  if (!t) return;
  char* end = nullptr;
  high = std::strtoull(t, &end, 10);
  while (end && *end == ',') {
    const uint64_t first = std::strtoull(end + 1, &end, 10);
    if (*end != '-') break;
    gaps.emplace_back(first, std::strtoull(end + 1, &end, 10));
  }
}

}  // namespace tinyad
