// event_log_crash_test.cpp: serve's --events file against a real process
// (issue 12 part 8): after kill -9 every acknowledged verdict is in the file
// as whole JSON lines, and the next run never glues a line onto a cut one;
// on a full disk (a 64 KiB tmpfs, mounted when the test runs as root, else
// skipped with the reason) the failure is logged at once, counted in /metrics
// and /healthz answers 503, until there is room again.
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "raw_http.h"
#include "sample_json.h"
#include "serve_fixture.h"
#include "server_process.h"

namespace tinyad {
namespace {

namespace fs = std::filesystem;

class ServeEventLog : public test::SimulatedModelTest<ServeEventLog> {
 public:
  static constexpr test::SimulatedModelOptions kSimulated{"tinyad-event-log-test", 12, 3, false};
};

std::vector<std::string> lines_of(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> out;
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

TEST_F(ServeEventLog, KillNineKeepsEveryAnsweredVerdictAndTheNextRunStartsANewLine) {
  const std::string events = path("crash-events.jsonl");
  fs::remove(events);
  const std::string body = sample_json_format(rows_of(window(test::kNormal, 0)));
  int answered = 0;
  {
    test::ServerProcess p("serve");
    ASSERT_TRUE(p.start({"--model", path("model.json"), "-p", "0", "--host", "127.0.0.1", "--events", events}))
        << p.output();
    for (int i = 0; i < 20; ++i)
      answered += test::status_of(test::send_request(p.port(), test::post_request(body, "X-Device-Id: fan\r\n"))) == 200;
    p.stop(SIGKILL);
  }
  EXPECT_EQ(answered, 20);
  std::vector<std::string> lines = lines_of(events);
  int verdicts = 0;
  for (const std::string& l : lines) verdicts += nlohmann::json::parse(l)["event"] == "verdict";
  EXPECT_EQ(verdicts, answered) << "every answered verdict is in the file after kill -9";
  // What a crash inside a write leaves: a cut last line. The next run closes it.
  std::ofstream(events, std::ios::app) << "{\"event\":\"verdict\",\"cut";
  {
    test::ServerProcess p("serve");
    ASSERT_TRUE(p.start({"--model", path("model.json"), "-p", "0", "--host", "127.0.0.1", "--events", events}))
        << p.output();
    EXPECT_EQ(test::status_of(test::send_request(p.port(), test::post_request(body, "X-Device-Id: fan\r\n"))), 200);
    p.stop(SIGKILL);
  }
  lines = lines_of(events);
  ASSERT_GE(lines.size(), 2u);
  EXPECT_EQ(lines[lines.size() - 2], "{\"event\":\"verdict\",\"cut");
  EXPECT_EQ(nlohmann::json::parse(lines.back())["event"], "verdict");
}

TEST_F(ServeEventLog, AFullDiskIsLoggedCountedAndUnhealthy) {
  const fs::path dir = path("small-tmpfs");
  fs::create_directories(dir);
  if (::geteuid() != 0 || ::mount("tmpfs", dir.c_str(), "tmpfs", 0, "size=64k") != 0)
    GTEST_SKIP() << "needs root to mount a 64 KiB tmpfs at " << dir << " (mount: " << std::strerror(errno) << ")";
  struct Unmount {  // also when an assertion ends the test early
    std::string dir;
    ~Unmount() { ::umount2(dir.c_str(), MNT_DETACH); }
  } unmount{dir.string()};
  const std::string events = (dir / "events.jsonl").string();
  const std::string body = sample_json_format(rows_of(window(test::kNormal, 0)));
  test::ServerProcess p("serve");
  ASSERT_TRUE(p.start({"--model", path("model.json"), "-p", "0", "--host", "127.0.0.1", "--events", events}))
      << p.output();
  auto get = [&](const std::string& target) {
    return test::send_request(p.port(), "GET " + target + " HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
  };
  EXPECT_EQ(test::status_of(get("/healthz")), 200);
  int posts = 0;
  for (; posts < 2000 && test::status_of(get("/healthz")) == 200; ++posts)
    test::send_request(p.port(), test::post_request(body, "X-Device-Id: fan\r\n"));
  EXPECT_LT(posts, 2000) << "the 64 KiB disk never filled";
  EXPECT_EQ(test::status_of(get("/healthz")), 503);
  const std::string metrics = get("/metrics");
  EXPECT_NE(metrics.find("\ntinyad_event_log_failing 1\n"), std::string::npos) << metrics;
  EXPECT_EQ(metrics.find("\ntinyad_event_log_lost_lines_total 0\n"), std::string::npos) << metrics;
  // Room again (the tmpfs grown): the next line is written whole after the
  // line the full disk cut, and /healthz is healthy again.
  ASSERT_EQ(::mount("tmpfs", dir.c_str(), "tmpfs", MS_REMOUNT, "size=256k"), 0) << std::strerror(errno);
  EXPECT_EQ(test::status_of(test::send_request(p.port(), test::post_request(body, "X-Device-Id: fan\r\n"))), 200);
  EXPECT_EQ(test::status_of(get("/healthz")), 200);
  const std::string out = p.stop(SIGKILL);
  EXPECT_NE(out.find("cannot write the event log " + events + ": No space left on device"), std::string::npos) << out;
  const std::vector<std::string> lines = lines_of(events);
  ASSERT_FALSE(lines.empty());
  size_t bad = 0;
  for (const std::string& l : lines) bad += !nlohmann::json::accept(l);
  EXPECT_LE(bad, 1u) << "at most the one line the full disk cut";
  EXPECT_EQ(nlohmann::json::parse(lines.back())["event"], "verdict");
}

}  // namespace
}  // namespace tinyad
