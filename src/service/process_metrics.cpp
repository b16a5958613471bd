// process_metrics.cpp: see process_metrics.h. Field numbers are proc(5)'s
// (/proc/self/stat: 14 utime, 15 stime, 22 starttime in clock ticks since
// boot, 24 rss in pages; /proc/stat: btime, the boot time in Unix seconds).
#include "process_metrics.h"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <vector>

namespace tinyad {
namespace {

// The fields of /proc/self/stat after the command name (which may hold
// spaces: it ends at the last ')'), numbered as in proc(5).
bool read_stat_fields(std::vector<std::string>* fields) {
  std::ifstream in("/proc/self/stat");
  std::string line;
  if (!std::getline(in, line)) return false;
  const size_t close = line.rfind(')');
  if (close == std::string::npos) return false;
  fields->assign(3, "");  // 1 pid, 2 comm: not needed; index = field number
  std::istringstream rest(line.substr(close + 1));
  for (std::string f; rest >> f;) fields->push_back(f);
  return fields->size() > 24;
}

double boot_time() {
  std::ifstream in("/proc/stat");
  for (std::string key; in >> key;) {
    if (key == "btime") {
      double t = 0;
      in >> t;
      return t;
    }
    in.ignore(1 << 20, '\n');
  }
  return -1;
}

int open_fds() {
  DIR* d = ::opendir("/proc/self/fd");
  if (!d) return -1;
  int n = 0;
  while (const dirent* e = ::readdir(d)) n += e->d_name[0] != '.';
  ::closedir(d);
  return n - 1;  // the directory stream's own descriptor
}

void append(std::string* s, const char* name, const char* type, const char* help, double v) {
  char value[64];
  std::snprintf(value, sizeof value, "%.17g", v);
  *s += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n" + name + " " + value +
        "\n";
}

}  // namespace

std::string process_metrics_text() {
  std::vector<std::string> f;
  if (!read_stat_fields(&f)) return "";
  const double ticks = double(::sysconf(_SC_CLK_TCK));
  const double page = double(::sysconf(_SC_PAGESIZE));
  std::string s;
  append(&s, "process_cpu_seconds_total", "counter", "User and system CPU time spent, in seconds.",
         (std::stod(f[14]) + std::stod(f[15])) / ticks);
  append(&s, "process_resident_memory_bytes", "gauge", "Resident memory size in bytes.", std::stod(f[24]) * page);
  if (const double boot = boot_time(); boot >= 0)
    append(&s, "process_start_time_seconds", "gauge", "Start time of the process since the Unix epoch, in seconds.",
           boot + std::stod(f[22]) / ticks);
  if (const int fds = open_fds(); fds >= 0)
    append(&s, "process_open_fds", "gauge", "Number of open file descriptors.", fds);
  rlimit lim{};
  if (::getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur != RLIM_INFINITY)
    append(&s, "process_max_fds", "gauge", "Maximum number of open file descriptors.", double(lim.rlim_cur));
  return s;
}

}  // namespace tinyad
