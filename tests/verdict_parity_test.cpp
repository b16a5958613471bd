// verdict_parity_test.cpp: on the real recordings, every way tinyad judges a
// window gives the same score bits and the same verdict: `tinyad score`,
// eval (in-process per window, and `tinyad eval --json`'s flagged counts),
// serve (InferenceService, as an HTTP POST is handled) and the exported C
// header (compiled here as C99 with the host compiler: its
// tinyad_model_anomalous_d() on the host's scores, and the test-window
// verdicts it ships). All of them must agree with verdict.h's judge(), for
// both detectors. What it avoids: re-deriving scores itself; the reference
// is the CLI's `score --json`.
#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "cli_run.h"
#include "csv_reader.h"
#include "eval.h"
#include "inference_service.h"
#include "model.h"
#include "sample_json.h"
#include "serve_fixture.h"
#include "test_env.h"
#include "verdict.h"

namespace tinyad {
namespace {

namespace fs = std::filesystem;
using test::CliRun;

constexpr const char* kNormalLabel = "fan_0_low_0_weight";
constexpr const char* kAnomalyLabel = "fan_0_high_1_weight";
constexpr size_t kPerLabel = 12;  // windows of each label judged every way

uint64_t bits(double v) { return std::bit_cast<uint64_t>(v); }

struct Scored {
  std::string file;   // path of the CSV window
  std::string label;
  double score = 0;
  bool anomaly = false;
};

// `tinyad score --json` on the files, one result per file, in order.
std::vector<Scored> cli_scores(const std::string& model, const std::vector<std::pair<std::string, std::string>>& files) {
  std::string args = "score --json --model " + model;
  for (const auto& f : files) args += " " + f.first;
  const CliRun r = test::tinyad(args);
  EXPECT_EQ(r.status, 0) << r.err;
  std::vector<Scored> out;
  std::istringstream in(r.out);
  size_t k = 0;
  for (std::string line; std::getline(in, line) && k < files.size(); ++k) {
    const nlohmann::json j = nlohmann::json::parse(line);
    EXPECT_EQ(j.at("path").get<std::string>(), files[k].first);
    out.push_back({files[k].first, files[k].second, j.at("score").get<double>(), j.at("anomaly").get<bool>()});
  }
  EXPECT_EQ(out.size(), files.size()) << r.out;
  return out;
}

// Runs a shell command; its stdout.
std::string run_shell(const std::string& cmd, int* status) {
  std::string out;
  FILE* p = ::popen(cmd.c_str(), "r");
  char buf[4096];
  for (size_t n; (n = std::fread(buf, 1, sizeof buf, p)) > 0;) out.append(buf, n);
  const int st = ::pclose(p);
  *status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return out;
}

// A C99 program over the exported headers: for each score read from stdin
// (hex floats) the header's verdict; then, per shipped test window, its
// double score, the shipped host verdict and the header's verdict of it.
constexpr const char* kProbe = R"(#include <stdio.h>
#include "tinyad_model.h"
#include "tinyad_test_windows.h"
int main(void) {
  double s;
  int k;
  while (scanf("%la", &s) == 1) printf("in %d\n", tinyad_model_anomalous_d(s));
  for (k = 0; k < TINYAD_TEST_N_WINDOWS; ++k)
    printf("win %a %d %d\n", tinyad_test_score_d[k], (int)tinyad_test_anomaly[k],
           tinyad_model_anomalous_d(tinyad_test_score_d[k]));
  return 0;
}
)";

class VerdictParity : public ::testing::TestWithParam<const char*> {};

TEST_P(VerdictParity, ScoreEvalServeAndTheCHeaderAgree) {
  std::string root;
  TINYAD_REQUIRE_ENV_PATH("TINYAD_DATA", root);
  const std::string detector = GetParam();
  const fs::path dir = fs::temp_directory_path() / ("tinyad-verdict-" + detector + "-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string model_path = (dir / "model.json").string();

  // A default model (the autoencoder with few epochs: any weights do).
  std::string train = "train --data " + root + " --normal " + kNormalLabel + " -o " + model_path;
  if (detector != "mahalanobis") train += " --detector " + detector + " --epochs 30";
  const CliRun t = test::tinyad(train);
  ASSERT_EQ(t.status, 0) << t.err;
  Model model;
  std::string err;
  ASSERT_TRUE(model_load(model_path, &model, &err)) << err;
  ASSERT_STREQ(detector_name(model), detector.c_str());
  ASSERT_TRUE(model.split);

  // Held-out normal windows and anomalous ones, copied into a small dataset
  // for eval (file order kept: eval reports scores in it).
  std::vector<std::pair<std::string, std::string>> files;  // (path, label)
  for (const std::string& id : model.split->test) {
    if (files.size() == kPerLabel) break;
    files.push_back({root + "/" + id, kNormalLabel});
  }
  std::vector<fs::path> anomalies;
  for (const auto& e : fs::directory_iterator(fs::path(root) / kAnomalyLabel)) anomalies.push_back(e.path());
  std::sort(anomalies.begin(), anomalies.end());
  for (size_t i = 0; i < kPerLabel && i < anomalies.size(); ++i) files.push_back({anomalies[i].string(), kAnomalyLabel});
  ASSERT_EQ(files.size(), 2 * kPerLabel);
  const fs::path eval_dir = dir / "eval";
  for (const auto& [file, label] : files) {
    fs::create_directories(eval_dir / label);
    fs::copy_file(file, eval_dir / label / fs::path(file).filename());
  }

  // 1. `tinyad score`: the reference, and judge() of its scores.
  const std::vector<Scored> ref = cli_scores(model_path, files);
  ASSERT_EQ(ref.size(), files.size());
  std::map<std::string, size_t> flagged;
  size_t n_anomalous = 0;
  for (const Scored& s : ref) {
    EXPECT_EQ(s.anomaly, judge(s.score, model.threshold).anomaly) << s.file;
    flagged[s.label] += s.anomaly;
    n_anomalous += s.anomaly;
  }
  // Both verdicts occur, so agreeing on them means something.
  EXPECT_GT(n_anomalous, 0u);
  EXPECT_LT(n_anomalous, ref.size());

  // 2. eval in-process: per-window score bits, per-label flagged counts.
  EvalOptions eo;
  eo.data = eval_dir.string();
  eo.normal = {kNormalLabel};
  eo.anomaly = {kAnomalyLabel};
  eo.progress = false;
  EvalResult er;
  ASSERT_TRUE(eval_run(model, eo, &er, &err)) << err;
  ASSERT_EQ(er.per_label.size(), 2u);
  size_t k = 0;
  for (const LabelResult& l : er.per_label) {
    ASSERT_EQ(l.scores.size(), kPerLabel) << l.label;
    for (double s : l.scores) {
      EXPECT_EQ(bits(s), bits(ref[k].score)) << ref[k].file << ": eval " << s << ", score " << ref[k].score;
      EXPECT_EQ(l.label, ref[k].label);
      ++k;
    }
    EXPECT_EQ(l.flagged, flagged[l.label]) << l.label;
  }
  //    and `tinyad eval --json`, as a user runs it.
  const CliRun ev = test::tinyad("eval --json --model " + model_path + " --data " + eval_dir.string() + " --normal " +
                                 kNormalLabel + " --anomaly " + kAnomalyLabel);
  ASSERT_EQ(ev.status, 0) << ev.err;
  const nlohmann::json ej = nlohmann::json::parse(ev.out);
  for (const char* label : {kNormalLabel, kAnomalyLabel})
    EXPECT_EQ(ej.at("per_label").at(label).at("flagged").get<size_t>(), flagged[label]) << label;

  // 3. serve: the verdict of each window posted as a device would.
  InferenceService svc(model, {});
  svc.set_ready(true);
  for (const Scored& s : ref) {
    std::vector<double> rows;
    ASSERT_TRUE(csv_read_window(s.file, &rows, &err)) << err;
    const HttpResponse r = svc.handle(test::request("POST", "/", sample_json_format(rows), {{"x-device-id", "parity"}}),
                                      HttpPeer{"127.0.0.1:1"});
    ASSERT_EQ(r.status, 200) << r.body;
    const nlohmann::json v = nlohmann::json::parse(r.body);
    EXPECT_EQ(bits(v.at("score").get<double>()), bits(s.score)) << s.file;
    EXPECT_EQ(v.at("anomaly").get<bool>(), s.anomaly) << s.file;
  }

  // 4. The exported C header, compiled as C99: its verdict of the host's
  //    scores, and the verdicts it ships for its own test windows.
  const fs::path c_dir = dir / "c";
  const CliRun ex = test::tinyad("export " + model_path + " " + c_dir.string() + " --to c --windows 4 --anomaly " +
                                 kAnomalyLabel + " --no-tflite");
  ASSERT_EQ(ex.status, 0) << ex.err;
  std::ofstream(dir / "probe.c") << kProbe;
  const std::string exe = (dir / "probe").string();
  int status = 0;
  const std::string cc_out = run_shell(
      "cc -std=c99 -pedantic -Wall -Wextra -Wdouble-promotion -Wfloat-conversion -Wno-unused-const-variable -Werror "
      "-I" + test::source_path("core") + " -I" + c_dir.string() + " " + (dir / "probe.c").string() + " -o " + exe +
          " 2>&1",
      &status);
  ASSERT_EQ(status, 0) << cc_out;
  std::string input;
  for (const Scored& s : ref) {
    char hex[40];
    std::snprintf(hex, sizeof hex, "%a\n", s.score);
    input += hex;
  }
  std::ofstream(dir / "scores.txt") << input;
  const std::string probe = run_shell(exe + " < " + (dir / "scores.txt").string(), &status);
  ASSERT_EQ(status, 0);
  std::istringstream lines(probe);
  std::vector<int> header_verdicts;
  std::vector<std::pair<double, int>> shipped;  // (double score, host verdict in the header)
  for (std::string line; std::getline(lines, line);) {
    std::istringstream f(line);
    std::string tag;
    f >> tag;
    if (tag == "in") {
      int v = -1;
      f >> v;
      header_verdicts.push_back(v);
    } else if (tag == "win") {
      std::string hex;
      int host = -1, header = -1;
      f >> hex >> host >> header;
      EXPECT_EQ(host, header) << line;  // the header's rule gives the verdicts the header ships
      shipped.push_back({std::strtod(hex.c_str(), nullptr), host});
    }
  }
  ASSERT_EQ(header_verdicts.size(), ref.size()) << probe;
  for (size_t i = 0; i < ref.size(); ++i) EXPECT_EQ(header_verdicts[i] != 0, ref[i].anomaly) << ref[i].file;

  //    The shipped windows, scored by `tinyad score`: same bits, same verdicts.
  std::ifstream tw(c_dir / "tinyad_test_windows.h");
  const std::string windows_h((std::istreambuf_iterator<char>(tw)), std::istreambuf_iterator<char>());
  const std::regex id_re(R"(([A-Za-z0-9_.-]+/[0-9]+\.csv))");
  std::vector<std::pair<std::string, std::string>> shipped_files;
  for (auto it = std::sregex_iterator(windows_h.begin(), windows_h.end(), id_re); it != std::sregex_iterator(); ++it) {
    const std::string id = (*it)[1];
    if (shipped_files.size() < shipped.size()) shipped_files.push_back({root + "/" + id, id.substr(0, id.find('/'))});
  }
  ASSERT_EQ(shipped_files.size(), shipped.size()) << "window ids in tinyad_test_windows.h";
  ASSERT_EQ(shipped.size(), 8u);  // 4 normal + 4 anomalous
  const std::vector<Scored> shipped_ref = cli_scores(model_path, shipped_files);
  ASSERT_EQ(shipped_ref.size(), shipped.size());
  for (size_t i = 0; i < shipped.size(); ++i) {
    EXPECT_EQ(bits(shipped[i].first), bits(shipped_ref[i].score)) << shipped_ref[i].file;
    EXPECT_EQ(shipped[i].second != 0, shipped_ref[i].anomaly) << shipped_ref[i].file;
  }
  fs::remove_all(dir);
}

INSTANTIATE_TEST_SUITE_P(BothDetectors, VerdictParity, ::testing::Values("mahalanobis", "autoencoder"));

}  // namespace
}  // namespace tinyad
