// first_hour_test.cpp: what the README's "first hour" shows a new user, run
// as they would run it: `make demo`'s closing hint works as printed,
// `window-json` turns a CSV window into the body a board posts, `device -v`
// prints each window's score and verdict from `serve`, and the serve console
// says when an alarm is raised and cleared. Plus the two helpers behind the
// last two lines (verdict_reply.h, fleet_event_console_line).
#include <gtest/gtest.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "cli_run.h"
#include "csv_reader.h"
#include "fleet_event.h"
#include "sample_json.h"
#include "server_process.h"
#include "verdict_reply.h"

namespace fs = std::filesystem;

namespace tinyad {
namespace {

using test::CliRun;
using test::tinyad;

class FirstHour : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(::testing::TempDir()) / ("tinyad-first-hour-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  // A small simulated dataset with a normal and a faulty label, and a model of it.
  void train_small_model() {
    ASSERT_EQ(tinyad("simulate -o " + path("data") + " --labels fan_0_low_0_weight,fan_0_high_1_weight -n 30 --seed 3")
                  .status, 0);
    ASSERT_EQ(tinyad("train --data " + path("data") + " --normal fan_0_low_0_weight --anomaly fan_0_high_1_weight -o " +
                     path("m.json") + " >/dev/null").status, 0);
  }
  fs::path dir_;
};

// Runs a shell command line; returns its exit status and stdout.
CliRun shell(const std::string& line) {
  CliRun r;
  FILE* p = ::popen((line + " 2>&1").c_str(), "r");
  std::array<char, 4096> buf;
  for (size_t n; (n = std::fread(buf.data(), 1, buf.size(), p)) > 0;) r.out.append(buf.data(), n);
  const int st = ::pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

TEST_F(FirstHour, DemosClosingHintRunsAsPrinted) {
  // No dataset: the demo simulates one, as on a fresh machine without network.
  const CliRun demo = tinyad("demo -o '" + path("demo out") + "'");  // a space, to check the quoting
  ASSERT_EQ(demo.status, 0) << demo.err;
  const size_t at = demo.out.rfind("next: ");
  ASSERT_NE(at, std::string::npos) << demo.out;
  const std::string hint = demo.out.substr(at + 6, demo.out.find('\n', at) - at - 6);
  EXPECT_EQ(hint.find("WINDOW.csv"), std::string::npos) << hint;
  const CliRun run = shell(hint);
  EXPECT_EQ(run.status, 0) << hint << "\n" << run.out;
  EXPECT_NE(run.out.find("fan_0_med_0_weight/0000.csv "), std::string::npos) << run.out;
  EXPECT_TRUE(run.out.find(" normal\n") != std::string::npos || run.out.find(" anomaly\n") != std::string::npos)
      << run.out;
}

TEST_F(FirstHour, WindowJsonIsTheBodyABoardPosts) {
  train_small_model();
  const std::string csv = path("data/fan_0_high_1_weight/0000.csv");
  const CliRun r = tinyad("window-json " + csv);
  ASSERT_EQ(r.status, 0) << r.err;
  SampleWindow w;
  int status = 0;
  std::string err;
  ASSERT_TRUE(sample_json_parse(r.out, SampleLimits{}, &w, &status, &err)) << err;
  std::vector<double> rows;
  ASSERT_TRUE(csv_read_window(csv, &rows, &err)) << err;
  EXPECT_EQ(w.rows, rows);  // every number reads back exactly
  // A header row is read as `score` reads it: the same numbers.
  std::ofstream(path("header.csv")) << "x,y,z\n" << csv_format_window(rows);
  EXPECT_EQ(tinyad("window-json " + path("header.csv")).out, r.out);
  // A missing file: one line, non-zero.
  const CliRun bad = tinyad("window-json " + path("nope.csv"));
  EXPECT_NE(bad.status, 0);
  EXPECT_NE(bad.err.find("nope.csv"), std::string::npos) << bad.err;
}

TEST_F(FirstHour, DeviceVerbosePrintsVerdictsAndServeSaysAlarms) {
  train_small_model();
  test::ServerProcess serve("serve");
  ASSERT_TRUE(serve.start({"--model", path("m.json"), "-p", "0", "--host", "127.0.0.1"}));
  const std::string server = "--server http://127.0.0.1:" + std::to_string(serve.port());
  const CliRun faulty = tinyad("device " + server + " --state high --weight 1 -n 4 --id fan -v");
  ASSERT_EQ(faulty.status, 0) << faulty.err;
  EXPECT_NE(faulty.out.find("fan-0: window 1 posted (200 readings): HTTP 200, score "), std::string::npos) << faulty.out;
  EXPECT_NE(faulty.out.find("): anomaly\n"), std::string::npos) << faulty.out;
  const CliRun normal = tinyad("device " + server + " --state low --weight 0 -n 4 --id fan -v");
  ASSERT_EQ(normal.status, 0) << normal.err;
  EXPECT_NE(normal.out.find("): normal\n"), std::string::npos) << normal.out;
  const std::string console = serve.stop();
  EXPECT_NE(console.find("alarm raised: fan-0 (3 of its last 3 windows anomalous)\n"), std::string::npos) << console;
  EXPECT_NE(console.find("alarm cleared: fan-0 (3 of its last 5 windows normal)\n"), std::string::npos) << console;
  EXPECT_LT(console.find("alarm raised"), console.find("alarm cleared")) << console;
}

TEST(VerdictReply, ReadsServesReplyAndIgnoresCollects) {
  VerdictReply v;
  ASSERT_TRUE(verdict_reply_parse(
      "HTTP/1.1 200 OK\nContent-Type: application/json\n\n"
      "{\"device\":\"fan-1\",\"score\":812.5,\"threshold\":115.75,\"anomaly\":true,\"features\":[1,2]}\n",
      &v));
  EXPECT_EQ(verdict_reply_text(v), "score 812.5 (threshold 115.75): anomaly");
  ASSERT_TRUE(verdict_reply_parse("HTTP/1.1 200 OK\n\n{\"score\":null,\"anomaly\":false,\"baseline\":\"learning\"}", &v));
  EXPECT_EQ(verdict_reply_text(v), "score -: normal, baseline learning");
  EXPECT_FALSE(verdict_reply_parse("HTTP/1.1 200 OK\n\nstored 0042.csv\n", &v));
  EXPECT_FALSE(verdict_reply_parse("HTTP/1.1 200 OK\n\n{\"score\":1}\n", &v));  // no verdict in it
  EXPECT_FALSE(verdict_reply_parse("HTTP/1.1 200 OK\n\n{\"anomaly\":tru\n", &v));
}

TEST(FleetEventConsole, OneLinePerAlarmNoneForVerdicts) {
  FleetEvent e;
  e.device = "fan-1";
  EXPECT_EQ(fleet_event_console_line(e), "");
  e.kind = FleetEventKind::kAlarmRaised;
  e.anomalous = 3;
  e.of = 5;
  EXPECT_EQ(fleet_event_console_line(e), "alarm raised: fan-1 (3 of its last 5 windows anomalous)");
  e.kind = FleetEventKind::kAlarmCleared;
  e.anomalous = 1;
  EXPECT_EQ(fleet_event_console_line(e), "alarm cleared: fan-1 (4 of its last 5 windows normal)");
  e.reason = "baseline reset";
  EXPECT_EQ(fleet_event_console_line(e), "alarm cleared: fan-1 (baseline reset)");
}

}  // namespace
}  // namespace tinyad
