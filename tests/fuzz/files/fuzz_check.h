// fuzz_check.h: what every file fuzzer checks beyond "no crash, no sanitizer
// report": a refusal is a one-line reason that names the file.
#pragma once

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

namespace tinyad::fuzz {

inline void check(bool ok) {
  if (!ok) std::abort();
}

/// A refusal: not empty, one line, and starting with the file's name when
/// `file` is given (the user must learn which file is wrong).
inline void check_reason(const std::string& err, const std::string& file = "") {
  const bool ok = !err.empty() && err.find('\n') == std::string::npos && (file.empty() || err.rfind(file, 0) == 0);
  if (!ok) std::fprintf(stderr, "bad refusal (expected one line naming %s): [%s]\n", file.c_str(), err.c_str());
  check(ok);
}

/// A file in memory (/dev/shm when there is one) for readers that take a
/// path; the process id keeps parallel runs apart.
inline std::string scratch_path(const char* name) {
  const char* dir = ::access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
  return std::string(dir) + "/" + std::to_string(::getpid()) + "-" + name;
}

}  // namespace tinyad::fuzz
