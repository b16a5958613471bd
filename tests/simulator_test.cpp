// simulator_test.cpp: the fan simulator is deterministic, looks like the
// sensor (quantised, 6 decimals), and its per-label statistics stay close to
// the real dataset's, as measured by numpy (tests/golden/ceiling_fan_stats.json,
// scripts/simulator/stats.py). The tolerances are those docs/simulator.md
// claims; a change to the model or its table that drifts past them fails here.
#include "simulator.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "cli_run.h"
#include "csv_reader.h"
#include "dataset.h"
#include "test_env.h"

namespace tinyad {
namespace {

constexpr double kPi = 3.14159265358979323846;

double median(std::vector<double> v) {
  const size_t n = v.size();
  std::sort(v.begin(), v.end());
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

// The statistics of scripts/simulator/stats.py, for one label's windows.
struct Stats {
  double mad[3], std[3], p80[3], p3_15[3];
};

Stats stats_of(const std::vector<std::vector<double>>& windows) {
  Stats s{};
  const size_t n = 200, head = 128;
  std::vector<double> hann(n);
  for (size_t i = 0; i < n; ++i) hann[i] = 0.5 - 0.5 * std::cos(2 * kPi * double(i) / double(n - 1));
  for (int a = 0; a < 3; ++a) {
    std::vector<double> mads, stds;
    double p80 = 0, p3_15 = 0;
    for (const auto& w : windows) {
      std::vector<double> col(n);
      for (size_t i = 0; i < n; ++i) col[i] = w[3 * i + size_t(a)];
      std::vector<double> h(col.begin(), col.begin() + head);
      const double med = median(h);
      for (double& v : h) v = std::fabs(v - med);
      mads.push_back(1.4826 * median(h));
      double mean = 0;
      for (double v : col) mean += v / double(n);
      double var = 0;
      for (double v : col) var += (v - mean) * (v - mean) / double(n);
      stds.push_back(std::sqrt(var));
      for (size_t k = 3; k <= 81; ++k) {
        if (k > 15 && k < 79) continue;
        double re = 0, im = 0;
        for (size_t i = 0; i < n; ++i) {
          const double x = (col[i] - mean) * hann[i];
          re += x * std::cos(2 * kPi * double(k * i) / double(n));
          im -= x * std::sin(2 * kPi * double(k * i) / double(n));
        }
        (k >= 79 ? p80 : p3_15) += (re * re + im * im) / double(windows.size());
      }
    }
    s.mad[a] = median(mads);
    s.std[a] = median(stds);
    s.p80[a] = p80;
    s.p3_15[a] = p3_15;
  }
  return s;
}

TEST(Simulator, SameSeedSameWindowsOtherSeedOthers) {
  const FanLabel* l = simulator_find_label("fan_0_med_1_weight");
  ASSERT_NE(l, nullptr);
  FanSimulator a(*l, 7), b(*l, 7), c(*l, 8);
  std::vector<double> wa, wb, wc;
  for (int i = 0; i < 3; ++i) {
    a.next_window(200, &wa);
    b.next_window(200, &wb);
    c.next_window(200, &wc);
    EXPECT_EQ(wa, wb);
    EXPECT_NE(wa, wc);
  }
}

TEST(Simulator, ReadingsLookLikeTheSensorsOutput) {
  FanSimulator sim(*simulator_find_label("fan_0_high_1_weight"), 1);
  std::vector<double> w;
  sim.next_window(200, &w);
  ASSERT_EQ(w.size(), 600u);
  for (double v : w) {
    // A multiple of 1/2048 g, then printed with 6 decimals as the firmware does.
    const double steps = std::round(v * 2048);
    EXPECT_NEAR(v, std::round(steps / 2048 * 1e6) / 1e6, 1e-12);
    EXPECT_LT(std::fabs(v), 4.0) << "within the +-4 g range";
  }
}

TEST(Simulator, LabelsFollowTheDatasetNames) {
  std::string err;
  EXPECT_EQ(simulator_label_name("low", 1, false, &err), "fan_0_low_1_weight");
  EXPECT_EQ(simulator_label_name("low", 0, true, &err), "fan_0_low_0_weight-moving");
  EXPECT_EQ(simulator_label_name("fast", 0, false, &err), "");
  EXPECT_NE(err.find("off, low, med or high"), std::string::npos);
  for (const char* s : {"off", "low", "med", "high"})
    for (int w : {0, 1}) EXPECT_NE(simulator_label_name(s, w, false, &err), "") << s << w << ": " << err;
  EXPECT_EQ(simulator_labels().size(), 9u);
}

TEST(Simulator, StatisticsMatchTheRealDataset) {
  std::ifstream f(test::source_path("tests/golden/ceiling_fan_stats.json"));
  ASSERT_TRUE(f) << "tests/golden/ceiling_fan_stats.json";
  const nlohmann::json real = nlohmann::json::parse(f);
  ASSERT_EQ(real.size(), 8u);
  for (const auto& [label, r] : real.items()) {
    const FanLabel* l = simulator_find_label(label);
    ASSERT_NE(l, nullptr) << label;
    FanSimulator sim(*l, 11);
    // The moved base changes the hum per axis only when it settles somewhere
    // new (a quarter of the windows): its averages need more windows.
    std::vector<std::vector<double>> windows(l->spread[0] > 0 ? 900 : 300);
    for (auto& w : windows) sim.next_window(200, &w);
    const Stats s = stats_of(windows);
    for (int a = 0; a < 3; ++a) {
      const std::string where = label + " axis " + "xyz"[a];
      // MAD is quantised in steps of 1.4826 / 2048 g: allow one step too.
      const double mad_real = r["mad"][a], std_real = r["std"][a];
      EXPECT_NEAR(s.mad[a], mad_real, 0.25 * mad_real + 0.00073) << where << " MAD";
      EXPECT_NEAR(s.std[a], std_real, 0.25 * std_real) << where << " RMS";
      const double p80 = r["p80"][a], p3 = r["p3_15"][a];
      if (label.find("_off_") == std::string::npos) {
        EXPECT_NEAR(std::log(s.p80[a] / p80), 0, std::log(1.35)) << where << " 80 Hz line: " << s.p80[a] << " vs "
                                                                 << p80;
      }
      EXPECT_NEAR(std::log(s.p3_15[a] / p3), 0, std::log(1.6)) << where << " 3-15 Hz: " << s.p3_15[a] << " vs " << p3;
    }
  }
}

TEST(Simulator, WritesTheDatasetLayout) {
  const std::filesystem::path dir =
      std::filesystem::path(::testing::TempDir()) / ("tinyad-sim-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  SimulateOptions opt;
  opt.out = dir.string();
  opt.windows = 3;
  opt.labels = {"fan_0_low_0_weight-moving", "fan_0_off_1_weight"};
  opt.progress = false;
  std::string err;
  ASSERT_TRUE(simulate_dataset(opt, &err)) << err;
  Dataset ds;
  ASSERT_TRUE(dataset_open(dir.string(), &ds, &err)) << err;
  EXPECT_EQ(ds.labels, (std::vector<std::string>{"fan_0_low_0_weight-moving", "fan_0_off_1_weight"}));
  std::vector<DatasetFile> files;
  ASSERT_TRUE(dataset_files(ds, ds.labels, &files, &err)) << err;
  ASSERT_EQ(files.size(), 6u);
  EXPECT_EQ(files[2].name, "0002.csv");
  std::vector<double> rows;
  ASSERT_TRUE(csv_read_window(files[0].path, &rows, &err)) << err;
  EXPECT_EQ(rows.size(), 600u);
  opt.labels = {"fan_0_fast_0_weight"};
  EXPECT_FALSE(simulate_dataset(opt, &err));
  EXPECT_NE(err.find("no label"), std::string::npos) << err;
  std::filesystem::remove_all(dir);
}

// The quick start on a fresh machine: no --data, no TINYAD_DATA, so `demo`
// simulates the fan and runs the whole pipeline on it.
TEST(Simulator, DemoRunsWithoutRecordings) {
  const std::filesystem::path dir =
      std::filesystem::path(::testing::TempDir()) / ("tinyad-demo-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  const char* data = std::getenv("TINYAD_DATA");
  const std::string saved = data ? data : "";
  ::unsetenv("TINYAD_DATA");  // the child inherits the environment
  const test::CliRun r = test::tinyad("demo -o " + dir.string());
  if (data) ::setenv("TINYAD_DATA", saved.c_str(), 1);
  EXPECT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("simulated 300 windows per label"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("fan_0_low_1_weight"), std::string::npos) << r.out;
  EXPECT_TRUE(std::filesystem::exists(dir / "default.json")) << r.out;
  EXPECT_TRUE(std::filesystem::exists(dir / "simulated-data" / "fan_0_low_0_weight-moving" / "0299.csv"));
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace tinyad
