// fuzz_npz.cpp: libFuzzer target for the original's .npz models. An input
// that starts like a zip archive ("PK") is taken as the archive itself;
// anything else as the two .npy members (model_mu, model_cov; split at the
// first "\n--\n") packed into a well-formed archive here, because mutated
// archive bytes mostly fail the zip CRC and would never reach the .npy
// parser or the model's shape checks.
#include <zip.h>

#include <string>
#include <string_view>

#include "fuzz_model_file.h"

namespace {

bool write_npz(const std::string& path, std::string_view mu, std::string_view cov) {
  int zerr = 0;
  zip_t* z = zip_open(path.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &zerr);
  if (!z) return false;
  for (const auto& [name, bytes] : {std::pair{"model_mu.npy", mu}, std::pair{"model_cov.npy", cov}}) {
    zip_source_t* src = zip_source_buffer(z, bytes.data(), bytes.size(), 0);
    if (!src || zip_file_add(z, name, src, ZIP_FL_OVERWRITE) < 0) {
      if (src) zip_source_free(src);
      zip_discard(z);
      return false;
    }
  }
  return zip_close(z) == 0;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size >= 2 && data[0] == 'P' && data[1] == 'K') {
    tinyad::fuzz::import_bytes(data, size, ".npz");
    return 0;
  }
  const std::string_view rest(reinterpret_cast<const char*>(data), size);
  const size_t cut = rest.find("\n--\n");
  const std::string_view mu = rest.substr(0, cut);
  const std::string_view cov = cut == std::string_view::npos ? std::string_view() : rest.substr(cut + 4);
  const std::string path = tinyad::fuzz::scratch_path("members.npz");
  if (write_npz(path, mu, cov)) tinyad::fuzz::import_and_score(path);
  return 0;
}
