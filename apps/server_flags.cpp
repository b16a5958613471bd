// server_flags.cpp: see server_flags.h.
#include "server_flags.h"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <thread>

namespace tinyad::app {

void add_server_flags(CLI::App* cmd, ServerFlags* f) {
  cmd->add_option("-p,--port", f->port, "TCP port (default 1337, as the firmware; 0 = any free port)")
      ->check(CLI::Range(0, 65535));
  cmd->add_option("--host", f->host, "Address to listen on (default 0.0.0.0: every IPv4 interface; :: for every interface, IPv6 and IPv4)");
  cmd->add_option("--min-readings", f->min_readings,
                  "Fewest readings per axis in one window (default 16): shorter posts are refused with 422")
      ->check(CLI::Range(size_t(1), size_t(1000000)));
  cmd->add_option("--max-readings", f->max_readings, "Most readings per axis in one window (default 10000)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--max-body", f->max_body, "Largest request body in bytes, 413 past it (default 1 MiB)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--timeout", f->timeout, "Seconds a client has to send its whole request (408 after; default 5)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--idle", f->idle, "Seconds a kept-alive connection may wait for its next request (default 5)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--max-connections", f->max_connections,
                  "Connections open at once, event streams included (503 past it; default 10000)")
      ->check(CLI::Range(1, 1000000));
  cmd->add_option("--drain", f->drain,
                  "Seconds requests under way get to finish on SIGINT/SIGTERM before the server stops (default 10)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--threads", f->threads, "Server threads (default: number of cores)")->check(CLI::Range(0, 256));
}

HttpServerOptions server_options(const ServerFlags& f) {
  HttpServerOptions so;
  so.host = f.host;
  so.port = f.port;
  so.threads = f.threads > 0 ? f.threads : std::max(2, int(std::thread::hardware_concurrency()));
  so.limits.max_body = f.max_body;
  so.request_timeout_ms = int(std::lround(f.timeout * 1000));
  so.idle_timeout_ms = int(std::lround(f.idle * 1000));
  so.max_connections = f.max_connections;
  return so;
}

sigset_t prepare_server_process() {
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  ::signal(SIGPIPE, SIG_IGN);
  // Many boards with Connection: close each hold a descriptor for a moment.
  rlimit rl{};
  if (::getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &rl);
  }
  return stop_signals;
}

void LineOut::line(const std::string& s) {
  std::lock_guard<std::mutex> lock(mutex_);
  std::fwrite(s.data(), 1, s.size(), f_);
  std::fputc('\n', f_);
  if (flush_each_) std::fflush(f_);
}

bool LineOut::flush() {
  std::lock_guard<std::mutex> lock(mutex_);
  return std::fflush(f_) == 0 && !std::ferror(f_);
}

std::string bound_line(const HttpServer& server) {
  const std::string& a = server.bound_address();
  const bool v6 = a.find(':') != std::string::npos;
  const std::string reach = a == "0.0.0.0" ? " (every IPv4 interface)"
                            : a == "::"    ? " (every interface, IPv6 and IPv4)"
                            : a == "127.0.0.1" || a == "::1" ? " (this machine only)"
                                                             : "";
  return "bound to " + (v6 ? "[" + a + "]" : a) + ":" + std::to_string(server.port()) + reach;
}

std::string url_host(const HttpServer& server) {
  const std::string& a = server.bound_address();
  if (a == "0.0.0.0" || a == "::") {
    char name[256] = {0};
    if (::gethostname(name, sizeof name - 1) == 0 && name[0]) return name;
    return "localhost";
  }
  return a.find(':') != std::string::npos ? "[" + a + "]" : a;
}

}  // namespace tinyad::app
