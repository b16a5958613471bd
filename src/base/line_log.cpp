// line_log.cpp: see line_log.h.
#include "line_log.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
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
  buf.reserve(line.size() + 1);
  buf.append(line);
  buf.push_back('\n');
  // One write() for the whole line: a regular file in O_APPEND mode takes it
  // at once (or fails, e.g. ENOSPC); write_all only loops on a short write.
  if (fd_ >= 0 && write_all(fd_, buf)) {
    failing_.store(false);
    return true;
  }
  const int e = fd_ >= 0 ? errno : EBADF;
  failed_.fetch_add(1);
  if (!failing_.exchange(true) && on_error_) {
    on_error_("cannot write the event log " + path_ + ": " + std::strerror(e) + " (lines are being lost; " +
              std::to_string(failed_.load()) + " so far)");
  }
  return false;
}

}  // namespace tinyad
