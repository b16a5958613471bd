// atomic_file.h: write a whole file so that readers see the old content or
// the new, never half of it (write a temporary in the same folder, fsync,
// rename over the target).
#pragma once

#include <string>
#include <string_view>

namespace tinyad {

/// Writes `content` to `path` atomically. On failure returns false, leaves
/// `path` untouched and sets *err to "path: reason".
bool write_file_atomic(const std::string& path, std::string_view content, std::string* err);

/// Writes all of `content` to an open file descriptor, retrying short writes
/// and EINTR. False (errno set) on failure.
bool write_all(int fd, std::string_view content);

/// Reads a whole file. On failure returns false and sets *err to "path: reason".
bool read_file(const std::string& path, std::string* content, std::string* err);

/// The first line of a file without its line ending (secrets kept in files:
/// passwords, tokens). On failure returns false and sets *err as read_file.
bool read_first_line(const std::string& path, std::string* line, std::string* err);

}  // namespace tinyad
