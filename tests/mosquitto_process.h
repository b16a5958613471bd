// mosquitto_process.h: a mosquitto of a test's own, from a config file:
// started, killed (-9, as a crash), started again on the same ports; killed
// when the test ends. For the tests that must not disturb the shared broker
// of ctest's mqtt_broker fixture (restarts, persistence, TLS).
#pragma once

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "raw_http.h"

namespace tinyad::test {

class Broker {
 public:
  explicit Broker(std::string conf) : conf_(std::move(conf)) {}
  ~Broker() { kill(); }
  Broker(const Broker&) = delete;
  Broker& operator=(const Broker&) = delete;
  /// Starts it and waits until every port accepts connections.
  bool start(const std::vector<int>& ports) {
    const std::string bin = "/usr/sbin/mosquitto";
    if (!std::filesystem::exists(bin)) {
      ADD_FAILURE() << bin << " is missing: scripts/deps.sh test installs mosquitto";
      return false;
    }
    pid_ = ::fork();
    if (pid_ == 0) {
      const int null = ::open("/dev/null", O_WRONLY);
      ::dup2(null, STDOUT_FILENO);
      ::dup2(null, STDERR_FILENO);
      ::execl(bin.c_str(), bin.c_str(), "-c", conf_.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
    auto accepts = [](int port) {
      const int fd = connect_loopback(port);
      if (fd >= 0) ::close(fd);
      return fd >= 0;
    };
    auto all_up = [&] {
      for (int p : ports)
        if (!accepts(p)) return false;
      return true;
    };
    for (int i = 0; i < 500 && !all_up(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    return all_up();
  }
  /// SIGKILL: no goodbye to clients, no final save of its persistence file.
  void kill() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

 private:
  std::string conf_;
  pid_t pid_ = -1;
};

}  // namespace tinyad::test
