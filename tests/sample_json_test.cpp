// sample_json_test.cpp: the POST body {"x":[...],"y":[...],"z":[...]}:
// what is accepted, every refusal with its status and reason, and that
// formatting then parsing gives back the same doubles (so stored files hold
// exactly the values sent).
#include "sample_json.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "csv_reader.h"
#include "rng.h"

namespace tinyad {
namespace {

TEST(SampleJson, ParsesTheFirmwaresBody) {
  SampleWindow w;
  int status = 0;
  std::string err;
  ASSERT_TRUE(sample_json_parse(" {\"x\":[-0.012695,0.000488],\"y\":[0.203125, 2e-3],\n\"z\":[0.970703,1]} ", {},
                                &w, &status, &err))
      << err;
  ASSERT_EQ(w.size(), 2u);
  EXPECT_EQ(w.rows, (std::vector<double>{-0.012695, 0.203125, 0.970703, 0.000488, 0.002, 1.0}));
  EXPECT_EQ(w.device, "");
}

TEST(SampleJson, SkipsUnknownFieldsAndReadsTheDeviceName) {
  SampleWindow w;
  int status = 0;
  std::string err;
  ASSERT_TRUE(sample_json_parse(
      R"({"meta":{"fw":[1,2,{"a":null}],"ok":true},"device":"esp32-\"7\"","z":[3],"y":[2],"x":[1]})", {}, &w,
      &status, &err))
      << err;
  EXPECT_EQ(w.rows, (std::vector<double>{1, 2, 3}));
  EXPECT_EQ(w.device, "esp32-\"7\"");
}

struct Bad {
  const char* name;
  std::string body;
  int status;
  const char* reason_part;
};

TEST(SampleJson, RefusesEveryBadBodyWithAOneLineReason) {
  SampleLimits limits;
  limits.max_readings = 4;
  const Bad cases[] = {
      {"empty", "", 400, "body is empty"},
      {"not JSON", "x=1&y=2", 400, "not valid JSON"},
      {"array", "[1,2,3]", 400, "JSON object"},
      {"truncated", R"({"x":[1,2],"y":[1,)", 400, "end of the body"},
      {"trailing garbage", R"({"x":[1],"y":[1],"z":[1]}x)", 400, "end of the body after"},
      {"missing z", R"({"x":[1],"y":[1]})", 400, "missing axis \"z\""},
      {"missing all", "{}", 400, "missing axis \"x\""},
      {"unequal", R"({"x":[1,2],"y":[1,2],"z":[1]})", 400, "different lengths: x 2, y 2, z 1"},
      {"string", R"({"x":[1,"2"],"y":[1,2],"z":[1,2]})", 400, "x[1] is a string"},
      {"null", R"({"x":[1],"y":[null],"z":[1]})", 400, "y[0] is null"},
      {"bool", R"({"x":[1],"y":[1],"z":[true]})", 400, "z[0] is a boolean"},
      {"nested", R"({"x":[[1]],"y":[1],"z":[1]})", 400, "x[0] is an array"},
      {"NaN", R"({"x":[1],"y":[NaN],"z":[1]})", 400, "y[0] is NaN"},
      {"Infinity", R"({"x":[-Infinity],"y":[1],"z":[1]})", 400, "x[0] is -Infinity"},
      {"overflow", R"({"x":[1e400],"y":[1],"z":[1]})", 400, "out of range"},
      {"bad number", R"({"x":[01],"y":[1],"z":[1]})", 400, "not valid JSON"},
      {"dot", R"({"x":[1.],"y":[1],"z":[1]})", 400, "digit after the decimal point"},
      {"empty axis", R"({"x":[],"y":[],"z":[]})", 400, "\"x\" is empty"},
      {"axis not array", R"({"x":1,"y":[1],"z":[1]})", 400, "array of numbers for \"x\""},
      {"duplicate", R"({"x":[1],"x":[2],"y":[1],"z":[1]})", 400, "duplicate field \"x\""},
      {"too many", R"({"x":[1,2,3,4,5],"y":[1],"z":[1]})", 413, "more than 4 readings"},
      {"device not string", R"({"device":7,"x":[1],"y":[1],"z":[1]})", 400, "\"device\" must be a string"},
      {"control in string", "{\"a\":\"\x01\",\"x\":[1],\"y\":[1],\"z\":[1]}", 400, "control characters"},
      {"deep", std::string(40, '[') + std::string(40, ']'), 400, "JSON object"},
      {"deep field", "{\"a\":" + std::string(40, '[') + std::string(40, ']') + "}", 400, "deeper than"},
  };
  for (const Bad& c : cases) {
    SampleWindow w;
    int status = 0;
    std::string err;
    EXPECT_FALSE(sample_json_parse(c.body, limits, &w, &status, &err)) << c.name;
    EXPECT_EQ(status, c.status) << c.name << ": " << err;
    EXPECT_NE(err.find(c.reason_part), std::string::npos) << c.name << ": " << err;
    EXPECT_EQ(err.find('\n'), std::string::npos) << c.name << ": " << err;
  }
}

TEST(SampleJson, FormatThenParseGivesTheSameDoubles) {
  Rng rng(42);
  std::vector<double> rows(600);
  for (double& v : rows) v = (rng.uniform() - 0.5) * std::pow(10.0, double(rng.below(12)) - 6);
  rows[0] = 0.1;
  rows[1] = -0.0;
  rows[2] = 1e-300;
  SampleWindow w;
  int status = 0;
  std::string err;
  ASSERT_TRUE(sample_json_parse(sample_json_format(rows), {}, &w, &status, &err)) << err;
  ASSERT_EQ(w.rows.size(), rows.size());
  for (size_t i = 0; i < rows.size(); ++i) EXPECT_EQ(w.rows[i], rows[i]) << i;
}

TEST(SampleJson, StoredCsvKeepsEachNumberAsSent) {
  SampleWindow w;
  int status = 0;
  std::string err;
  const std::string body = R"({"x":[0.1,-2E-3],"y":[1,1e+2],"z":[0.970703,-0]})";
  ASSERT_TRUE(sample_json_parse(body, {}, &w, &status, &err)) << err;
  const std::string csv = sample_csv_format_sent(w);
  EXPECT_EQ(csv, "0.1, 1, 0.970703\n-2E-3, 1e+2, -0\n");
  std::vector<double> back;
  ASSERT_TRUE(csv_parse_window(csv, "t.csv", &back, &err)) << err;
  EXPECT_EQ(back, w.rows) << "the CSV reader reads every JSON number form";
}

TEST(SampleJson, CsvIsTheDatasetFormatAndReadsBackExactly) {
  const std::vector<double> rows = {-0.012695, 0.203125, 0.970703, 0.000488, 0.208008, 0.979981};
  const std::string csv = sample_csv_format(rows);
  EXPECT_EQ(csv, "-0.012695, 0.203125, 0.970703\n0.000488, 0.208008, 0.979981\n");
  std::vector<double> back;
  std::string err;
  ASSERT_TRUE(csv_parse_window(csv, "t.csv", &back, &err)) << err;
  EXPECT_EQ(back, rows);
}

}  // namespace
}  // namespace tinyad

// What the servers set (--min-readings 16, 1000 g): a window of 2 readings
// and a reading of 1e308 are refused with 422 and a reason, not stored.
TEST(SampleJson, ServerLimitsRefuseTinyWindowsAndImpossibleReadings) {
  tinyad::SampleLimits limits;
  limits.min_readings = 16;
  limits.max_abs_g = 1000;
  tinyad::SampleWindow w;
  int status = 0;
  std::string err;
  EXPECT_FALSE(tinyad::sample_json_parse(R"({"x":[0,1],"y":[0,1],"z":[1,1]})", limits, &w, &status, &err));
  EXPECT_EQ(status, 422);
  EXPECT_EQ(err, "the window has 2 readings per axis: expected at least 16");
  std::string ok = R"({"x":[)", huge = R"({"x":[)";
  for (int i = 0; i < 16; ++i) {
    ok += std::string(i ? "," : "") + "0.5";
    huge += std::string(i ? "," : "") + (i == 7 ? "1e308" : "0.5");
  }
  const std::string tail = R"(],"y":[0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0],"z":[1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,-999.5]})";
  EXPECT_TRUE(tinyad::sample_json_parse(ok + tail, limits, &w, &status, &err)) << err;
  EXPECT_FALSE(tinyad::sample_json_parse(huge + tail, limits, &w, &status, &err));
  EXPECT_EQ(status, 422);
  EXPECT_NE(err.find("x[7] = 1e308 g is beyond any accelerometer"), std::string::npos) << err;
}
