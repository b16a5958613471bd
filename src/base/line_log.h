// line_log.h: an append-only log of text lines (serve's --events) that
// survives the process: each line goes to the file in one write() as it
// happens, so `tail -f` sees it at once, `kill -9` loses nothing already
// acknowledged, and lines from many threads never interleave. A log that a
// crash left ending inside a line gets a newline first, so the next line is
// not glued onto the cut one. Write errors (a full disk) are reported at
// once through the error callback, and counted, not only at exit.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>

namespace tinyad {

class LineLog {
 public:
  /// Gets one line (no newline) when writing fails: the first failure, and
  /// then the first one after writes worked again.
  using ErrorReport = std::function<void(const std::string& line)>;

  LineLog() = default;
  ~LineLog();
  LineLog(const LineLog&) = delete;
  LineLog& operator=(const LineLog&) = delete;

  /// Opens (creates) `path` for appending. False with "path: reason".
  bool open(const std::string& path, ErrorReport on_error, std::string* err);

  /// Appends `line` and a newline in one write. Thread-safe. False when the
  /// line could not be written whole (counted in failed()).
  bool append(std::string_view line);

  /// Lines that could not be written.
  uint64_t failed() const { return failed_.load(); }
  /// The latest write failed (and none worked since): the log is losing lines.
  bool failing() const { return failing_.load(); }
  const std::string& path() const { return path_; }

 private:
  int fd_ = -1;
  std::string path_;
  ErrorReport on_error_;
  std::atomic<uint64_t> failed_{0};
  std::atomic<bool> failing_{false};
  std::mutex mutex_;  // one append at a time
  bool cut_ = false;  // the file ends inside a line (a write failed part-way)
};

}  // namespace tinyad
