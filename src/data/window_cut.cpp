// window_cut.cpp: see window_cut.h.
#include "window_cut.h"

namespace tinyad {

size_t window_count(size_t n_values, size_t window) {
  const size_t whole = window == 0 ? 0 : n_values / (window * 3);
  return whole >= 2 ? whole : 1;
}

void window_part(const std::vector<double>& rows, size_t window, size_t k, size_t n_windows,
                 std::vector<double>* part) {
  if (n_windows <= 1) {
    *part = rows;
    return;
  }
  const size_t w3 = window * 3;
  part->assign(rows.begin() + long(k * w3), rows.begin() + long((k + 1) * w3));
}

std::string window_name(const std::string& path, size_t k, size_t n_windows) {
  return n_windows > 1 ? path + "#" + std::to_string(k) : path;
}

}  // namespace tinyad
