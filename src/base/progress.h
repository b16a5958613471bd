// progress.h: a one-line progress counter on stderr for long steps. Silent
// when stderr is not a terminal, so logs and pipes stay clean.
#pragma once

#include <atomic>
#include <cstddef>
#include <mutex>
#include <string>

namespace tinyad {

class Progress {
 public:
  Progress(std::string what, size_t total);
  ~Progress();  // ends the line if anything was drawn
  /// Adds `n` done items; thread-safe; redraws at most every 1/20 of the total.
  void add(size_t n = 1);

 private:
  std::string what_;
  size_t total_;
  bool enabled_;
  std::atomic<size_t> done_{0};
  std::atomic<size_t> drawn_{0};
  std::mutex draw_mutex_;
};

}  // namespace tinyad
