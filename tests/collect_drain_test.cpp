// collect_drain_test.cpp: `tinyad collect` stops gracefully. A window half
// sent when SIGINT arrives is still stored and answered (204), a new client
// is refused once the drain began, and the process exits 0 with the window
// counted. (serve's drain: dashboard_test.cpp.)
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <future>
#include <string>
#include <thread>

#include "raw_http.h"
#include "server_process.h"

namespace fs = std::filesystem;

namespace tinyad {
namespace {

using namespace std::chrono_literals;

using test::connect_loopback;

TEST(CollectDrain, AWindowHalfSentAtSigintIsStoredAndAnswered) {
  const fs::path dir = fs::temp_directory_path() / ("tinyad-collect-drain-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  test::ServerProcess p("collect");
  ASSERT_TRUE(p.start({"-d", dir.string(), "-p", "0", "--host", "127.0.0.1", "--drain", "5"}));
  std::string body = "{\"x\":[";
  for (int i = 0; i < 200; ++i) body += (i ? ",0." : "0.") + std::to_string(100 + i);
  body += "],\"y\":[" + body.substr(6, body.size() - 6) + "],\"z\":[" + body.substr(6, body.size() - 6) + "]}";
  const std::string req = test::post_request(body);
  const int fd = connect_loopback(p.port());
  ASSERT_GE(fd, 0);
  const size_t half = req.size() / 2;
  ASSERT_EQ(::send(fd, req.data(), half, MSG_NOSIGNAL), ssize_t(half));
  std::this_thread::sleep_for(100ms);
  auto stopped = std::async(std::launch::async, [&] { return p.stop(SIGINT); });
  std::this_thread::sleep_for(300ms);
  EXPECT_LT(connect_loopback(p.port()), 0) << "draining: new clients are refused";
  ASSERT_EQ(::send(fd, req.data() + half, req.size() - half, MSG_NOSIGNAL), ssize_t(req.size() - half));
  std::string reply;
  test::read_to_close(fd, &reply, 5000);
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
