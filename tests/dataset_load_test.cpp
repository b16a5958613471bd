// dataset_load_test.cpp: the one dataset -> feature table path: which files
// a selection keeps, the one "nothing readable" error and its per-label
// reasons, a model's split following its windows when the dataset is copied
// (content hashes, split.h), and eval/train refusing what they cannot score
// (through the binary, as a user runs them).
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "cli_run.h"
#include "dataset_load.h"
#include "model.h"
#include "recipe.h"

namespace fs = std::filesystem;

namespace tinyad {
namespace {

using test::CliRun;
using test::tinyad;

class DatasetFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::path(::testing::TempDir()) /
           ("tinyad-dsload-" + std::to_string(::getpid()) + "-" + info->test_suite_name() + "-" + info->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    ASSERT_TRUE(recipe_named("original", &recipe_, &err_)) << err_;
  }
  void TearDown() override { fs::remove_all(dir_); }

  // n files of 200 noisy rows around gravity; `seed` makes another recording.
  void write_label(const fs::path& root, const std::string& label, int n, uint64_t seed, double amplitude = 0.01) {
    fs::create_directories(root / label);
    uint64_t state = seed * 0x9e3779b97f4a7c15ull + 1;
    auto noise = [&state] {  // small LCG: test data only
      state = state * 6364136223846793005ull + 1442695040888963407ull;
      return double(state >> 11) * 0x1.0p-53 - 0.5;
    };
    for (int f = 0; f < n; ++f) {
      char name[16];
      std::snprintf(name, sizeof name, "%04d.csv", f);
      std::ofstream out(root / label / name);
      for (int i = 0; i < 200; ++i)
        out << amplitude * noise() << ", " << amplitude * noise() << ", " << 1 + amplitude * noise() << "\n";
    }
  }
  std::string p(const std::string& rel) const { return (dir_ / rel).string(); }

  fs::path dir_;
  Recipe recipe_;
  std::string err_;
};

// ---------------------------------------------------------------- selections and the empty error

using DatasetLoad = DatasetFixture;

TEST_F(DatasetLoad, AllReadsEveryFileAndNamesTheSkippedOnes) {
  write_label(dir_ / "d", "normal", 5, 1);
  std::ofstream(dir_ / "d" / "normal" / "0100.csv") << "1, 2\n";
  LoadedDataset l;
  ASSERT_TRUE(dataset_load(p("d"), {"normal"}, recipe_.core, selection_all(), {}, &l, &err_)) << err_;
  EXPECT_EQ(l.table.X.rows(), 5);
  ASSERT_EQ(l.table.skipped.size(), 1u);
  EXPECT_NE(l.table.skipped[0].find("0100.csv:1: expected 3 columns"), std::string::npos) << l.table.skipped[0];
  EXPECT_EQ(l.table.skipped_files[0].file.id(), "normal/0100.csv");
  EXPECT_EQ(l.n_excluded, 0u);
}

TEST_F(DatasetLoad, OnlyListedReadsJustThoseInFileOrder) {
  write_label(dir_ / "d", "normal", 6, 1);
  LoadedDataset l;
  ASSERT_TRUE(dataset_load(p("d"), {"normal"}, recipe_.core, selection_only({"normal/0004.csv", "normal/0001.csv"}),
                           {}, &l, &err_))
      << err_;
  ASSERT_EQ(l.table.files.size(), 2u);
  EXPECT_EQ(l.table.files[0].id(), "normal/0001.csv");
  EXPECT_EQ(l.table.files[1].id(), "normal/0004.csv");
}

TEST_F(DatasetLoad, EmptyResultSaysPerLabelWhy) {
  write_label(dir_ / "d", "normal", 3, 1);
  fs::create_directories(dir_ / "d" / "empty");
  fs::create_directories(dir_ / "d" / "bad");
  std::ofstream(dir_ / "d" / "bad" / "0000.csv") << "1, 2\n";
  std::ofstream(dir_ / "d" / "bad" / "0001.csv") << "0.1, 0.2, 0.3\n";
  LoadedDataset l;
  DatasetLoadOptions o;
  o.needed = {"empty", "bad"};
  EXPECT_FALSE(dataset_load(p("d"), {"normal", "empty", "bad"}, recipe_.core, selection_all(), o, &l, &err_));
  EXPECT_NE(err_.find("no readable window of at least 128 rows"), std::string::npos) << err_;
  EXPECT_NE(err_.find("empty: no CSV files"), std::string::npos) << err_;
  EXPECT_NE(err_.find("bad: 2 files, none readable (first: "), std::string::npos) << err_;
  EXPECT_NE(err_.find("0000.csv:1: expected 3 columns (x, y, z), got 2"), std::string::npos) << err_;
  EXPECT_EQ(err_.find("normal:"), std::string::npos) << err_;  // readable labels are not blamed

  // Needed together: one readable label is enough. Needed each: not.
  o.needed = {"normal", "bad"};
  EXPECT_TRUE(dataset_load(p("d"), {"normal", "bad"}, recipe_.core, selection_all(), o, &l, &err_)) << err_;
  o.each_needed = true;
  EXPECT_FALSE(dataset_load(p("d"), {"normal", "bad"}, recipe_.core, selection_all(), o, &l, &err_));
  EXPECT_NE(err_.find("bad: 2 files"), std::string::npos) << err_;

  // A missing label folder fails before reading, naming the labels there are.
  EXPECT_FALSE(dataset_load(p("d"), {"nope"}, recipe_.core, selection_all(), {}, &l, &err_));
  EXPECT_NE(err_.find("no label 'nope'"), std::string::npos) << err_;
}

// ---------------------------------------------------------------- the split follows the windows

using SplitFollowsWindows = DatasetFixture;

TEST_F(SplitFollowsWindows, ExcludesCopiesByNameAndContentOnly) {
  write_label(dir_ / "a", "normal", 4, 1);
  ModelSplit s;
  s.dataset = fs::canonical(dir_ / "a").string();
  s.normal_labels = {"normal"};
  s.train = {"normal/0000.csv", "normal/0001.csv"};
  s.validation = {"normal/0002.csv"};
  s.test = {"normal/0003.csv"};
  for (const auto& id : {"normal/0000.csv", "normal/0001.csv", "normal/0002.csv", "normal/0003.csv"})
    ASSERT_TRUE(file_content_hash((dir_ / "a" / id).string(), &s.hashes[id], &err_)) << err_;

  fs::copy(dir_ / "a", dir_ / "moved", fs::copy_options::recursive);
  std::ofstream(dir_ / "moved" / "normal" / "0001.csv", std::ios::app) << "0.0, 0.0, 1.0\n";  // another window now
  LoadedDataset l;
  ASSERT_TRUE(dataset_load(p("moved"), {"normal"}, recipe_.core, selection_excluding(s), {}, &l, &err_)) << err_;
  EXPECT_EQ(l.n_excluded, 2u);  // 0000 and 0002: same name, same bytes
  ASSERT_EQ(l.table.files.size(), 2u);
  EXPECT_EQ(l.table.files[0].id(), "normal/0001.csv");
  EXPECT_EQ(l.table.files[1].id(), "normal/0003.csv");

  // Another recording with the same file names is not the model's.
  write_label(dir_ / "other", "normal", 4, 2);
  ASSERT_TRUE(dataset_load(p("other"), {"normal"}, recipe_.core, selection_excluding(s), {}, &l, &err_)) << err_;
  EXPECT_EQ(l.n_excluded, 0u);
  EXPECT_EQ(l.table.files.size(), 4u);

  // A model from before hashes: the old rule (same folder, same name).
  s.hashes.clear();
  ASSERT_TRUE(dataset_load(p("other"), {"normal"}, recipe_.core, selection_excluding(s), {}, &l, &err_)) << err_;
  EXPECT_EQ(l.n_excluded, 0u);
  ASSERT_TRUE(dataset_load(p("a"), {"normal"}, recipe_.core, selection_excluding(s), {}, &l, &err_)) << err_;
  EXPECT_EQ(l.n_excluded, 3u);
}

TEST_F(SplitFollowsWindows, EvalOnACopiedDatasetScoresOnlyTheHeldOutFiles) {
  write_label(dir_ / "data", "normal", 30, 1);
  write_label(dir_ / "data", "loud", 8, 3, 0.2);
  CliRun t = tinyad("train --recipe original --data " + p("data") + " --normal normal -o " + p("m.json"));
  ASSERT_EQ(t.status, 0) << t.err;
  Model m;
  ASSERT_TRUE(model_load(p("m.json"), &m, &err_)) << err_;
  ASSERT_TRUE(m.split.has_value());
  EXPECT_EQ(m.split->hashes.size(), 30u);

  fs::copy(dir_ / "data", dir_ / "elsewhere", fs::copy_options::recursive);
  fs::remove_all(dir_ / "data");  // the recorded path is gone: only the windows can say
  CliRun e = tinyad("eval --model " + p("m.json") + " --data " + p("elsewhere") +
                    " --normal normal --anomaly loud --json");
  ASSERT_EQ(e.status, 0) << e.err;
  const nlohmann::json j = nlohmann::json::parse(e.out);
  EXPECT_EQ(j["n_excluded"], m.split->train.size() + m.split->validation.size());
  EXPECT_EQ(j["n_normal"], m.split->test.size());
  EXPECT_EQ(j["per_label"]["normal"]["n"], m.split->test.size());
  EXPECT_EQ(j["n_anomaly"], 8);

  // A different recording with the same names: every file is scored.
  write_label(dir_ / "new-day", "normal", 30, 7);
  CliRun o = tinyad("eval --model " + p("m.json") + " --data " + p("new-day") + " --normal normal --json");
  ASSERT_EQ(o.status, 0) << o.err;
  const nlohmann::json k = nlohmann::json::parse(o.out);
  EXPECT_EQ(k["n_excluded"], 0);
  EXPECT_EQ(k["n_normal"], 30);
}

// ---------------------------------------------------------------- what eval and train refuse

using EvalRefuses = DatasetFixture;

TEST_F(EvalRefuses, NoReadableNormalWindowAndALabelGivenTwice) {
  write_label(dir_ / "data", "normal", 30, 1);
  write_label(dir_ / "data", "loud", 8, 3, 0.2);
  fs::create_directories(dir_ / "data" / "broken");
  std::ofstream(dir_ / "data" / "broken" / "0000.csv") << "0.1, 0.2, nan\n";
  CliRun t = tinyad("train --recipe original --data " + p("data") + " --normal normal -o " + p("m.json"));
  ASSERT_EQ(t.status, 0) << t.err;

  CliRun e = tinyad("eval --model " + p("m.json") + " --data " + p("data") + " --normal broken --anomaly loud");
  EXPECT_NE(e.status, 0);
  EXPECT_NE(e.err.find("no readable window of at least 128 rows (broken: 1 files, none readable (first: "),
            std::string::npos)
      << e.err;
  EXPECT_NE(e.err.find("expected a finite number in column 3, got 'nan'"), std::string::npos) << e.err;
  EXPECT_TRUE(e.out.empty()) << e.out;

  CliRun both = tinyad("eval --model " + p("m.json") + " --data " + p("data") + " --normal normal --anomaly loud,normal");
  EXPECT_NE(both.status, 0);
  EXPECT_NE(both.err.find("label 'normal' is given as both --normal and --anomaly"), std::string::npos) << both.err;

  CliRun tb = tinyad("train --recipe original --data " + p("data") + " --normal normal --anomaly normal -o " +
                     p("m2.json"));
  EXPECT_NE(tb.status, 0);
  EXPECT_NE(tb.err.find("label 'normal' is given as both --normal and --anomaly"), std::string::npos) << tb.err;
  EXPECT_FALSE(fs::exists(p("m2.json")));

  CliRun te = tinyad("train --recipe original --data " + p("data") + " --normal broken -o " + p("m3.json"));
  EXPECT_NE(te.status, 0);
  EXPECT_NE(te.err.find("broken: 1 files, none readable"), std::string::npos) << te.err;
}

}  // namespace
}  // namespace tinyad
