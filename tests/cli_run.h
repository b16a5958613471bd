// cli_run.h: runs the built `tinyad` binary as a user would and captures
// its exit status, stdout and stderr (for end-to-end tests).
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

namespace tinyad::test {

struct CliRun {
  int status = -1;  // exit status; -1 when killed by a signal
  std::string out, err;
};

/// Runs `tinyad ARGS` (ARGS is passed through the shell).
inline CliRun tinyad(const std::string& args) {
  static int calls = 0;
  const std::filesystem::path err_file = std::filesystem::temp_directory_path() /
      ("tinyad-test-stderr-" + std::to_string(::getpid()) + "-" + std::to_string(++calls));
  const std::string cmd = std::string(TINYAD_BINARY) + " " + args + " 2>" + err_file.string();
  CliRun r;
  FILE* p = ::popen(cmd.c_str(), "r");
  std::array<char, 4096> buf;
  for (size_t n; (n = std::fread(buf.data(), 1, buf.size(), p)) > 0;) r.out.append(buf.data(), n);
  const int st = ::pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  std::ifstream e(err_file);
  r.err.assign(std::istreambuf_iterator<char>(e), {});
  std::filesystem::remove(err_file);
  return r;
}

}  // namespace tinyad::test
