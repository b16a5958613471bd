// http_stream.cpp: see http_stream.h.
#include "http_stream.h"

#include <unistd.h>

#include <algorithm>

namespace tinyad {
namespace {

// Tells the owning loop that there is something to write (or to close).
void wake(int fd) {
  if (fd < 0) return;
  const uint64_t one = 1;
  [[maybe_unused]] ssize_t n = ::write(fd, &one, sizeof one);
}

}  // namespace

std::string sse_event(std::string_view name, std::string_view data) {
  std::string out;
  out.reserve(data.size() + name.size() + 16);
  if (!name.empty()) {
    out += "event: ";
    out += name;
    out += '\n';
  }
  size_t pos = 0;
  for (;;) {
    const size_t nl = data.find('\n', pos);
    out += "data: ";
    out += data.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    out += '\n';
    if (nl == std::string_view::npos) break;
    pos = nl + 1;
  }
  out += '\n';
  return out;
}

std::shared_ptr<HttpStream> HttpStreamHub::subscribe(std::string first) { return subscribe(nullptr, std::move(first)); }

std::shared_ptr<HttpStream> HttpStreamHub::subscribe(std::shared_ptr<const std::string> shared, std::string first) {
  auto s = std::make_shared<HttpStream>();
  s->first = std::move(shared);
  s->pending = std::move(first);
  s->max_pending = max_pending_ + s->pending.size();  // a big snapshot does not count against it
  std::lock_guard<std::mutex> lock(mutex_);
  subs_.push_back(s);
  return s;
}

void HttpStreamHub::publish(std::string_view bytes) {
  std::lock_guard<std::mutex> lock(mutex_);
  size_t keep = 0;
  for (size_t i = 0; i < subs_.size(); ++i) {
    HttpStream& s = *subs_[i];
    bool gone = false;
    {
      std::lock_guard<std::mutex> sl(s.mutex);
      if (s.closed || s.dropped) {
        gone = true;
      } else if (s.pending.size() + bytes.size() > s.max_pending) {
        // A client that stopped reading: drop it rather than buffer without end.
        s.dropped = true;
        s.pending.clear();
        dropped_.fetch_add(1, std::memory_order_relaxed);
        wake(s.wake_fd);
        gone = true;
      } else {
        const bool was_empty = s.pending.empty();
        s.pending.append(bytes);
        if (was_empty) wake(s.wake_fd);  // otherwise the loop was already told
      }
    }
    if (!gone) {
      if (keep != i) subs_[keep] = std::move(subs_[i]);
      ++keep;
    }
  }
  subs_.resize(keep);
}

size_t HttpStreamHub::subscribers() const {
  std::lock_guard<std::mutex> lock(mutex_);
  size_t n = 0;
  for (const auto& s : subs_) {
    std::lock_guard<std::mutex> sl(s->mutex);
    n += !s->closed && !s->dropped;
  }
  return n;
}

}  // namespace tinyad
