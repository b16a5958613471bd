// csv_reader_test.cpp: the dataset's CSV windows (src/csv_reader.h): what is tolerated, the exact
// "path:line: what was expected" message of every malformed case, numbers bit-exact to strtod,
// and feature_table_load skipping (and counting) bad and short files in a dataset folder.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "csv_reader.h"
#include "dataset.h"
#include "feature_table.h"
#include "window_features.h"
#include "recipe.h"

namespace {

namespace fs = std::filesystem;
using tinyad::csv_parse_window;

// Parses and expects failure; returns the message.
std::string parse_error(const std::string& text, const std::string& path = "d/l/0001.csv") {
  std::vector<double> rows{1, 2, 3};
  std::string err;
  EXPECT_FALSE(csv_parse_window(text, path, &rows, &err)) << "accepted: " << text.substr(0, 80);
  return err;
}

std::vector<double> parse_ok(const std::string& text) {
  std::vector<double> rows;
  std::string err;
  EXPECT_TRUE(csv_parse_window(text, "ok.csv", &rows, &err)) << err;
  return rows;
}

TEST(CsvReader, PlainRows) {
  EXPECT_EQ(parse_ok("0.032227, 0.151367, 0.978516\n-0.5,0,1e-3\n"),
            (std::vector<double>{0.032227, 0.151367, 0.978516, -0.5, 0, 1e-3}));
  EXPECT_EQ(parse_ok("1,2,3"), (std::vector<double>{1, 2, 3}));  // no final newline
}

TEST(CsvReader, ToleratesCrlfSpacesTabsAndTrailingBlankLines) {
  const std::vector<double> want{1.5, -2, 3, 4, 5, 6.25};
  EXPECT_EQ(parse_ok("1.5,-2,3\r\n4,5,6.25\r\n"), want);
  EXPECT_EQ(parse_ok("  1.5 ,\t-2 ,   3  \n4,5,6.25"), want);
  EXPECT_EQ(parse_ok("1.5,-2,3\n4,5,6.25\n\n\n"), want);
  EXPECT_EQ(parse_ok("1.5,-2,3\r\n4,5,6.25\r\n\r\n  \r\n\t\n"), want);
}

TEST(CsvReader, NumbersAreBitExactLikeStrtod) {
  // The reader has a fast path for plain decimals; it must give strtod's correctly rounded
  // value for every form the sensor and other tools write.
  std::mt19937_64 gen(7);
  std::string text;
  std::vector<std::string> cells;
  for (int i = 0; i < 3000; ++i) {
    char buf[64];
    const int digits = 1 + int(gen() % 19);  // up to 19 significant digits
    uint64_t m = gen() % 10000000000000000000ull;
    std::string d = std::to_string(m).substr(0, size_t(digits));
    const size_t point = gen() % (d.size() + 1);
    if (point < d.size()) d.insert(point, ".");
    if (gen() % 2) d = "-" + d;
    if (gen() % 7 == 0) {
      std::snprintf(buf, sizeof buf, "e%d", int(gen() % 40) - 20);
      d += buf;
    }
    if (d.front() == '.' || d.starts_with("-.")) d.insert(d.find('.'), "0");
    cells.push_back(d);
  }
  for (size_t i = 0; i + 2 < cells.size(); i += 3) text += cells[i] + "," + cells[i + 1] + "," + cells[i + 2] + "\n";
  const std::vector<double> rows = parse_ok(text);
  ASSERT_EQ(rows.size(), cells.size() / 3 * 3);
  for (size_t i = 0; i < rows.size(); ++i) {
    const double want = std::strtod(cells[i].c_str(), nullptr);
    EXPECT_EQ(std::memcmp(&rows[i], &want, sizeof want), 0) << cells[i];
  }
  // Leading and trailing zeros, lone points, signed zero.
  EXPECT_EQ(parse_ok("0000000000000000000001.5, 1., .25"), (std::vector<double>{1.5, 1.0, 0.25}));
  const std::vector<double> z = parse_ok("-0.0, 0, 0.000488");
  EXPECT_TRUE(std::signbit(z[0]));
  EXPECT_EQ(z[2], 0.000488);
}

TEST(CsvReader, NonNumericCell) {
  EXPECT_EQ(parse_error("1,2,3\n4,5,6\n7,abc,9\n"), "d/l/0001.csv:3: expected a number in column 2, got 'abc'");
  EXPECT_EQ(parse_error("x,y,z\n1,2,3\n"), "d/l/0001.csv:1: expected a number in column 1, got 'x'");
  EXPECT_EQ(parse_error("1,2,3 4\n"), "d/l/0001.csv:1: expected a number in column 3, got '3 4'");
  EXPECT_EQ(parse_error("1,,3\n"), "d/l/0001.csv:1: expected a number in column 2, got ''");
  EXPECT_EQ(parse_error("1,2,0x10\n"), "d/l/0001.csv:1: expected a number in column 3, got '0x10'");
  EXPECT_EQ(parse_error("1.5.3,2,3\n"), "d/l/0001.csv:1: expected a number in column 1, got '1.5.3'");
  EXPECT_EQ(parse_error("1;2;3\n"), "d/l/0001.csv:1: expected a number in column 1, got '1;2;3'");
  EXPECT_EQ(parse_error("-,2,3\n"), "d/l/0001.csv:1: expected a number in column 1, got '-'");
  EXPECT_EQ(parse_error("1,2,3\r\n4,5,6e\r\n"), "d/l/0001.csv:2: expected a number in column 3, got '6e'");
  EXPECT_EQ(parse_error(std::string("1,2,3\n1,2\0,3\n", 13)),
            std::string("d/l/0001.csv:2: expected a number in column 2, got '2\0'", 55));
}

TEST(CsvReader, WrongColumnCount) {
  EXPECT_EQ(parse_error("1,2,3\n1,2\n"), "d/l/0001.csv:2: expected 3 columns (x, y, z), got 2");
  EXPECT_EQ(parse_error("1,2 \r\n"), "d/l/0001.csv:1: expected 3 columns (x, y, z), got 2");
  EXPECT_EQ(parse_error("7\n"), "d/l/0001.csv:1: expected 3 columns (x, y, z), got 1");
  EXPECT_EQ(parse_error("1,2,3\n4,5,6\n1,2,3,4\n"), "d/l/0001.csv:3: expected 3 columns (x, y, z), got more");
  EXPECT_EQ(parse_error("1,2,3,\n"), "d/l/0001.csv:1: expected 3 columns (x, y, z), got more");
}

TEST(CsvReader, NanAndInfinity) {
  EXPECT_EQ(parse_error("nan,2,3\n"), "d/l/0001.csv:1: expected a finite number in column 1, got 'nan'");
  EXPECT_EQ(parse_error("1,NaN,3\n"), "d/l/0001.csv:1: expected a finite number in column 2, got 'NaN'");
  EXPECT_EQ(parse_error("1,2,inf\n"), "d/l/0001.csv:1: expected a finite number in column 3, got 'inf'");
  EXPECT_EQ(parse_error("1,2,3\n-inf, 2, 3\n"), "d/l/0001.csv:2: expected a finite number in column 1, got '-inf'");
  EXPECT_EQ(parse_error("1,2, Infinity\n"), "d/l/0001.csv:1: expected a finite number in column 3, got 'Infinity'");
}

TEST(CsvReader, OverlongNumbers) {
  // Too large for a double: named as not finite, the cell quoted but cut at 40 characters.
  const std::string huge = "1" + std::string(400, '0');
  EXPECT_EQ(parse_error(huge + ",2,3\n"),
            "d/l/0001.csv:1: expected a finite number in column 1, got '" + huge.substr(0, 40) + "...'");
  EXPECT_EQ(parse_error("1,1e999,3\n"), "d/l/0001.csv:1: expected a finite number in column 2, got '1e999'");
  // A long but valid mantissa is a number: correctly rounded, like strtod.
  const std::string pi = "3.14159265358979323846264338327950288419716939937510582097494459";
  EXPECT_EQ(parse_ok(pi + ",0,0")[0], std::strtod(pi.c_str(), nullptr));
  // A megabyte of digits in one cell: an error, not a crash or a huge message.
  const std::string mb(1 << 20, '9');
  const std::string err = parse_error("1,2," + mb + "x\n");
  EXPECT_EQ(err, "d/l/0001.csv:1: expected a number in column 3, got '" + mb.substr(0, 40) + "...'");
}

TEST(CsvReader, EmptyFile) {
  EXPECT_EQ(parse_error(""), "d/l/0001.csv:1: expected rows of x, y, z, got an empty file");
  EXPECT_EQ(parse_error("\n\n"), "d/l/0001.csv:1: expected rows of x, y, z, got an empty file");
  EXPECT_EQ(parse_error(" \r\n"), "d/l/0001.csv:1: expected rows of x, y, z, got an empty file");
}

TEST(CsvReader, BlankLineInTheMiddle) {
  EXPECT_EQ(parse_error("1,2,3\n\n4,5,6\n"), "d/l/0001.csv:2: expected a row of x, y, z, got a blank line");
  EXPECT_EQ(parse_error("1,2,3\r\n\r\n \r\n4,5,6\r\n"),
            "d/l/0001.csv:2: expected a row of x, y, z, got a blank line");
  EXPECT_EQ(parse_error("\n1,2,3\n"), "d/l/0001.csv:1: expected a row of x, y, z, got a blank line");
}

TEST(CsvReader, GarbageNeverCrashes) {
  // Random bytes biased towards CSV-ish characters: every outcome is a clean yes or no, and
  // every "no" names the file and a line.
  std::mt19937_64 gen(11);
  const std::string alphabet = "0123456789.,-+eE \t\r\nnaif\0x";
  for (int i = 0; i < 2000; ++i) {
    std::string text(gen() % 200, ' ');
    for (char& c : text) c = alphabet[gen() % alphabet.size()];
    std::vector<double> rows;
    std::string err;
    if (csv_parse_window(text, "g.csv", &rows, &err)) {
      EXPECT_EQ(rows.size() % 3, 0u);
      for (double v : rows) EXPECT_TRUE(std::isfinite(v));
    } else {
      EXPECT_TRUE(err.starts_with("g.csv:")) << err;
    }
  }
}

TEST(CsvReader, FormatRoundTrips) {
  const std::vector<double> rows{0.032227, -0.151367, 0.978516, 1e-7, 123.456, -0.0};
  const std::vector<double> back = parse_ok(tinyad::csv_format_window(rows));
  ASSERT_EQ(back.size(), rows.size());
  for (size_t i = 0; i < rows.size(); ++i) EXPECT_FLOAT_EQ(back[i], rows[i]);  // %.9g: 9 digits
}

TEST(CsvReader, MissingFileNamesThePath) {
  std::vector<double> rows;
  std::string err;
  EXPECT_FALSE(tinyad::csv_read_window("/nonexistent/tinyad/0001.csv", &rows, &err));
  EXPECT_EQ(err, "/nonexistent/tinyad/0001.csv: No such file or directory");
}

// ---------------------------------------------------------------- feature_table_load skipping

class TempDataset : public testing::Test {
 protected:
  void SetUp() override {
    const auto* info = testing::UnitTest::GetInstance()->current_test_info();
    root_ = fs::path(testing::TempDir()) / ("tinyad_csv_" + std::to_string(::getpid()) + "_" + info->name());
    fs::remove_all(root_);
    fs::create_directories(root_);
  }
  void TearDown() override { fs::remove_all(root_); }

  std::string write(const std::string& label, const std::string& name, const std::string& text) {
    fs::create_directories(root_ / label);
    const fs::path p = root_ / label / name;
    std::ofstream(p, std::ios::binary) << text;
    return p.string();
  }
  static std::string window_text(size_t n_rows, double phase) {
    std::string s;
    char buf[96];
    for (size_t i = 0; i < n_rows; ++i) {
      std::snprintf(buf, sizeof buf, "%.6f, %.6f, %.6f\n", 0.01 * std::sin(0.3 * double(i) + phase),
                    0.02 * std::cos(0.11 * double(i) * (1 + phase)), 1 + 0.005 * std::sin(double(i * i) + phase));
      s += buf;
    }
    return s;
  }
  fs::path root_;
};

TEST_F(TempDataset, FeatureTableSkipsAndCountsBadFiles) {
  tinyad::Recipe recipe;
  std::string err;
  ASSERT_TRUE(tinyad::recipe_named("original", &recipe, &err)) << err;
  const std::string good0 = write("normal", "0000.csv", window_text(200, 0.1));
  const std::string bad_cell = write("normal", "0001.csv", window_text(5, 0.2) + "1,oops,3\n" + window_text(200, 0.2));
  const std::string good1 = write("normal", "0002.csv", window_text(128, 0.3));  // exactly the window
  const std::string empty = write("normal", "0003.csv", "");
  const std::string short_file = write("normal", "0004.csv", window_text(100, 0.5));
  const std::string nan_file = write("normal", "0005.csv", window_text(3, 0.6) + "nan,0,0\n");
  const std::string good2 = write("odd", "0000.csv", window_text(150, 0.7));
  const std::string cols = write("odd", "0001.csv", "1,2,3,4\n");
  write("odd", "notes.txt", "not a window");  // not a .csv: not listed at all

  tinyad::Dataset ds;
  ASSERT_TRUE(tinyad::dataset_open(root_.string(), &ds, &err)) << err;
  EXPECT_EQ(ds.labels, (std::vector<std::string>{"normal", "odd"}));
  std::vector<tinyad::DatasetFile> files;
  ASSERT_TRUE(tinyad::dataset_files(ds, {"normal", "odd"}, &files, &err)) << err;
  ASSERT_EQ(files.size(), 8u);

  const tinyad::FeatureTable t = tinyad::feature_table_load(files, recipe.core, /*show_progress=*/false);
  ASSERT_EQ(t.files.size(), 3u);
  EXPECT_EQ(t.files[0].path, good0);
  EXPECT_EQ(t.files[1].path, good1);
  EXPECT_EQ(t.files[2].path, good2);
  EXPECT_EQ(t.X.rows(), 3);
  EXPECT_EQ(t.X.cols(), 3);
  EXPECT_EQ(t.skipped, (std::vector<std::string>{
                           bad_cell + ":6: expected a number in column 2, got 'oops'",
                           empty + ":1: expected rows of x, y, z, got an empty file",
                           short_file + ": 100 rows, the recipe needs at least 128",
                           nan_file + ":4: expected a finite number in column 1, got 'nan'",
                           cols + ":1: expected 3 columns (x, y, z), got more",
                       }));
  // The kept rows are the features of exactly those files.
  for (int i = 0; i < 3; ++i) {
    std::vector<double> rows, f;
    ASSERT_TRUE(tinyad::csv_read_window(t.files[size_t(i)].path, &rows, &err)) << err;
    ASSERT_TRUE(tinyad::window_features(recipe.core, rows, t.files[size_t(i)].path, &f, &err)) << err;
    for (int k = 0; k < 3; ++k) EXPECT_EQ(t.X(i, k), f[size_t(k)]);
  }
}

TEST_F(TempDataset, ShortWindowIsSkippedWithAMessage) {
  tinyad::Recipe recipe;
  std::string err;
  ASSERT_TRUE(tinyad::recipe_named("default", &recipe, &err)) << err;  // needs 200 rows
  std::vector<double> rows, f;
  ASSERT_TRUE(csv_parse_window(window_text(199, 0), "a/b.csv", &rows, &err)) << err;
  EXPECT_FALSE(tinyad::window_features(recipe.core, rows, "a/b.csv", &f, &err));
  EXPECT_EQ(err, "a/b.csv: 199 rows, the recipe needs at least 200");
  ASSERT_TRUE(csv_parse_window(window_text(200, 0), "a/b.csv", &rows, &err)) << err;
  EXPECT_TRUE(tinyad::window_features(recipe.core, rows, "a/b.csv", &f, &err)) << err;
  EXPECT_EQ(f.size(), tinyad_recipe_n_features(&recipe.core));

  const std::string p = write("l", "0000.csv", window_text(150, 0));
  const tinyad::FeatureTable t = tinyad::feature_table_load({{"l", "0000.csv", p}}, recipe.core, false);
  EXPECT_EQ(t.X.rows(), 0);
  EXPECT_EQ(t.skipped, std::vector<std::string>{p + ": 150 rows, the recipe needs at least 200"});
}

TEST_F(TempDataset, UnreadableFileIsSkipped) {
  tinyad::Recipe recipe;
  std::string err;
  ASSERT_TRUE(tinyad::recipe_named("original", &recipe, &err)) << err;
  const std::string missing = (root_ / "l" / "gone.csv").string();
  const tinyad::FeatureTable t = tinyad::feature_table_load({{"l", "gone.csv", missing}}, recipe.core, false);
  EXPECT_EQ(t.X.rows(), 0);
  EXPECT_EQ(t.skipped, std::vector<std::string>{missing + ": No such file or directory"});
}

}  // namespace
