// server_process.h: a tinyad server command (collect, serve) run as a child
// process for end-to-end tests, with its stdout captured.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace tinyad::test {

/// A loopback TCP port free at the time of the call (bound, read, closed),
/// for a broker or server a test starts.
inline int free_loopback_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

/// `tinyad SUBCOMMAND ARGS...` as a child process; stdout is collected by a
/// thread; start() returns once it printed "listening on port N".
class ServerProcess {
 public:
  explicit ServerProcess(std::string subcommand) : subcommand_(std::move(subcommand)) {}
  bool start(const std::vector<std::string>& args) {
    int fds[2];
    if (::pipe(fds) != 0) return false;
    pid_ = ::fork();
    if (pid_ == 0) {
      ::dup2(fds[1], STDOUT_FILENO);
      ::close(fds[0]);
      ::close(fds[1]);
      std::vector<char*> argv;
      std::string bin = TINYAD_BINARY, cmd = subcommand_;
      argv.push_back(bin.data());
      argv.push_back(cmd.data());
      std::vector<std::string> copy = args;
      for (auto& a : copy) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv(bin.c_str(), argv.data());
      ::_exit(127);
    }
    ::close(fds[1]);
    fd_ = fds[0];
    reader_ = std::thread([this] {
      char buf[4096];
      for (ssize_t n; (n = ::read(fd_, buf, sizeof buf)) > 0;) {
        std::lock_guard<std::mutex> lock(mutex_);
        out_.append(buf, size_t(n));
      }
    });
    // The first line says which port the OS gave us.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < deadline) {
      {
        std::lock_guard<std::mutex> lock(mutex_);
        const size_t at = out_.find("listening on port ");
        if (at != std::string::npos && out_.find('\n', at) != std::string::npos) {
          port_ = std::atoi(out_.c_str() + at + 18);
          return true;
        }
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return false;
  }
  // Sends `sig` and waits; returns everything printed.
  std::string stop(int sig = SIGINT) {
    if (pid_ > 0) {
      ::kill(pid_, sig);
      ::waitpid(pid_, &status_, 0);
      pid_ = -1;
    }
    if (reader_.joinable()) reader_.join();
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    return out_;
  }
  // Sends `sig` without waiting (SIGHUP: re-read files).
  void signal(int sig) {
    if (pid_ > 0) ::kill(pid_, sig);
  }
  // Waits for the process to end by itself (after -t); returns the output.
  std::string wait() {
    if (pid_ > 0) {
      ::waitpid(pid_, &status_, 0);
      pid_ = -1;
    }
    return stop();
  }
  std::string output() {
    std::lock_guard<std::mutex> lock(mutex_);
    return out_;
  }
  ~ServerProcess() { stop(SIGKILL); }
  int port() const { return port_; }
  pid_t pid() const { return pid_; }  // for SIGSTOP/SIGCONT; -1 once stopped
  int status() const { return status_; }

 private:
  std::string subcommand_;
  pid_t pid_ = -1;
  int fd_ = -1;
  int port_ = 0;
  int status_ = -1;
  std::thread reader_;
  std::mutex mutex_;
  std::string out_;
};

}  // namespace tinyad::test
