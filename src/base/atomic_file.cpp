// atomic_file.cpp: see atomic_file.h. POSIX calls rather than iostreams so
// that fsync and errno are available.
#include "atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

namespace tinyad {
namespace {

std::string errno_message(const std::string& path) { return path + ": " + std::strerror(errno); }

}  // namespace

bool write_all(int fd, std::string_view content) {
  const char* p = content.data();
  size_t left = content.size();
  while (left > 0) {
    const ssize_t n = ::write(fd, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    p += n;
    left -= size_t(n);
  }
  return true;
}

bool write_file_atomic(const std::string& path, std::string_view content, std::string* err) {
  std::filesystem::path target(path);
  std::filesystem::path dir = target.parent_path();
  if (dir.empty()) dir = ".";
  std::string tmpl = (dir / ("." + target.filename().string() + ".tmp-XXXXXX")).string();
  const int fd = ::mkstemp(tmpl.data());
  if (fd < 0) {
    *err = errno_message(path);
    return false;
  }
  bool ok = write_all(fd, content) && ::fsync(fd) == 0;
  int saved = ok ? 0 : errno;
  ::close(fd);
  if (ok && ::rename(tmpl.c_str(), path.c_str()) != 0) {
    ok = false;
    saved = errno;
  }
  if (!ok) {
    ::unlink(tmpl.c_str());
    errno = saved;
    *err = errno_message(path);
    return false;
  }
  // mkstemp creates 0600; a model or data file should be readable like any other.
  ::chmod(path.c_str(), 0644);
  return true;
}

bool read_file(const std::string& path, std::string* content, std::string* err) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    *err = errno_message(path);
    return false;
  }
  content->clear();
  char buf[1 << 16];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      *err = errno_message(path);
      ::close(fd);
      return false;
    }
    if (n == 0) break;
    content->append(buf, size_t(n));
  }
  ::close(fd);
  return true;
}

bool read_first_line(const std::string& path, std::string* line, std::string* err) {
  std::string text;
  if (!read_file(path, &text, err)) return false;
  *line = text.substr(0, text.find_first_of("\r\n"));
  return true;
}

}  // namespace tinyad
