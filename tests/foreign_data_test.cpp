// foreign_data_test.cpp: data from other loggers (docs/foreign-data.md):
// every file kind window_file.h reads, long files cut into windows keyed
// label/file#k and split by file (not by window), unknown files named, the
// recipe's rate and window, and
// (ForeignDataCli, a process suite) a 50 Hz set trained and evaluated end to end.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <sstream>

#include "cli_run.h"
#include "dataset_load.h"
#include "recipe.h"
#include "split.h"
#include "train.h"
#include "window_features.h"
#include "window_file.h"

namespace fs = std::filesystem;
using tinyad::WindowFileInfo;
using tinyad::WindowReadOptions;

namespace {

class ForeignData : public testing::Test {
 protected:
  void SetUp() override {
    const auto* info = testing::UnitTest::GetInstance()->current_test_info();
    root_ = fs::path(testing::TempDir()) / ("tinyad_foreign_" + std::to_string(::getpid()) + "_" + info->name());
    fs::remove_all(root_);
    fs::create_directories(root_);
  }
  void TearDown() override { fs::remove_all(root_); }

  // Training options for the label's windows of 64 rows.
  tinyad::TrainOptions train_options(const std::string& normal, uint64_t seed) const {
    tinyad::TrainOptions opt;
    opt.data = root_.string();
    opt.window = 64;
    opt.seed = seed;
    opt.progress = false;
    opt.normal = {normal};
    return opt;
  }
  // What eval would score of the label (the model's split excluded) is
  // exactly the split's test windows.
  void expect_eval_scores_only_the_test_windows(const tinyad::Model& model, const std::string& label) {
    tinyad::LoadedDataset l;
    ASSERT_TRUE(tinyad::dataset_load(root_.string(), {label}, model.recipe.core,
                                     tinyad::selection_excluding(*model.split), {}, &l, &err_))
        << err_;
    std::vector<std::string> left;
    for (const auto& f : l.table.files) left.push_back(f.id());
    std::vector<std::string> test = model.split->test;
    std::sort(test.begin(), test.end());
    std::sort(left.begin(), left.end());
    EXPECT_EQ(left, test);
  }
  std::string write(const std::string& rel, const std::string& text) {
    const fs::path p = root_ / rel;
    fs::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << text;
    return p.string();
  }
  // Reads `text` stored as `name`; the error goes to err_.
  bool read(const std::string& name, const std::string& text, std::vector<double>* rows,
            const WindowReadOptions& opt = {}) {
    WindowFileInfo info;
    return tinyad::window_file_read(write(name, text), opt, rows, &info, &err_);
  }
  fs::path root_;
  std::string err_;
};

const std::vector<double> kTwoRows = {0.5, -0.25, 1, 0.125, 0.75, -1};

TEST_F(ForeignData, HeaderRowIsSkipped) {
  std::vector<double> rows;
  ASSERT_TRUE(read("a.csv", "x,y,z\n0.5,-0.25,1\n0.125,0.75,-1\n", &rows)) << err_;
  EXPECT_EQ(rows, kTwoRows);
}

TEST_F(ForeignData, LeadingTimestampOrIndexColumnIsLeftOut) {
  std::vector<double> rows;
  ASSERT_TRUE(read("a.csv", "timestamp,accX,accY,accZ\n0,0.5,-0.25,1\n20,0.125,0.75,-1\n", &rows)) << err_;
  EXPECT_EQ(rows, kTwoRows);
  // An ISO time stamp is no number: no header needed to tell it apart.
  ASSERT_TRUE(read("b.csv", "2024-05-01T10:00:00.000,0.5,-0.25,1\n2024-05-01T10:00:00.020,0.125,0.75,-1\n", &rows))
      << err_;
  EXPECT_EQ(rows, kTwoRows);
}

TEST_F(ForeignData, SemicolonWithDecimalCommaAndTabSeparators) {
  std::vector<double> rows;
  ASSERT_TRUE(read("a.csv", "x;y;z\r\n0,5;-0,25;1\r\n0,125;0,75;-1\r\n", &rows)) << err_;
  EXPECT_EQ(rows, kTwoRows);
  ASSERT_TRUE(read("b.tsv", "0.5\t-0.25\t1\n0.125\t0.75\t-1\n", &rows)) << err_;
  EXPECT_EQ(rows, kTwoRows);
}

TEST_F(ForeignData, ColumnsPickTheAxesByNameOrNumber) {
  const std::string text = "t;X;Y;Z;temp\n0;0,5;-0,25;1;21\n1;0,125;0,75;-1;21\n";
  std::vector<double> rows;
  WindowReadOptions by_name;
  by_name.columns = {"x", "y", "z"};  // names match case-insensitively
  ASSERT_TRUE(read("a.csv", text, &rows, by_name)) << err_;
  EXPECT_EQ(rows, kTwoRows);
  WindowReadOptions by_number;
  by_number.columns = {"2", "3", "4"};
  ASSERT_TRUE(read("b.csv", text, &rows, by_number)) << err_;
  EXPECT_EQ(rows, kTwoRows);
  // Without --columns the last three (Y, Z, temp) are taken: a visible choice.
  ASSERT_TRUE(read("c.csv", text, &rows)) << err_;
  EXPECT_EQ(rows[2], 21);
  WindowReadOptions missing;
  missing.columns = {"x", "y", "w"};
  EXPECT_FALSE(read("d.csv", text, &rows, missing));
  EXPECT_NE(err_.find("d.csv:1: no column 'w' (columns: t, X, Y, Z, temp)"), std::string::npos) << err_;
}

TEST_F(ForeignData, FewerThanThreeAxesIsAClearErrorWithFileAndLine) {
  std::vector<double> rows;
  EXPECT_FALSE(read("a.csv", "x;y\n1;2\n", &rows));
  EXPECT_NE(err_.find("a.csv:1: expected at least 3 columns (x, y, z), got 2"), std::string::npos) << err_;
  EXPECT_FALSE(read("b.csv", "0.1,0.2,0.3\n0.1,0.2\n", &rows));  // the firmware's form: its own reader's message
  EXPECT_NE(err_.find("b.csv:2: expected 3 columns (x, y, z), got 2"), std::string::npos) << err_;
  EXPECT_FALSE(read("c.json", R"({"payload":{"interval_ms":5,"sensors":[{"name":"a"},{"name":"b"}],"values":[[1,2]]}})",
                    &rows));
  EXPECT_NE(err_.find("c.json: expected at least 3 sensors (x, y, z) in payload.sensors, got 2"), std::string::npos)
      << err_;
}

TEST_F(ForeignData, FirmwareJsonWindow) {
  std::vector<double> rows;
  ASSERT_TRUE(read("a.json", R"({"device":"fan-1","x":[0.5,0.125],"y":[-0.25,0.75],"z":[1,-1]})", &rows)) << err_;
  EXPECT_EQ(rows, kTwoRows);
  EXPECT_FALSE(read("b.json", R"({"x":[0.5],"y":[1,2],"z":[1]})", &rows));
  EXPECT_NE(err_.find("b.json: "), std::string::npos) << err_;
}

TEST_F(ForeignData, EdgeImpulseDataAcquisitionJson) {
  // The public format: payload.interval_ms, payload.sensors, payload.values
  // (one row per reading). m/s2 becomes g; the interval gives the rate.
  const double g = 9.80665;
  nlohmann::json doc = {{"protected", {{"ver", "v1"}, {"alg", "none"}}},
                        {"signature", "0"},
                        {"payload",
                         {{"device_type", "TEST"},
                          {"interval_ms", 20},
                          {"sensors",
                           {{{"name", "accX"}, {"units", "m/s2"}},
                            {{"name", "accY"}, {"units", "m/s2"}},
                            {{"name", "accZ"}, {"units", "m/s2"}},
                            {{"name", "gyrX"}, {"units", "dps"}}}},
                          {"values", {{0.5 * g, -0.25 * g, 1 * g, 7}, {0.125 * g, 0.75 * g, -1 * g, 7}}}}}};
  std::vector<double> rows;
  WindowFileInfo info;
  ASSERT_TRUE(tinyad::window_file_read(write("a.json", doc.dump()), {}, &rows, &info, &err_)) << err_;
  ASSERT_EQ(rows.size(), 6u);
  for (size_t i = 0; i < 6; ++i) EXPECT_NEAR(rows[i], kTwoRows[i], 1e-15) << i;
  EXPECT_DOUBLE_EQ(info.rate_hz, 50.0);
  WindowReadOptions opt;
  opt.columns = {"accY", "accZ", "gyrX"};
  ASSERT_TRUE(tinyad::window_file_read(write("b.json", doc.dump()), opt, &rows, &info, &err_)) << err_;
  EXPECT_EQ(rows[2], 7);  // dps: not scaled
}

tinyad::Recipe default_at(double rate, int window) {
  tinyad::Recipe r;
  std::string err;
  EXPECT_TRUE(tinyad::recipe_named("default", &r, &err)) << err;
  EXPECT_TRUE(tinyad::recipe_set_rate_window(&r, rate, window, &err)) << err;
  return r;
}

std::string ramp(size_t n_rows) {
  std::string s;
  for (size_t i = 0; i < n_rows; ++i) {
    const double t = double(i);
    s += std::to_string(0.1 * std::sin(0.7 * t)) + ", " + std::to_string(0.05 * std::cos(1.3 * t)) + ", " +
         std::to_string(1 + 0.02 * std::sin(2.9 * t + 0.001 * t * t)) + "\n";
  }
  return s;
}

TEST_F(ForeignData, LongFileIsCutIntoWholeWindowsKeyedPerWindow) {
  const tinyad::Recipe recipe = default_at(200, 64);
  write("normal/long.csv", ramp(64 * 2 + 30));  // two whole windows, 30 rows left over
  write("normal/one.csv", ramp(100));           // one window: keeps its file id
  write("normal/short.csv", ramp(50));          // too short: skipped with the reason
  tinyad::LoadedDataset l;
  tinyad::DatasetLoadOptions opt;
  opt.keep_readings = true;
  ASSERT_TRUE(tinyad::dataset_load(root_.string(), {"normal"}, recipe.core, tinyad::selection_all(), opt, &l, &err_))
      << err_;
  ASSERT_EQ(l.table.files.size(), 3u);
  EXPECT_EQ(l.table.files[0].id(), "normal/long.csv#0");
  EXPECT_EQ(l.table.files[1].id(), "normal/long.csv#1");
  EXPECT_EQ(l.table.files[2].id(), "normal/one.csv");
  ASSERT_EQ(l.table.notes.size(), 1u);
  EXPECT_EQ(l.table.notes[0], "1 files longer than 64 rows were cut into 2 windows");
  ASSERT_EQ(l.table.skipped.size(), 1u);
  EXPECT_NE(l.table.skipped[0].find("short.csv: 50 rows, the recipe needs at least 64"), std::string::npos);
  // Window k is rows [64k, 64k + 64) of the file: the features of that slice.
  std::vector<double> all, f;
  WindowFileInfo info;
  ASSERT_TRUE(tinyad::window_file_read((root_ / "normal/long.csv").string(), {}, &all, &info, &err_));
  for (int k = 0; k < 2; ++k) {
    const std::vector<double> part(all.begin() + 192 * k, all.begin() + 192 * (k + 1));
    EXPECT_EQ(l.table.readings[size_t(k)], part);
    ASSERT_TRUE(tinyad::window_features(recipe.core, part, "p", &f, &err_)) << err_;
    for (size_t j = 0; j < f.size(); ++j) EXPECT_EQ(l.table.X(k, Eigen::Index(j)), f[j]) << k << " " << j;
  }
  // A split lists windows: asking for window 1 reads only that one.
  ASSERT_TRUE(tinyad::dataset_load(root_.string(), {"normal"}, recipe.core,
                                   tinyad::selection_only({"normal/long.csv#1"}), {}, &l, &err_))
      << err_;
  ASSERT_EQ(l.table.files.size(), 1u);
  EXPECT_EQ(l.table.files[0].id(), "normal/long.csv#1");
}

// A file of n_rows noisy readings, different per seed (a separate recording).
std::string noisy(size_t n_rows, unsigned seed) {
  std::mt19937 gen(seed);
  std::normal_distribution<double> noise(0.0, 0.05);
  std::string s;
  for (size_t i = 0; i < n_rows; ++i) {
    const double t = double(i);
    s += std::to_string(0.1 * std::sin(0.7 * t) + noise(gen)) + ", " + std::to_string(noise(gen)) + ", " +
         std::to_string(1 + noise(gen)) + "\n";
  }
  return s;
}

// The split deals out groups: one-item groups reproduce split_make exactly
// (same order too); bigger groups land whole in one part.
TEST(SplitByFile, OneItemGroupsAreSplitMakeAndGroupsStayWhole) {
  for (size_t n : {1u, 7u, 10u, 63u, 200u}) {
    for (uint64_t seed : {0u, 1u, 42u}) {
      std::vector<std::string> groups;
      for (size_t i = 0; i < n; ++i) groups.push_back("l/" + std::to_string(i) + ".csv");
      const tinyad::Split a = tinyad::split_make(n, seed), b = tinyad::split_make_grouped(groups, seed);
      EXPECT_EQ(a.train, b.train) << n << " " << seed;
      EXPECT_EQ(a.validation, b.validation) << n << " " << seed;
      EXPECT_EQ(a.test, b.test) << n << " " << seed;
    }
  }
  std::vector<std::string> groups;  // 20 files of 5 windows, interleaved to show order does not matter
  for (size_t k = 0; k < 5; ++k)
    for (size_t f = 0; f < 20; ++f) groups.push_back("l/" + std::to_string(f) + ".csv");
  const tinyad::Split s = tinyad::split_make_grouped(groups, 7);
  std::map<std::string, std::set<int>> parts;
  std::vector<size_t> all;
  const std::vector<size_t>* lists[3] = {&s.train, &s.validation, &s.test};
  for (int p = 0; p < 3; ++p)
    for (size_t i : *lists[p]) {
      parts[groups[i]].insert(p);
      all.push_back(i);
    }
  std::sort(all.begin(), all.end());
  ASSERT_EQ(all.size(), groups.size());
  for (size_t i = 0; i < all.size(); ++i) EXPECT_EQ(all[i], i);
  for (const auto& [g, p] : parts) EXPECT_EQ(p.size(), 1u) << g << " is in several parts";
  EXPECT_EQ(s.validation.size(), 4u * 5);  // 20 % of the 20 files, with all their windows
  EXPECT_EQ(s.test.size(), 4u * 5);
}

// Trained on long recordings, no file has windows in two parts of the split,
// and eval's exclusion (selection_excluding) leaves exactly the test windows.
// A set of one-window files keeps the split it had before: split_make over
// its files in order.
TEST_F(ForeignData, TrainSplitsByFileAndEvalExcludesTheUsedWindows) {
  for (unsigned f = 0; f < 12; ++f) {
    char name[32];
    std::snprintf(name, sizeof name, "long/%04u.csv", f);
    write(name, noisy(64 * 5 + 10, f));  // five whole windows each
    std::snprintf(name, sizeof name, "short/%04u.csv", f);
    write(name, noisy(64, 100 + f));  // one window each
  }
  tinyad::TrainOptions opt = train_options("long", 5);
  tinyad::TrainResult r;
  ASSERT_TRUE(tinyad::train_run(opt, &r, &err_)) << err_;
  const tinyad::ModelSplit& ms = *r.model.split;
  std::map<std::string, std::set<int>> parts;
  const std::vector<std::string>* lists[3] = {&ms.train, &ms.validation, &ms.test};
  for (int p = 0; p < 3; ++p)
    for (const std::string& id : *lists[p]) parts[id.substr(0, id.rfind('#'))].insert(p);
  ASSERT_EQ(parts.size(), 12u);
  for (const auto& [file, p] : parts) EXPECT_EQ(p.size(), 1u) << file << " has windows in several parts";
  EXPECT_EQ(ms.train.size() + ms.validation.size() + ms.test.size(), 60u);
  EXPECT_EQ(ms.test.size(), 2u * 5);  // 20 % of 12 files, rounded down, with their five windows

  expect_eval_scores_only_the_test_windows(r.model, "long");

  opt.normal = {"short"};
  ASSERT_TRUE(tinyad::train_run(opt, &r, &err_)) << err_;
  const tinyad::Split before = tinyad::split_make(12, opt.seed);
  auto ids = [](const std::vector<size_t>& idx) {
    std::vector<std::string> v;
    for (size_t i : idx) {
      char name[32];
      std::snprintf(name, sizeof name, "short/%04zu.csv", i);
      v.push_back(name);
    }
    std::sort(v.begin(), v.end());
    return v;
  };
  EXPECT_EQ(r.model.split->train, ids(before.train));
  EXPECT_EQ(r.model.split->validation, ids(before.validation));
  EXPECT_EQ(r.model.split->test, ids(before.test));
}

// Units of the split: enough files, the files; few long files, stretches
// of consecutive windows, ceil(10 / files) per file.
TEST(SplitByFile, FewFilesAreCutIntoStretchesOfConsecutiveWindows) {
  std::vector<tinyad::DatasetFile> windows;
  for (int f = 0; f < 3; ++f)
    for (int k = 0; k < 40; ++k) windows.push_back({"long", "rec" + std::to_string(f) + ".csv", "", k});
  const std::vector<std::string> units = tinyad::contiguous_units(windows, 10);
  ASSERT_EQ(units.size(), windows.size());
  for (size_t i = 0; i < units.size(); ++i)  // 4 stretches of 10 windows per file
    EXPECT_EQ(units[i], windows[i].file_id() + "@" + std::to_string((i % 40) / 10)) << i;
  std::vector<tinyad::DatasetFile> many;
  for (int f = 0; f < 10; ++f) many.push_back({"l", std::to_string(f) + ".csv", "", -1});
  const std::vector<std::string> same = tinyad::contiguous_units(many, 10);
  for (size_t i = 0; i < many.size(); ++i) EXPECT_EQ(same[i], many[i].file_id());
}

// Three long recordings (before: refused, the split needed 5 files): the
// split deals stretches, each test stretch is consecutive windows, and eval
// leaves out exactly the training and validation windows.
TEST_F(ForeignData, FewLongFilesTrainOnStretches) {
  for (unsigned f = 0; f < 3; ++f) write("long/rec" + std::to_string(f) + ".csv", noisy(64 * 40, 7 + f));
  tinyad::TrainResult r;
  ASSERT_TRUE(tinyad::train_run(train_options("long", 2), &r, &err_)) << err_;
  const tinyad::ModelSplit& ms = *r.model.split;
  EXPECT_EQ(ms.train.size() + ms.validation.size() + ms.test.size(), 120u);
  EXPECT_EQ(ms.test.size(), 2u * 10);  // 20 % of 12 stretches of 10 windows
  std::map<std::string, std::set<int>> parts;  // stretch -> parts holding its windows
  const std::vector<std::string>* lists[3] = {&ms.train, &ms.validation, &ms.test};
  for (int p = 0; p < 3; ++p)
    for (const std::string& id : *lists[p]) {
      const size_t hash = id.rfind('#');
      parts[id.substr(0, hash) + "@" + std::to_string(std::stoi(id.substr(hash + 1)) / 10)].insert(p);
    }
  ASSERT_EQ(parts.size(), 12u);
  for (const auto& [stretch, p] : parts) EXPECT_EQ(p.size(), 1u) << stretch << " has windows in several parts";

  expect_eval_scores_only_the_test_windows(r.model, "long");
}

TEST_F(ForeignData, UnknownFilesAreNamed) {
  const tinyad::Recipe recipe = default_at(200, 64);
  write("normal/0000.csv", ramp(64));
  write("normal/readme.pdf", "%PDF");
  write("normal/.0001.csv.tmp-abc", "");  // a writer's temporary file: hidden, not data
  write("other/capture.bin", "\x01\x02");
  tinyad::LoadedDataset l;
  ASSERT_TRUE(
      tinyad::dataset_load(root_.string(), {"normal"}, recipe.core, tinyad::selection_all(), {}, &l, &err_))
      << err_;
  EXPECT_EQ(l.table.files.size(), 1u);
  ASSERT_EQ(l.table.warnings.size(), 1u);
  EXPECT_EQ(l.table.warnings[0], "normal/readme.pdf: not a window file (tinyad reads .csv, .tsv and .json); left out");
  // Nothing readable: the error says why, naming the file.
  EXPECT_FALSE(
      tinyad::dataset_load(root_.string(), {"other"}, recipe.core, tinyad::selection_all(), {}, &l, &err_));
  EXPECT_NE(err_.find("other: no CSV files (nor .tsv or .json); 1 of an unknown kind, e.g. other/capture.bin"),
            std::string::npos)
      << err_;
}

TEST_F(ForeignData, EdgeImpulseRateThatIsNotTheModelsIsWarnedAbout) {
  const tinyad::Recipe recipe = default_at(200, 64);
  nlohmann::json values = nlohmann::json::array();
  for (int i = 0; i < 64; ++i) values.push_back({0.01 * i, 0.02 * std::sin(i), 1.0 + 0.001 * (i % 7)});
  const nlohmann::json doc = {
      {"payload",
       {{"interval_ms", 20}, {"sensors", {{{"name", "x"}}, {{"name", "y"}}, {{"name", "z"}}}}, {"values", values}}}};
  write("normal/a.json", doc.dump());
  tinyad::LoadedDataset l;
  ASSERT_TRUE(
      tinyad::dataset_load(root_.string(), {"normal"}, recipe.core, tinyad::selection_all(), {}, &l, &err_))
      << err_;
  ASSERT_EQ(l.table.warnings.size(), 1u);
  EXPECT_NE(l.table.warnings[0].find("a.json states 50 Hz, but the model's rate is 200 Hz"), std::string::npos)
      << l.table.warnings[0];
}

TEST(ForeignRecipe, BandsAreDefinedInHz) {
  // 200 Hz, 200 rows: bins 1 + 8 b, exactly the recipe's historical layout.
  const tinyad::Recipe at200 = default_at(200, 200);
  ASSERT_EQ(at200.core.n_bands, 16);
  for (int b = 0; b <= 16; ++b) EXPECT_EQ(at200.core.band_edges[b], 1 + 8 * b) << b;
  // 50 Hz, 200 rows: 0.1953 Hz a bin; 6.25 Hz bands from 0.78 Hz; those at or
  // above Nyquist (25 Hz) dropped, the fourth ends at Nyquist (bin 128, edge 129).
  const tinyad::Recipe at50 = default_at(50, 200);
  ASSERT_EQ(at50.core.n_bands, 4);
  const uint16_t want[] = {4, 36, 68, 100, 129};
  for (int b = 0; b <= 4; ++b) EXPECT_EQ(at50.core.band_edges[b], want[b]) << b;
  EXPECT_EQ(at50.core.rate_hz, 50);
  EXPECT_EQ(tinyad::recipe_feature_names(at50.core).size(), 12u + 12u);
  // Round trip through the model file; a file without a rate reads as 200 Hz.
  tinyad::Recipe back;
  std::string err;
  nlohmann::json j = tinyad::recipe_to_json(at50);
  ASSERT_TRUE(tinyad::recipe_from_json(j, &back, &err)) << err;
  EXPECT_EQ(back.core.rate_hz, 50);
  EXPECT_EQ(std::vector<uint16_t>(back.core.band_edges, back.core.band_edges + 5),
            std::vector<uint16_t>(want, want + 5));
  j = tinyad::recipe_to_json(at200);
  j.erase("rate_hz");
  j.erase("band_edges_hz");
  ASSERT_TRUE(tinyad::recipe_from_json(j, &back, &err)) << err;
  EXPECT_EQ(back.core.rate_hz, 200);
  // A window too short to tell 6.25 Hz bands apart is refused with the reason.
  tinyad::Recipe r;
  ASSERT_TRUE(tinyad::recipe_named("default", &r, &err));
  EXPECT_FALSE(tinyad::recipe_set_rate_window(&r, 200, 8, &err));
  EXPECT_NE(err.find("use a longer --window"), std::string::npos) << err;
}

// End to end at 50 Hz. The bar: the simulator's speed changes and fan-off
// move its strongest lines (rotation at 5.5/8.5/10.5 Hz, the hum folded to
// 20 Hz), which every 50 Hz band sees, so med/high/off windows must be
// flagged at >= 95 % with <= 5 % false alarms on the held-out normal
// windows (at 200 Hz the README reports >= 99 % for med/high). The coin
// (low_1) is not asked for: the issue says not to tune for it. Trained as if
// 200 Hz, the same files give band edges that mean other frequencies: the
// pooled detection must not be better.
TEST(ForeignDataCli, FiftyHzSetTrainsAndEvaluatesWithRate) {
  const fs::path dir = fs::path(testing::TempDir()) / ("tinyad_50hz_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  const std::string data = (dir / "data").string();
  const std::string normal = "fan_0_low_0_weight";
  const std::string anomaly = "fan_0_med_0_weight,fan_0_high_0_weight,fan_0_off_0_weight,fan_0_low_1_weight";
  auto run = tinyad::test::tinyad("simulate -o " + data + " --rate 50 -n 200 --seed 3 --labels " + normal + "," +
                                  anomaly);
  ASSERT_EQ(run.status, 0) << run.err;
  EXPECT_NE(run.out.find("at 50 Hz"), std::string::npos) << run.out;
  nlohmann::json result[2];
  const char* rates[2] = {"50", "200"};
  for (int i = 0; i < 2; ++i) {
    const std::string model = (dir / (std::string("m") + rates[i] + ".json")).string();
    run = tinyad::test::tinyad("train --data " + data + " --normal " + normal + " --rate " + rates[i] + " -o " + model);
    ASSERT_EQ(run.status, 0) << run.err;
    std::ifstream in(model);
    EXPECT_EQ(nlohmann::json::parse(in)["recipe"]["rate_hz"].get<double>(), std::stod(rates[i]));
    run = tinyad::test::tinyad("eval --model " + model + " --data " + data + " --normal " + normal + " --anomaly " +
                               anomaly + " --json");
    ASSERT_EQ(run.status, 0) << run.err;
    result[i] = nlohmann::json::parse(run.out);
  }
  const auto& right = result[0];
  for (const char* l : {"fan_0_med_0_weight", "fan_0_high_0_weight", "fan_0_off_0_weight"}) {
    const auto& pl = right["per_label"][l];
    EXPECT_GE(pl["flagged"].get<double>() / pl["n"].get<double>(), 0.95) << l;
  }
  EXPECT_LE(right["fpr"].get<double>(), 0.05);
  EXPECT_GE(right["tpr"].get<double>(), result[1]["tpr"].get<double>()) << "trained as if 200 Hz did better";
  fs::remove_all(dir);
}

// `score` cuts a long recording as train and eval do: one line per whole
// window, "path#k", each the same score as that window scored on its own;
// the rows after the last whole window are not scored.
TEST(ForeignDataCli, ScoreCutsALongFileIntoItsWindows) {
  const fs::path dir = fs::path(testing::TempDir()) / ("tinyad_long_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  const std::string data = (dir / "data").string();
  auto run = tinyad::test::tinyad("simulate -o " + data + " -n 20 --seed 5 --labels fan_0_low_0_weight,fan_0_high_0_weight");
  ASSERT_EQ(run.status, 0) << run.err;
  const std::string model = (dir / "m.json").string();
  run = tinyad::test::tinyad("train --data " + data + " --normal fan_0_low_0_weight -o " + model);
  ASSERT_EQ(run.status, 0) << run.err;
  const std::vector<std::string> parts = {data + "/fan_0_low_0_weight/0000.csv", data + "/fan_0_high_0_weight/0000.csv",
                                          data + "/fan_0_low_0_weight/0001.csv"};
  const std::string long_file = (dir / "long.csv").string();
  {
    std::ofstream out(long_file);
    for (const auto& p : parts) out << std::ifstream(p).rdbuf();
    out << "0.1,0.2,0.9\n0.1,0.2,0.9\n";  // less than a window: not scored
  }
  run = tinyad::test::tinyad("score --json --model " + model + " " + long_file + " " + parts[0] + " " + parts[1] +
                             " " + parts[2]);
  ASSERT_EQ(run.status, 0) << run.err;
  std::vector<nlohmann::json> lines;
  std::istringstream in(run.out);
  for (std::string line; std::getline(in, line);) lines.push_back(nlohmann::json::parse(line));
  ASSERT_EQ(lines.size(), 6u) << run.out;
  for (size_t k = 0; k < 3; ++k) {
    EXPECT_EQ(lines[k]["path"], long_file + "#" + std::to_string(k));
    EXPECT_EQ(lines[k]["score"], lines[3 + k]["score"]) << k;
    EXPECT_EQ(lines[k]["anomaly"], lines[3 + k]["anomaly"]) << k;
  }
  EXPECT_TRUE(lines[1]["anomaly"].get<bool>()) << "the high-speed window in the middle";
  fs::remove_all(dir);
}

}  // namespace
