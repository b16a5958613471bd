// sample_store.cpp: see sample_store.h. POSIX calls on a folder descriptor;
// linkat() is the atomic "create this name only if it is free" step.
#include "sample_store.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "atomic_file.h"

namespace tinyad {
namespace {

constexpr const char* kTmpPrefix = ".collect-";  // named temporaries: .collect-<pid>-<seq>.tmp
constexpr const char* kTmpSuffix = ".tmp";

// 0-9999 for "NNNN.csv", else -1.
int number_of(const char* name) {
  if (std::strlen(name) != 8 || std::strcmp(name + 4, ".csv") != 0) return -1;
  int n = 0;
  for (int i = 0; i < 4; ++i) {
    if (name[i] < '0' || name[i] > '9') return -1;
    n = n * 10 + (name[i] - '0');
  }
  return n;
}

bool is_our_tmp(const char* name) {
  const size_t len = std::strlen(name), pl = std::strlen(kTmpPrefix), sl = std::strlen(kTmpSuffix);
  return len > pl + sl && std::strncmp(name, kTmpPrefix, pl) == 0 && std::strcmp(name + len - sl, kTmpSuffix) == 0;
}

std::string errno_text() { return std::strerror(errno); }

// Links an open unnamed file under `name` in dir_fd. AT_EMPTY_PATH links the
// descriptor itself but needs CAP_DAC_READ_SEARCH; the /proc path works for
// everyone and costs a path walk. open() probes which one works here.
int link_unnamed(int fd, int dir_fd, const char* name, bool empty_path) {
  if (empty_path) return ::linkat(fd, "", dir_fd, name, AT_EMPTY_PATH);
  char proc[64];
  std::snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
  return ::linkat(AT_FDCWD, proc, dir_fd, name, AT_SYMLINK_FOLLOW);
}

}  // namespace

std::string sample_file_name(int number) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d.csv", number);
  return buf;
}

// Writes a temporary next to `path` and renames it over: a reader (or a
// crash) sees the old file or the new one. No fsync: a simulated dataset
// can be made again, and thousands of syncs would make it slow.
bool write_file_replace(const std::string& path, const std::string& content, std::string* err) {
  const std::string tmp = path + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  bool ok = fd >= 0;
  for (size_t off = 0; ok && off < content.size();) {
    const ssize_t n = ::write(fd, content.data() + off, content.size() - off);
    if (n < 0 && errno != EINTR) ok = false;
    if (n > 0) off += size_t(n);
  }
  const int saved = errno;
  if (fd >= 0 && ::close(fd) != 0) ok = false;
  if (ok && ::rename(tmp.c_str(), path.c_str()) == 0) return true;
  *err = path + ": " + std::strerror(ok ? errno : saved);
  ::unlink(tmp.c_str());
  return false;
}

SampleStore::~SampleStore() {
  if (dir_fd_ >= 0) ::close(dir_fd_);
}

bool SampleStore::open(const std::string& dir, Options options, std::string* err) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    *err = dir + ": cannot create the folder: " + ec.message();
    return false;
  }
  dir_ = dir;
  options_ = options;
  dir_fd_ = ::open(dir.c_str(), O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  if (dir_fd_ < 0) {
    *err = dir + ": " + errno_text();
    return false;
  }
  taken_.assign(kMaxFiles, 0);
  existing_ = 0;
  DIR* d = ::fdopendir(::dup(dir_fd_));
  if (!d) {
    *err = dir + ": " + errno_text();
    return false;
  }
  while (const dirent* e = ::readdir(d)) {
    const int n = number_of(e->d_name);
    if (n >= 0) {
      taken_[size_t(n)] = 1;
      ++existing_;
    } else if (is_our_tmp(e->d_name)) {
      ::unlinkat(dir_fd_, e->d_name, 0);  // a killed run's unfinished window
    }
  }
  ::closedir(d);
  // Probe: can this file system make unnamed files and link them?
  unnamed_ = false;
  const int fd = ::openat(dir_fd_, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, 0644);
  if (fd >= 0) {
    const std::string probe = std::string(kTmpPrefix) + "probe-" + std::to_string(::getpid()) + kTmpSuffix;
    for (const bool empty_path : {true, false}) {
      if (link_unnamed(fd, dir_fd_, probe.c_str(), empty_path) == 0) {
        unnamed_ = true;
        empty_path_ = empty_path;
        ::unlinkat(dir_fd_, probe.c_str(), 0);
        break;
      }
    }
    ::close(fd);
  }
  // Can we write here at all? (A read-only folder fails now, not on the first post.)
  if (!unnamed_) {
    const std::string probe = std::string(kTmpPrefix) + "probe-" + std::to_string(::getpid()) + kTmpSuffix;
    const int pfd = ::openat(dir_fd_, probe.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0644);
    if (pfd < 0) {
      *err = dir + ": cannot write here: " + errno_text();
      return false;
    }
    ::close(pfd);
    ::unlinkat(dir_fd_, probe.c_str(), 0);
  }
  next_ = 0;
  full_ = existing_ >= size_t(kMaxFiles);
  return true;
}

bool SampleStore::write_content(int fd, std::string_view content) {
  return write_all(fd, content) && (!options_.fsync || ::fdatasync(fd) == 0);
}

// Takes numbers until one links; the content is already written to fd (or
// to tmp_name in named mode).
SampleStore::Status SampleStore::link_next(int fd, const std::string& tmp_name, std::string* name, std::string* err) {
  for (;;) {
    const int n = next_.fetch_add(1, std::memory_order_relaxed);
    if (n >= kMaxFiles) {
      full_ = true;
      return Status::kFull;
    }
    if (taken_[size_t(n)]) continue;
    *name = sample_file_name(n);
    const int rc = unnamed_ ? link_unnamed(fd, dir_fd_, name->c_str(), empty_path_)
                            : ::linkat(dir_fd_, tmp_name.c_str(), dir_fd_, name->c_str(), 0);
    if (rc == 0) {
      if (n == kMaxFiles - 1) full_ = true;
      if (options_.fsync && ::fsync(dir_fd_) != 0) {
        *err = dir_ + "/" + *name + ": fsync of the folder: " + errno_text();
        return Status::kError;
      }
      stored_.fetch_add(1, std::memory_order_relaxed);
      return Status::kStored;
    }
    if (errno != EEXIST) {
      *err = dir_ + "/" + *name + ": " + errno_text();
      return Status::kError;
    }
    // Another process made this number since open: try the next one.
  }
}

SampleStore::Status SampleStore::store(std::string_view content, std::string* name, std::string* err) {
  if (full()) return Status::kFull;
  if (unnamed_) {
    const int fd = ::openat(dir_fd_, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, 0644);
    if (fd < 0) {
      *err = dir_ + ": cannot create a file: " + errno_text();
      return Status::kError;
    }
    Status st = Status::kError;
    if (!write_content(fd, content)) {
      *err = dir_ + ": cannot write a file: " + errno_text();
    } else {
      st = link_next(fd, "", name, err);
    }
    ::close(fd);  // an unlinked unnamed file vanishes here
    return st;
  }
  const std::string tmp = std::string(kTmpPrefix) + std::to_string(::getpid()) + "-" +
                          std::to_string(tmp_seq_.fetch_add(1)) + kTmpSuffix;
  const int fd = ::openat(dir_fd_, tmp.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0644);
  if (fd < 0) {
    *err = dir_ + "/" + tmp + ": " + errno_text();
    return Status::kError;
  }
  const bool ok = write_content(fd, content);
  const int saved = errno;
  ::close(fd);
  Status st = Status::kError;
  if (!ok) {
    errno = saved;
    *err = dir_ + "/" + tmp + ": " + errno_text();
  } else {
    st = link_next(-1, tmp, name, err);
  }
  ::unlinkat(dir_fd_, tmp.c_str(), 0);
  return st;
}

}  // namespace tinyad
