// npz.h: numpy .npy/.npz arrays (what the original notebooks saved models
// and samples in). Reads float64/float32/int arrays, C or Fortran order, from
// stored or deflated zip members; writes float64 arrays, stored.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace tinyad {

struct NpyArray {
  std::vector<size_t> shape;
  std::vector<double> data;  // C (row-major) order, converted to double
  std::string dtype;         // as read, e.g. "<f8"; "<f8" when writing
  size_t size() const;       // product of shape (1 for a scalar)
};

/// Parses the bytes of one .npy file.
bool npy_parse(std::string_view bytes, NpyArray* out, std::string* err);

/// Serialises as a version 1.0 .npy file of little-endian float64.
std::string npy_format(const NpyArray& a);

/// Reads every array of an .npz archive, keyed by member name without ".npy".
bool npz_read(const std::string& path, std::map<std::string, NpyArray>* arrays, std::string* err);

/// Text from a file for a one-line message: printable ASCII as is, other
/// bytes as \xNN, at most 120 characters (a header is up to 4 GiB).
std::string npz_printable(std::string_view text);

/// Writes an .npz archive atomically (temporary file, then rename).
bool npz_write(const std::string& path, const std::map<std::string, NpyArray>& arrays, std::string* err);

}  // namespace tinyad
