// test_env.h: where tests find the real dataset and the original's files.
// CI sets TINYAD_DATA / TINYAD_REFERENCE; when a variable is set but its
// path is missing the test fails (a broken CI setup must not look green);
// when unset the test is skipped with a message saying what to set.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <string>

namespace tinyad::test {

/// Path from an environment variable, or "" when unset; ADD_FAILURE when set
/// but missing.
inline std::string env_path(const char* var) {
  const char* v = std::getenv(var);
  if (!v || !*v) return "";
  if (!std::filesystem::exists(v)) {
    ADD_FAILURE() << var << "=" << v << " does not exist";
    return "";
  }
  return v;
}

inline bool env_is_set(const char* var) {
  const char* v = std::getenv(var);
  return v && *v;
}

/// Source tree path (golden files, fixtures).
inline std::string source_path(const std::string& rel) { return std::string(TINYAD_SOURCE_DIR) + "/" + rel; }

}  // namespace tinyad::test

// Evaluates to the dataset path; skips (unset) or fails (set, missing).
#define TINYAD_REQUIRE_ENV_PATH(var, out)                                              \
  do {                                                                                 \
    out = ::tinyad::test::env_path(var);                                               \
    if (out.empty()) {                                                                 \
      if (::tinyad::test::env_is_set(var)) FAIL() << var << " is set but missing";     \
      GTEST_SKIP() << var << " is not set; point it at the folder to run this test";   \
    }                                                                                  \
  } while (0)
