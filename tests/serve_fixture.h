// serve_fixture.h: what the `tinyad serve` tests share (serve, mqtt,
// dashboard, baselines): a suite fixture that simulates a small dataset with
// the real `tinyad simulate` and trains a model on it with `tinyad train`,
// once per suite; the reference verdict (`tinyad score --json`) of a window;
// requests for calling a handler in-process; and reading one sample out of
// /metrics text. Avoids: scoring anything itself, so the expected values come
// from the CLI, not from the code under test being called a second way.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "cli_run.h"
#include "csv_reader.h"
#include "http_request.h"
#include "sample_json.h"

namespace tinyad::test {

/// The simulator's labels the fixture uses: a normal fan and a faulty one.
inline constexpr const char* kNormal = "fan_0_low_0_weight";
inline constexpr const char* kFault = "fan_0_high_1_weight";

/// What SimulatedModelTest makes for a suite.
struct SimulatedModelOptions {
  const char* name;          // temp folder prefix (the pid is appended)
  int windows;               // `simulate -n`: windows per label
  int seed;                  // `simulate --seed`
  bool autoencoder = false;  // also train ae.json (`--detector autoencoder --epochs 20`, normal windows only)
};

/// A suite fixture: in SetUpTestSuite, `tinyad simulate` writes data/<label>/NNNN.csv
/// for kNormal and kFault into a fresh temp folder and `tinyad train` fits model.json
/// (Mahalanobis, kNormal against kFault) there; TearDownTestSuite removes it. `Suite`
/// (the deriving fixture, CRTP so each suite has its own folder) provides
/// `static constexpr SimulatedModelOptions kSimulated`.
template <class Suite>
class SimulatedModelTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    const SimulatedModelOptions o = Suite::kSimulated;
    dir_ = std::filesystem::temp_directory_path() / (std::string(o.name) + "-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    const std::string data = (dir_ / "data").string();
    CliRun s = tinyad("simulate -o " + data + " --labels " + kNormal + "," + kFault + " -n " +
                      std::to_string(o.windows) + " --seed " + std::to_string(o.seed));
    ASSERT_EQ(s.status, 0) << s.err;
    CliRun t = tinyad("train --data " + data + " --normal " + kNormal + " --anomaly " + kFault + " -o " +
                      path("model.json"));
    ASSERT_EQ(t.status, 0) << t.err;
    if (o.autoencoder) {
      t = tinyad("train --detector autoencoder --epochs 20 --data " + data + " --normal " + kNormal + " -o " +
                 path("ae.json"));
      ASSERT_EQ(t.status, 0) << t.err;
    }
  }
  static void TearDownTestSuite() { std::filesystem::remove_all(dir_); }

  /// A file in the suite's folder (model.json, ae.json, or one a test writes).
  static std::string path(const std::string& name) { return (dir_ / name).string(); }
  /// Window `i` of `label`: data/<label>/NNNN.csv.
  static std::string window(const char* label, int i) {
    char name[16];
    std::snprintf(name, sizeof name, "%04d.csv", i);
    return (dir_ / "data" / label / name).string();
  }
  /// A window file's readings, x y z per row.
  static std::vector<double> rows_of(const std::string& file) {
    std::vector<double> rows;
    std::string err;
    EXPECT_TRUE(csv_read_window(file, &rows, &err)) << err;
    return rows;
  }
  /// The firmware's JSON body of one window file.
  static std::string body(const std::string& file) { return sample_json_format(rows_of(file)); }
  /// `tinyad score --json` on one file: the reference verdict.
  static nlohmann::json reference(const std::string& file, const std::string& model = "model.json") {
    CliRun r = tinyad("score --json --model " + path(model) + " " + file);
    EXPECT_EQ(r.status, 0) << r.err;
    return nlohmann::json::parse(r.out);
  }

 private:
  static inline std::filesystem::path dir_;
};

/// A request as the server hands it to a handler (for calling handle() with no sockets).
/// A POST with a body says Content-Type: application/json, as the firmware
/// does, unless `headers` names a content-type (or "content-type" with "").
inline HttpRequest request(const std::string& method, const std::string& target, const std::string& body = "",
                           std::vector<std::pair<std::string, std::string>> headers = {}) {
  HttpRequest r;
  r.method = method;
  r.target = target;
  r.body = body;
  bool typed = false;
  for (const auto& [k, v] : headers) typed = typed || k == "content-type";
  if (method == "POST" && !body.empty() && !typed) headers.emplace_back("content-type", "application/json");
  std::erase_if(headers, [](const auto& h) { return h.first == "content-type" && h.second.empty(); });
  r.headers = std::move(headers);
  return r;
}

/// The value of an unlabelled or labelled sample line in Prometheus text
/// (`name` includes the labels); a test failure and -1 when there is none.
inline double metric(const std::string& text, const std::string& name) {
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(name + " ", 0) == 0) return std::strtod(line.c_str() + name.size() + 1, nullptr);
  }
  ADD_FAILURE() << "no sample " << name << " in\n" << text;
  return -1;
}

}  // namespace tinyad::test
