// line_log_test.cpp: serve's event log (src/base/line_log.h): lines are in
// the file as soon as append() returns, a cut last line is closed before the
// next one, threads never interleave inside a line, and a full disk is
// reported at the first lost line.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "line_log.h"

namespace fs = std::filesystem;

namespace {

std::string temp_file(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / ("tinyad-line-log-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  fs::remove(dir / name);
  return (dir / name).string();
}

std::vector<std::string> lines_of(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> out;
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

}  // namespace

TEST(LineLog, EachLineIsInTheFileWhenAppendReturns) {
  const std::string path = temp_file("live.jsonl");
  tinyad::LineLog log;
  std::string err;
  ASSERT_TRUE(log.open(path, nullptr, &err)) << err;
  ASSERT_TRUE(log.append("{\"n\":1}"));
  EXPECT_EQ(lines_of(path), std::vector<std::string>{"{\"n\":1}"});  // read while still open
  ASSERT_TRUE(log.append("{\"n\":2}"));
  EXPECT_EQ(lines_of(path).size(), 2u);
}

TEST(LineLog, ACutLastLineIsClosedBeforeTheNextOne) {
  const std::string path = temp_file("cut.jsonl");
  std::ofstream(path) << "{\"whole\":1}\n{\"cut\":";  // what a crash mid-write leaves
  tinyad::LineLog log;
  std::string err;
  ASSERT_TRUE(log.open(path, nullptr, &err)) << err;
  ASSERT_TRUE(log.append("{\"next\":1}"));
  EXPECT_EQ(lines_of(path), (std::vector<std::string>{"{\"whole\":1}", "{\"cut\":", "{\"next\":1}"}));
}

TEST(LineLog, ThreadsNeverInterleaveInsideALine) {
  const std::string path = temp_file("threads.jsonl");
  tinyad::LineLog log;
  std::string err;
  ASSERT_TRUE(log.open(path, nullptr, &err)) << err;
  constexpr int kThreads = 8, kLines = 2000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&log, t] {
      // Lines of different lengths per thread, so a torn write shows.
      const std::string body(size_t(50 + 37 * t), char('a' + t));
      for (int i = 0; i < kLines; ++i) log.append(body);
    });
  }
  for (auto& th : threads) th.join();
  const auto lines = lines_of(path);
  ASSERT_EQ(lines.size(), size_t(kThreads * kLines));
  for (const std::string& l : lines) {
    ASSERT_FALSE(l.empty());
    const int t = l[0] - 'a';
    ASSERT_TRUE(t >= 0 && t < kThreads) << l;
    EXPECT_EQ(l, std::string(size_t(50 + 37 * t), char('a' + t)));
  }
  EXPECT_EQ(log.failed(), 0u);
}

TEST(LineLog, AFullDiskIsReportedAtTheFirstLostLine) {
  if (!fs::exists("/dev/full")) GTEST_SKIP() << "/dev/full is missing (not Linux?)";
  tinyad::LineLog log;
  std::vector<std::string> reports;
  std::string err;
  ASSERT_TRUE(log.open("/dev/full", [&](const std::string& s) { reports.push_back(s); }, &err)) << err;
  EXPECT_FALSE(log.append("{\"n\":1}"));
  EXPECT_FALSE(log.append("{\"n\":2}"));
  EXPECT_EQ(log.failed(), 2u);
  ASSERT_EQ(reports.size(), 1u);  // once, not once per line
  EXPECT_NE(reports[0].find("No space left on device"), std::string::npos) << reports[0];
}
