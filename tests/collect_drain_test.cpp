// collect_drain_test.cpp: `tinyad collect` stops gracefully. A window half
// sent when SIGINT arrives is still stored and answered (204), a new client
// is refused once the drain began, and the process exits 0 with the window
// counted. (serve's drain: dashboard_test.cpp.)
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <future>
#include <string>
#include <thread>

#include "server_process.h"

namespace fs = std::filesystem;

namespace tinyad {
namespace {

using namespace std::chrono_literals;

int connect_local(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(uint16_t(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

TEST(CollectDrain, AWindowHalfSentAtSigintIsStoredAndAnswered) {
  const fs::path dir = fs::temp_directory_path() / ("tinyad-collect-drain-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  test::ServerProcess p("collect");
  ASSERT_TRUE(p.start({"-d", dir.string(), "-p", "0", "--host", "127.0.0.1", "--drain", "5"}));
  std::string body = "{\"x\":[";
  for (int i = 0; i < 200; ++i) body += (i ? ",0." : "0.") + std::to_string(100 + i);
  body += "],\"y\":[" + body.substr(6, body.size() - 6) + "],\"z\":[" + body.substr(6, body.size() - 6) + "]}";
  const std::string req = "POST / HTTP/1.1\r\nHost: t\r\nConnection: close\r\nContent-Type: application/json\r\n"
                          "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  const int fd = connect_local(p.port());
  ASSERT_GE(fd, 0);
  const size_t half = req.size() / 2;
  ASSERT_EQ(::send(fd, req.data(), half, MSG_NOSIGNAL), ssize_t(half));
  std::this_thread::sleep_for(100ms);
  auto stopped = std::async(std::launch::async, [&] { return p.stop(SIGINT); });
  std::this_thread::sleep_for(300ms);
  EXPECT_LT(connect_local(p.port()), 0) << "draining: new clients are refused";
  ASSERT_EQ(::send(fd, req.data() + half, req.size() - half, MSG_NOSIGNAL), ssize_t(req.size() - half));
  std::string reply;
  char buf[4096];
  pollfd pf{fd, POLLIN, 0};
  while (::poll(&pf, 1, 5000) > 0) {
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    reply.append(buf, size_t(n));
  }
  ::close(fd);
  EXPECT_EQ(reply.rfind("HTTP/1.1 204 ", 0), 0u) << reply;
  const std::string out = stopped.get();
  ASSERT_TRUE(WIFEXITED(p.status())) << out;
  EXPECT_EQ(WEXITSTATUS(p.status()), 0) << out;
  EXPECT_NE(out.find("collected 1 windows"), std::string::npos) << out;
  EXPECT_TRUE(fs::exists(dir / "0000.csv"));
  fs::remove_all(dir);
}

}  // namespace
}  // namespace tinyad
