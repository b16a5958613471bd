// progress.cpp: see progress.h.
#include "progress.h"

#include <unistd.h>

#include <cstdio>

namespace tinyad {

Progress::Progress(std::string what, size_t total)
    : what_(std::move(what)), total_(total), enabled_(total > 0 && ::isatty(2) == 1) {}

Progress::~Progress() {
  if (enabled_ && drawn_.load() > 0) std::fprintf(stderr, "\r%s %zu/%zu\n", what_.c_str(), done_.load(), total_);
}

void Progress::add(size_t n) {
  const size_t done = done_.fetch_add(n) + n;
  if (!enabled_) return;
  const size_t step = total_ / 20 + 1;
  if (done < drawn_.load() + step && done != total_) return;
  std::lock_guard<std::mutex> lock(draw_mutex_);
  drawn_.store(done);
  std::fprintf(stderr, "\r%s %zu/%zu", what_.c_str(), done, total_);
  std::fflush(stderr);
}

}  // namespace tinyad
