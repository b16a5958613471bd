// line_log.cpp: see line_log.h.
#include "line_log.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <mutex>
#include <cstring>

#include "atomic_file.h"

namespace tinyad {
namespace {

// True when the file is empty or its last byte is a newline.
bool ends_with_newline(int fd) {
  struct stat st {};
  if (::fstat(fd, &st) != 0 || st.st_size == 0 || !S_ISREG(st.st_mode)) return true;
  char last = '\n';
  return ::pread(fd, &last, 1, st.st_size - 1) != 1 || last == '\n';
}

}  // namespace

LineLog::~LineLog() {
  if (fd_ >= 0) ::close(fd_);
}

bool LineLog::open(const std::string& path, ErrorReport on_error, std::string* err) {
  // O_APPEND: every write lands at the end, whole, whoever else appends.
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) {
    *err = path + ": " + std::strerror(errno);
    return false;
  }
  // Read the last byte through a second descriptor: fd is write-only.
  const int rd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  const bool whole = rd < 0 || ends_with_newline(rd);
  if (rd >= 0) ::close(rd);
  if (!whole && !write_all(fd, "\n")) {
    *err = path + ": " + std::strerror(errno);
    ::close(fd);
    return false;
  }
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
  path_ = path;
  on_error_ = std::move(on_error);
  return true;
}

bool LineLog::append(std::string_view line) {
  std::string buf;
  buf.reserve(line.size() + 2);
  std::lock_guard<std::mutex> lock(mutex_);  // a short write's rest must follow its start
  // A line a failed write cut (the disk filled up inside it) is closed first,
  // so the next line is not glued onto it.
  if (cut_) buf.push_back('\n');
  buf.append(line);
  buf.push_back('\n');
  // One write() for the whole line: a regular file in O_APPEND mode takes it
  // at once (or fails, e.g. ENOSPC); the loop only continues a short write.
  size_t done = 0;
  int e = EBADF;
  while (fd_ >= 0 && done < buf.size()) {
    const ssize_t n = ::write(fd_, buf.data() + done, buf.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      e = n < 0 ? errno : ENOSPC;
      break;
    }
    done += size_t(n);
  }
  if (done == buf.size()) {
    cut_ = false;
    failing_.store(false);
    return true;
  }
  if (done > 0) cut_ = buf[done - 1] != '\n';
  failed_.fetch_add(1);
  if (!failing_.exchange(true) && on_error_) {
    on_error_("cannot write the event log " + path_ + ": " + std::strerror(e) + " (lines are being lost; " +
              std::to_string(failed_.load()) + " so far)");
  }
  return false;
}

}  // namespace tinyad
