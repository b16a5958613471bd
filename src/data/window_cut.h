// window_cut.h: how a file of readings becomes windows, the one rule that
// feature tables (train, eval) and score share, so a file gives the same
// windows, named the same, wherever it is read.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace tinyad {

/// Windows in a file of `n_values` readings ((n_rows, 3) row-major) for
/// windows of `window` rows: floor(n_rows / window) when that is 2 or more
/// (rows after the last whole window are not used), otherwise 1: the whole
/// file is one window (window_features refuses it when too short).
size_t window_count(size_t n_values, size_t window);

/// Window k of `n_windows` (window_count) into *part: rows k*window ..
/// (k+1)*window, or the whole file when it is one window.
void window_part(const std::vector<double>& rows, size_t window, size_t k, size_t n_windows,
                 std::vector<double>* part);

/// The window's name in messages and output: `path` when the file is one
/// window, "path#k" when it was cut.
std::string window_name(const std::string& path, size_t k, size_t n_windows);

}  // namespace tinyad
