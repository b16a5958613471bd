// collect_e2e_test.cpp: the real `tinyad collect` process on a free port,
// driven by the firmware emulation and by raw sockets: a fleet of devices
// stores exactly what it sent; the firmware's GET parsing reads 1; every bad
// input is refused with its status and a reason and writes nothing; kill -9
// under load leaves only complete files; -t ends collection on time.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <atomic>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>

#include "csv_reader.h"
#include "device_client.h"
#include "device_emulator.h"
#include "sample_json.h"
#include "raw_http.h"
#include "server_process.h"

namespace fs = std::filesystem;

namespace tinyad {
namespace {

using test::send_pieces;
using test::post_request;
using test::ServerProcess;

size_t csv_count(const fs::path& dir) {
  size_t n = 0;
  if (!fs::exists(dir)) return 0;
  for (const auto& e : fs::directory_iterator(dir)) n += e.path().extension() == ".csv";
  return n;
}

std::vector<std::string> sorted_contents(const fs::path& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().extension() != ".csv") continue;
    std::ifstream f(e.path());
    out.emplace_back(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
  }
  std::sort(out.begin(), out.end());
  return out;
}

class CollectE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::path(::testing::TempDir()) /
            ("tinyad-collect-" + std::to_string(::getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    fs::create_directories(root_);
  }
  void TearDown() override { fs::remove_all(root_); }
  fs::path root_;
};

TEST_F(CollectE2E, SixteenDevicesFiftyWindowsGiveExactly800Files) {
  ServerProcess srv("collect");
  ASSERT_TRUE(srv.start({"-d", (root_ / "data").string(), "-p", "0", "-t", "0", "--host", "127.0.0.1"}));
  DeviceEmulatorOptions opt;
  opt.server.port = srv.port();
  opt.devices = 16;
  opt.count = 50;
  opt.label = "fan_0_med_1_weight";
  opt.save_sent = (root_ / "sent").string();
  opt.timing.response_timeout_ms = 5000;  // a loaded CI machine must not turn into lost windows
  DeviceEmulatorReport rep;
  std::string err;
  ASSERT_TRUE(device_emulator_run(opt, &rep, &err)) << err;
  const std::string out = srv.stop();
  EXPECT_EQ(rep.stored, 800u);
  EXPECT_EQ(rep.refused, 0u);
  EXPECT_EQ(rep.post_failures, 0u);
  EXPECT_EQ(csv_count(root_ / "data"), 800u);
  EXPECT_TRUE(fs::exists(root_ / "data" / "0799.csv"));
  // Every file holds one window exactly as a device sent it (compared as a
  // multiset: which device got which number is up to the scheduler).
  const std::vector<std::string> stored = sorted_contents(root_ / "data");
  const std::vector<std::string> sent = sorted_contents(root_ / "sent");
  ASSERT_EQ(sent.size(), 800u);
  EXPECT_TRUE(stored == sent) << "stored windows differ from the windows sent";
  std::vector<double> rows;
  ASSERT_TRUE(csv_read_window((root_ / "data" / "0123.csv").string(), &rows, &err)) << err;
  EXPECT_EQ(rows.size(), 600u);
  EXPECT_NE(out.find("stored 0000.csv: 200 readings from emu-"), std::string::npos) << out.substr(0, 500);
  EXPECT_NE(out.find("collected 800 windows"), std::string::npos) << out.substr(out.size() > 300 ? out.size() - 300 : 0);
}

TEST_F(CollectE2E, FirmwareGetParsingReadsTheFlag) {
  ServerProcess srv("collect");
  ASSERT_TRUE(srv.start({"-d", (root_ / "data").string(), "-p", "0", "--host", "127.0.0.1"}));
  DeviceEndpoint ep;
  ep.port = srv.port();
  std::string trace;
  FirmwareTiming patient;  // the board's parsing, with room for a loaded CI machine
  patient.response_timeout_ms = 5000;
  EXPECT_EQ(firmware_get_flag(ep, patient, &trace), 1) << trace;
  EXPECT_EQ(trace, "[HTTP/1.1 200 OK][\nContent-Type: text/plain][\nContent-Length: 1][\n]{1}");
  // The bytes themselves: status line, exactly two header lines, blank line, flag.
  EXPECT_EQ(send_pieces(srv.port(), {"GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"}),
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 1\r\n\r\n1");
  srv.stop();
}

// A one-shot server that answers the next connection with `pieces`,
// pausing between them; returns what firmware_get_flag made of it. Proves the
// emulation is as strict as the board, so the test above can fail.
int flag_from_fake_server(const std::vector<std::string>& pieces, std::string* trace) {
  const int lfd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(lfd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(lfd, 4) != 0) return -2;
  socklen_t len = sizeof a;
  ::getsockname(lfd, reinterpret_cast<sockaddr*>(&a), &len);
  std::thread server([lfd, pieces] {
    const int c = ::accept(lfd, nullptr, nullptr);
    char buf[512];
    [[maybe_unused]] ssize_t n = ::recv(c, buf, sizeof buf, 0);
    for (const std::string& p : pieces) {
      n = ::send(c, p.data(), p.size(), MSG_NOSIGNAL);
      std::this_thread::sleep_for(std::chrono::milliseconds(150));
    }
    ::close(c);
  });
  DeviceEndpoint ep;
  ep.port = ntohs(a.sin_port);
  FirmwareTiming timing;
  timing.response_timeout_ms = 5000;  // the first byte; the line checks are what is tested
  const int flag = firmware_get_flag(ep, timing, trace);
  server.join();
  ::close(lfd);
  return flag;
}

TEST(FirmwareClient, FollowsTheBoardsLineCounting) {
  std::string trace;
  EXPECT_EQ(flag_from_fake_server({"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 1\r\n\r\n1"},
                                  &trace),
            1)
      << trace;
  trace.clear();
  // One header line more: the fifth line is the blank one, not the flag.
  EXPECT_EQ(flag_from_fake_server(
                {"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 1\r\nConnection: close\r\n\r\n1"},
                &trace),
            -1)
      << trace;
  trace.clear();
  // A reply in pieces that break right after a '\r': between lines the board
  // finds nothing available and gives up, though the rest comes 150 ms later.
  EXPECT_EQ(flag_from_fake_server({"HTTP/1.1 200 OK\r", "\nContent-Type: text/plain\r\nContent-Length: 1\r\n\r\n1"},
                                  &trace),
            -1)
      << trace;
  trace.clear();
  // Pieces that break after a '\n' still work on the board (the '\n' is
  // available, and readStringUntil waits up to its 1 s stream timeout).
  EXPECT_EQ(flag_from_fake_server({"HTTP/1.1 200 OK\r\n", "Content-Type: text/plain\r\nContent-Length: 1\r\n\r\n1"},
                                  &trace),
            1)
      << trace;
}

struct BadInput {
  const char* name;
  std::vector<std::string> pieces;
  const char* status_line;
  const char* reason_part;
};

TEST_F(CollectE2E, EveryBadInputIsRefusedAndWritesNothing) {
  ServerProcess srv("collect");
  ASSERT_TRUE(srv.start({"-d", (root_ / "data").string(), "-p", "0", "--host", "127.0.0.1", "--max-body", "2000",
                         "--max-readings", "50", "--timeout", "1"}));
  const std::string ok_body = sample_json_format(std::vector<double>(3 * 16, 0.25));  // --min-readings 16
  const std::string tiny_body = R"({"x":[1],"y":[2],"z":[3]})";  // for the framing cases: well under 100 bytes
  const std::string long_body = sample_json_format(std::vector<double>(3 * 60, 0.5));  // 60 readings, < 2000 bytes
  std::vector<double> impossible(3 * 16, 0.25);
  impossible[3 * 5] = 1e308;  // x[5]
  const BadInput cases[] = {
      {"too short", {post_request(R"({"x":[1],"y":[2],"z":[3]})")}, "HTTP/1.1 422 ", "expected at least 16"},
      {"impossible reading", {post_request(sample_json_format(impossible))}, "HTTP/1.1 422 ",
       "x[5] = 1e+308 g is beyond any accelerometer"},
      {"not JSON", {post_request("hello")}, "HTTP/1.1 400 ", "not valid JSON"},
      {"missing axis", {post_request(R"({"x":[1],"y":[2]})")}, "HTTP/1.1 400 ", "missing axis \"z\""},
      {"unequal lengths", {post_request(R"({"x":[1,2],"y":[2],"z":[3]})")}, "HTTP/1.1 400 ", "different lengths"},
      {"non-number", {post_request(R"({"x":["a"],"y":[2],"z":[3]})")}, "HTTP/1.1 400 ", "x[0] is a string"},
      {"NaN", {post_request(R"({"x":[1],"y":[NaN],"z":[3]})")}, "HTTP/1.1 400 ", "y[0] is NaN"},
      {"empty arrays", {post_request(R"({"x":[],"y":[],"z":[]})")}, "HTTP/1.1 400 ", "is empty"},
      {"too many readings", {post_request(long_body)}, "HTTP/1.1 413 ", "more than 50 readings"},
      {"body over the limit", {post_request(std::string(2500, ' '))}, "HTTP/1.1 413 ", "limit of 2000 bytes"},
      {"Content-Length too short",
       {"POST / HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: 10\r\n\r\n" + tiny_body},
       "HTTP/1.1 400 ",
       "Content-Length too short"},
      {"Content-Length too long (then stalls)",
       {"POST / HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n" + tiny_body},
       "HTTP/1.1 408 ",
       "body bytes announced by Content-Length"},
      {"stalls in the head", {"POST / HTTP/1.1\r\nHost: t\r\n"}, "HTTP/1.1 408 ", "request head is incomplete"},
      {"connects and says nothing", {}, "HTTP/1.1 408 ", "no request received"},
      {"no Content-Length", {"POST / HTTP/1.1\r\nHost: t\r\n\r\n" + tiny_body}, "HTTP/1.1 411 ", "Content-Length"},
      {"chunked", {"POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"}, "HTTP/1.1 501 ",
       "Transfer-Encoding"},
      {"garbage request line", {"\x16\x03\x01\x02\x01 hello\r\n\r\n"}, "HTTP/1.1 400 ", "request line"},
      {"wrong content type",
       {"POST / HTTP/1.1\r\nHost: t\r\nContent-Type: text/plain\r\nContent-Length: " +
        std::to_string(tiny_body.size()) + "\r\n\r\n" + tiny_body},
       "HTTP/1.1 415 ",
       "Content-Type"},
      {"wrong method", {"DELETE / HTTP/1.1\r\nHost: t\r\n\r\n"}, "HTTP/1.1 405 ", "GET / or POST /"},
      {"wrong path", {"GET /x HTTP/1.1\r\nHost: t\r\n\r\n"}, "HTTP/1.1 404 ", "no such path"},
  };
  for (const BadInput& c : cases) {
    const std::string reply = send_pieces(srv.port(), c.pieces);
    EXPECT_EQ(reply.rfind(c.status_line, 0), 0u) << c.name << ": " << reply;
    const size_t body_at = reply.find("\r\n\r\n");
    ASSERT_NE(body_at, std::string::npos) << c.name << ": " << reply;
    const std::string reason = reply.substr(body_at + 4);
    EXPECT_NE(reason.find(c.reason_part), std::string::npos) << c.name << ": " << reason;
    EXPECT_EQ(std::count(reason.begin(), reason.end(), '\n'), 1) << c.name << ": one line: " << reason;
  }
  EXPECT_EQ(csv_count(root_ / "data"), 0u) << "a refused request writes nothing";
  // A good post still works after all that.
  EXPECT_EQ(send_pieces(srv.port(), {post_request(ok_body)}).rfind("HTTP/1.1 204 ", 0), 0u);
  EXPECT_EQ(csv_count(root_ / "data"), 1u);
  const std::string out = srv.stop();
  EXPECT_NE(out.find("refused 127.0.0.1:"), std::string::npos) << "refusals are logged";
  EXPECT_NE(out.find("collected 1 windows"), std::string::npos) << out.substr(out.size() > 300 ? out.size() - 300 : 0);
}

TEST_F(CollectE2E, KillNineUnderLoadLeavesOnlyCompleteFiles) {
  ServerProcess srv("collect");
  ASSERT_TRUE(srv.start({"-d", (root_ / "data").string(), "-p", "0", "-q", "--host", "127.0.0.1"}));
  DeviceEmulatorOptions opt;
  opt.server.port = srv.port();
  opt.devices = 8;
  opt.count = 0;  // until the server is gone
  opt.give_up_s = 0.5;
  opt.poll_ms = 5;
  opt.save_sent = (root_ / "sent").string();
  opt.timing.response_timeout_ms = 5000;
  DeviceEmulatorReport rep;
  std::thread fleet([&] {
    std::string err;
    device_emulator_run(opt, &rep, &err);
  });
  // Kill once a good number of windows is on disk, in the middle of the flow.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (csv_count(root_ / "data") < 300 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  srv.stop(SIGKILL);
  fleet.join();
  const size_t n = csv_count(root_ / "data");
  ASSERT_GE(n, 300u);
  // Every file is complete: 200 rows of x, y, z.
  for (const auto& e : fs::directory_iterator(root_ / "data")) {
    if (e.path().extension() != ".csv") continue;
    std::vector<double> rows;
    std::string err;
    ASSERT_TRUE(csv_read_window(e.path().string(), &rows, &err)) << err;
    EXPECT_EQ(rows.size(), 600u) << e.path();
  }
  // Every window a device was told was stored is there.
  const std::vector<std::string> stored = sorted_contents(root_ / "data");
  for (const std::string& s : sorted_contents(root_ / "sent")) {
    EXPECT_TRUE(std::binary_search(stored.begin(), stored.end(), s)) << "an acknowledged window is missing";
  }
  EXPECT_LE(rep.stored, n);
}

TEST_F(CollectE2E, TimeLimitTurnsTheFlagOffThenExits) {
  ServerProcess srv("collect");
  ASSERT_TRUE(srv.start({"-d", (root_ / "data").string(), "-p", "0", "--host", "127.0.0.1", "-t", "2", "--grace",
                         "2"}));
  DeviceEndpoint ep;
  ep.port = srv.port();
  FirmwareTiming patient;
  patient.response_timeout_ms = 5000;
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(firmware_get_flag(ep, patient), 1);
  // Poll until the flag turns 0 (a loaded machine may be late, never early).
  int flag = 1;
  while (flag == 1 && std::chrono::steady_clock::now() - t0 < std::chrono::seconds(10)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    flag = firmware_get_flag(ep, patient);
  }
  EXPECT_EQ(flag, 0) << "after -t the flag is 0";
  EXPECT_GE(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(1900)) << "not before -t ran out";
  // Within the grace period a window already being recorded is still stored.
  const FirmwarePost p = firmware_post(ep, patient, sample_json_format(std::vector<double>(3 * 16, 0.25)));
  EXPECT_EQ(p.status, 204) << p.printed;
  const std::string out = srv.wait();
  EXPECT_TRUE(WIFEXITED(srv.status()) && WEXITSTATUS(srv.status()) == 0) << out;
  EXPECT_NE(out.find("time is up"), std::string::npos) << out;
  EXPECT_NE(out.find("collected 1 windows"), std::string::npos) << out;
}

// The real sketch (firmware/collect/collect.ino), compiled for the host
// against the Arduino stubs, collects from the real server.
TEST_F(CollectE2E, CollectSketchPostsWindowsTheServerStores) {
  ServerProcess srv("collect");
  ASSERT_TRUE(srv.start({"-d", (root_ / "data").string(), "-p", "0", "--host", "127.0.0.1"}));
  const std::string cmd = "TINYAD_STUB_SERVER_PORT=" + std::to_string(srv.port()) +
                          " TINYAD_STUB_WINDOWS=3 " TINYAD_FIRMWARE_COLLECT_HOST " > " + (root_ / "serial.txt").string();
  const int rc = std::system(cmd.c_str());
  const std::string out = srv.stop();
  std::ifstream serial(root_ / "serial.txt");
  const std::string log((std::istreambuf_iterator<char>(serial)), {});
  ASSERT_EQ(rc, 0) << log;
  EXPECT_NE(log.find("POST: HTTP/1.1 204 No Content"), std::string::npos) << log;
  ASSERT_EQ(csv_count(root_ / "data"), 3u) << out;
  EXPECT_NE(out.find("200 readings from esp32-fan-1"), std::string::npos) << out;
  for (const char* name : {"0000.csv", "0001.csv", "0002.csv"}) {
    std::vector<double> rows;
    std::string err;
    ASSERT_TRUE(csv_read_window((root_ / "data" / name).string(), &rows, &err)) << err;
    ASSERT_EQ(rows.size(), 600u) << name;
    for (size_t i = 0; i < rows.size(); i += 3) {
      // The stub sensor: a 0.01 g tone on x, 0.2 g on y, 0.98 g on z, in 1/2048 g steps, 6 decimals.
      EXPECT_LE(std::fabs(rows[i]), 0.0100) << name;
      EXPECT_NEAR(rows[i + 1], 0.2, 0.0055) << name;
      EXPECT_EQ(rows[i + 2], 0.97998) << name;
    }
  }
}

}  // namespace
}  // namespace tinyad
