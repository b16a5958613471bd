// npz.cpp: see npz.h. The .npy layout (magic, version, little-endian header
// length, a Python-literal dict header, raw data) is parsed by hand; zip
// containers go through libzip.
#include "npz.h"

#include <unistd.h>
#include <zip.h>

#include <bit>
#include <cstdio>
#include <cstdint>
#include <cstring>
#include <filesystem>

namespace tinyad {
namespace {

static_assert(std::endian::native == std::endian::little, "npz I/O assumes a little-endian host");

// Value of key `key` in the header dict, e.g. "'<f8'" or "(3, 3)".
bool header_value(std::string_view header, std::string_view key, std::string_view* value) {
  const std::string quoted = "'" + std::string(key) + "'";
  size_t pos = header.find(quoted);
  if (pos == std::string_view::npos) return false;
  pos = header.find(':', pos + quoted.size());
  if (pos == std::string_view::npos) return false;
  ++pos;
  while (pos < header.size() && header[pos] == ' ') ++pos;
  if (pos >= header.size()) return false;
  size_t end = pos;
  if (header[pos] == '(') {
    end = header.find(')', pos);
    if (end == std::string_view::npos) return false;
    ++end;
  } else if (header[pos] == '\'') {
    end = header.find('\'', pos + 1);
    if (end == std::string_view::npos) return false;
    ++end;
  } else {
    while (end < header.size() && header[end] != ',' && header[end] != '}') ++end;
  }
  *value = header.substr(pos, end - pos);
  return true;
}

bool parse_shape(std::string_view s, std::vector<size_t>* shape) {
  shape->clear();
  if (s.size() < 2 || s.front() != '(' || s.back() != ')') return false;
  s = s.substr(1, s.size() - 2);
  size_t value = 0;
  bool have = false;
  for (char c : s) {
    if (c >= '0' && c <= '9') {
      value = value * 10 + size_t(c - '0');
      have = true;
    } else if (c == ',') {
      if (!have) return false;
      shape->push_back(value);
      value = 0;
      have = false;
    } else if (c != ' ') {
      return false;
    }
  }
  if (have) shape->push_back(value);
  return true;
}

template <typename T>
void convert(const char* src, size_t n, std::vector<double>* out) {
  out->resize(n);
  for (size_t i = 0; i < n; ++i) {
    T v;
    std::memcpy(&v, src + i * sizeof(T), sizeof(T));
    (*out)[i] = double(v);
  }
}

// Fortran order -> C order, for any rank.
std::vector<double> fortran_to_c(const std::vector<double>& f, const std::vector<size_t>& shape) {
  std::vector<double> c(f.size());
  std::vector<size_t> idx(shape.size(), 0);
  for (size_t ci = 0; ci < c.size(); ++ci) {
    size_t fi = 0, stride = 1;
    for (size_t d = 0; d < shape.size(); ++d) {
      fi += idx[d] * stride;
      stride *= shape[d];
    }
    c[ci] = f[fi];
    for (size_t d = shape.size(); d-- > 0;) {  // advance the C-order index
      if (++idx[d] < shape[d]) break;
      idx[d] = 0;
    }
  }
  return c;
}

}  // namespace

size_t NpyArray::size() const {
  size_t n = 1;
  for (size_t d : shape) n *= d;
  return n;
}

std::string npz_printable(std::string_view text) {
  std::string out;
  for (const char c : text.substr(0, 120)) {
    if (c >= 0x20 && c < 0x7f) {
      out += c;
    } else {
      char hex[5];
      std::snprintf(hex, sizeof hex, "\\x%02x", unsigned(uint8_t(c)));
      out += hex;
    }
  }
  return text.size() > 120 ? out + "..." : out;
}

bool npy_parse(std::string_view bytes, NpyArray* out, std::string* err) {
  if (bytes.size() < 10 || bytes.substr(0, 6) != "\x93NUMPY") {
    *err = "not a .npy array (no \\x93NUMPY magic)";
    return false;
  }
  const unsigned major = uint8_t(bytes[6]);
  size_t header_len, offset;
  if (major == 1) {
    header_len = uint8_t(bytes[8]) | size_t(uint8_t(bytes[9])) << 8;
    offset = 10;
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 12) {
      *err = "truncated .npy header";
      return false;
    }
    header_len = 0;
    for (int i = 0; i < 4; ++i) header_len |= size_t(uint8_t(bytes[8 + i])) << (8 * i);
    offset = 12;
  } else {
    *err = ".npy format version " + std::to_string(major) + " is not supported (1, 2, 3 are)";
    return false;
  }
  if (offset + header_len > bytes.size()) {
    *err = "truncated .npy header";
    return false;
  }
  const std::string_view header = bytes.substr(offset, header_len);
  std::string_view descr, fortran, shape_text;
  if (!header_value(header, "descr", &descr) || !header_value(header, "fortran_order", &fortran) ||
      !header_value(header, "shape", &shape_text) || !parse_shape(shape_text, &out->shape)) {
    *err = "malformed .npy header: " + npz_printable(header);
    return false;
  }
  if (descr.size() < 2 || descr.front() != '\'' || descr.back() != '\'') {
    *err = "malformed .npy header: " + npz_printable(header);
    return false;
  }
  out->dtype = std::string(descr.substr(1, descr.size() - 2));
  // The shape comes from the file: multiply without overflow, or a bogus shape
  // could pass the size check below and ask for an impossible allocation.
  size_t n = 1;
  for (size_t d : out->shape) {
    if (d != 0 && n > SIZE_MAX / 8 / d) {
      *err = "malformed .npy header: shape " + npz_printable(shape_text) + " is too large";
      return false;
    }
    n *= d;
  }
  const char* data = bytes.data() + offset + header_len;
  const size_t avail = bytes.size() - offset - header_len;
  size_t item = 0;
  const std::string& t = out->dtype;
  if (t == "<f8") item = 8;
  else if (t == "<f4" || t == "<i4") item = 4;
  else if (t == "<i8") item = 8;
  else {
    *err = "dtype '" + npz_printable(t) + "' is not supported (float64, float32, int32, int64 little-endian are)";
    return false;
  }
  if (avail / item < n) {
    *err = "truncated .npy data: " + std::to_string(avail) + " bytes for " + std::to_string(n) + " values";
    return false;
  }
  if (t == "<f8") convert<double>(data, n, &out->data);
  else if (t == "<f4") convert<float>(data, n, &out->data);
  else if (t == "<i4") convert<int32_t>(data, n, &out->data);
  else convert<int64_t>(data, n, &out->data);
  if (fortran == "True") out->data = fortran_to_c(out->data, out->shape);
  return true;
}

std::string npy_format(const NpyArray& a) {
  std::string shape = "(";
  for (size_t i = 0; i < a.shape.size(); ++i) shape += std::to_string(a.shape[i]) + (a.shape.size() == 1 ? "," : i + 1 < a.shape.size() ? ", " : "");
  shape += ")";
  std::string header = "{'descr': '<f8', 'fortran_order': False, 'shape': " + shape + ", }";
  // Pad with spaces so magic + length + header + newline is a multiple of 64.
  const size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header += '\n';
  std::string out("\x93NUMPY\x01\x00", 8);
  out += char(header.size() & 0xff);
  out += char(header.size() >> 8);
  out += header;
  out.append(reinterpret_cast<const char*>(a.data.data()), a.data.size() * sizeof(double));
  return out;
}

bool npz_read(const std::string& path, std::map<std::string, NpyArray>* arrays, std::string* err) {
  int zerr = 0;
  zip_t* z = zip_open(path.c_str(), ZIP_RDONLY, &zerr);
  if (!z) {
    zip_error_t e;
    zip_error_init_with_code(&e, zerr);
    *err = path + ": not a readable .npz archive (" + zip_error_strerror(&e) + ")";
    zip_error_fini(&e);
    return false;
  }
  arrays->clear();
  bool ok = true;
  const zip_int64_t n = zip_get_num_entries(z, 0);
  for (zip_int64_t i = 0; i < n && ok; ++i) {
    zip_stat_t st;
    if (zip_stat_index(z, zip_uint64_t(i), 0, &st) != 0) continue;
    std::string name = st.name;
    const std::string shown = npz_printable(name);  // member names come from the file
    if (name.size() < 4 || name.substr(name.size() - 4) != ".npy") continue;
    // The size comes from the archive's directory; a damaged one must not make
    // us allocate gigabytes (the original's arrays are a few kilobytes).
    constexpr zip_uint64_t kMaxMember = zip_uint64_t(1) << 30;
    if (st.size > kMaxMember) {
      *err = path + ": " + shown + ": member of " + std::to_string(st.size) + " bytes is larger than 1 GiB";
      ok = false;
      break;
    }
    std::string bytes(st.size, '\0');
    zip_file_t* f = zip_fopen_index(z, zip_uint64_t(i), 0);
    const zip_int64_t got = f ? zip_fread(f, bytes.data(), st.size) : -1;
    if (f) zip_fclose(f);
    NpyArray a;
    std::string perr;
    if (got != zip_int64_t(st.size)) {
      *err = path + ": " + shown + ": cannot read member (" + zip_strerror(z) + ")";
      ok = false;
    } else if (!npy_parse(bytes, &a, &perr)) {
      *err = path + ": " + shown + ": " + perr;
      ok = false;
    } else {
      (*arrays)[name.substr(0, name.size() - 4)] = std::move(a);
    }
  }
  zip_discard(z);
  return ok;
}

bool npz_write(const std::string& path, const std::map<std::string, NpyArray>& arrays, std::string* err) {
  namespace fs = std::filesystem;
  const fs::path target(path);
  const std::string tmp = (target.parent_path().empty() ? fs::path(".") : target.parent_path()) /
                          ("." + target.filename().string() + ".tmp-" + std::to_string(::getpid()));
  int zerr = 0;
  zip_t* z = zip_open(tmp.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &zerr);
  if (!z) {
    *err = path + ": cannot create archive";
    return false;
  }
  // Buffers must outlive zip_close(), which is when libzip reads them.
  std::vector<std::string> buffers;
  buffers.reserve(arrays.size());
  for (const auto& [name, a] : arrays) {
    if (a.size() != a.data.size()) {
      *err = path + ": array '" + name + "' has shape for " + std::to_string(a.size()) + " values but " +
             std::to_string(a.data.size()) + " values";
      zip_discard(z);
      ::unlink(tmp.c_str());
      return false;
    }
    buffers.push_back(npy_format(a));
    zip_source_t* src = zip_source_buffer(z, buffers.back().data(), buffers.back().size(), 0);
    const zip_int64_t idx = src ? zip_file_add(z, (name + ".npy").c_str(), src, ZIP_FL_OVERWRITE) : -1;
    if (idx < 0) {
      if (src) zip_source_free(src);
      *err = path + ": " + zip_strerror(z);
      zip_discard(z);
      return false;
    }
    zip_set_file_compression(z, zip_uint64_t(idx), ZIP_CM_STORE, 0);
  }
  if (zip_close(z) != 0) {
    *err = path + ": " + zip_strerror(z);
    zip_discard(z);
    ::unlink(tmp.c_str());
    return false;
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    *err = path + ": " + std::strerror(errno);
    ::unlink(tmp.c_str());
    return false;
  }
  return true;
}

}  // namespace tinyad
