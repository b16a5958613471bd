// sample_store.h: the collect server's output folder, one label of a dataset:
// windows are stored as 0000.csv ... 9999.csv. Each file appears whole or not
// at all: it is written as an unnamed file (O_TMPFILE; a hidden temporary
// where that is not supported) and then linked under its number, and a link
// never replaces an existing file, so concurrent writers (threads or other
// processes) never share a number and a kill at any moment leaves only
// complete files. Numbers are handed out lowest-free first, like the
// original server, skipping files already present.
#pragma once

#include <atomic>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace tinyad {

class SampleStore {
 public:
  static constexpr int kMaxFiles = 10000;  // four-digit names: 0000-9999

  struct Options {
    bool fsync = false;  // flush each file and the folder before answering (survives power loss)
  };

  SampleStore() = default;
  ~SampleStore();
  SampleStore(const SampleStore&) = delete;
  SampleStore& operator=(const SampleStore&) = delete;

  /// Creates the folder if needed, removes temporaries a killed run left
  /// (named mode only) and notes which numbers are taken.
  bool open(const std::string& dir, Options options, std::string* err);

  enum class Status { kStored, kFull, kError };

  /// Stores one file; thread-safe. kStored: *name is "NNNN.csv". kFull: all
  /// 10,000 numbers are taken. kError: *err says why (disk full, ...).
  Status store(std::string_view content, std::string* name, std::string* err);

  /// True once every number is taken (the ready flag turns 0).
  bool full() const { return full_.load(std::memory_order_relaxed); }
  size_t stored() const { return stored_.load(std::memory_order_relaxed); }
  size_t existing() const { return existing_; }
  const std::string& dir() const { return dir_; }
  /// "unnamed" (O_TMPFILE) or "named" temporaries: how files are made whole.
  const char* mode() const { return unnamed_ ? "unnamed" : "named"; }

 private:
  bool write_content(int fd, std::string_view content);
  Status link_next(int fd, const std::string& tmp_name, std::string* name, std::string* err);

  std::string dir_;
  int dir_fd_ = -1;
  Options options_;
  bool unnamed_ = true;
  bool empty_path_ = false;  // link unnamed files by descriptor (privileged) rather than /proc
  std::vector<unsigned char> taken_;  // (kMaxFiles): present at open; read-only afterwards
  size_t existing_ = 0;
  std::atomic<int> next_{0};
  std::atomic<bool> full_{false};
  std::atomic<size_t> stored_{0};
  std::atomic<unsigned long> tmp_seq_{0};
};

/// Writes `path` through a temporary and rename, without fsync: readers and
/// a killed process see the old file or the new one (not power-loss safe;
/// for files that can be made again: simulated data, test copies).
bool write_file_replace(const std::string& path, const std::string& content, std::string* err);

/// "0042.csv" for 42.
std::string sample_file_name(int number);

}  // namespace tinyad
