// json_line_test.cpp: the verdict written without a DOM (json_line.h)
// against nlohmann's dump(), which wrote it before: every number reads back
// to the same double and is written as nlohmann writes it, except where
// nlohmann's Grisu2 digits are not the shortest or not the closest (then
// ours are shorter or as short);
// strings are escaped the same; a whole verdict parses to the same JSON
// value as the DOM-built one; event lines are the same text.
#include "json_line.h"

#include <gtest/gtest.h>

#include <bit>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <random>
#include <string>

#include "fleet_event.h"
#include "fleet_monitor.h"

namespace tinyad {
namespace {

std::string ours(double v) {
  std::string s;
  json_append_number(&s, v);
  return s;
}

std::string theirs(double v) { return nlohmann::json(v).dump(); }

// Same text, or one no longer (Grisu2 is not always shortest, and of two
// shortest it may pick the farther) that reads back to the same double.
void expect_same_number(double v) {
  const std::string a = ours(v), b = theirs(v);
  if (a == b) return;
  EXPECT_LE(a.size(), b.size()) << "ours " << a << " nlohmann " << b;
  double back = 0;
  const auto res = std::from_chars(a.data(), a.data() + a.size(), back);
  EXPECT_TRUE(res.ec == std::errc() && res.ptr == a.data() + a.size()) << a;
  EXPECT_EQ(std::bit_cast<uint64_t>(back), std::bit_cast<uint64_t>(v)) << a;
}

TEST(JsonLine, NumbersAreNlohmannsLayout) {
  for (double v : {0.0, -0.0, 1.0, -1.0, 0.1, 1e-5, 1.5e-5, 1e-4, 0.00012, 123456789012345.0, 1e15, 1e16, 1.5e16,
                   1e21, 1e22, 1e23, 1e100, 1e-100, 5e-324, std::numeric_limits<double>::max(),
                   std::numeric_limits<double>::min(), 0.30000000000000004, 2.5, 100.0, 1234.5678, -0.012695})
    expect_same_number(v);
  EXPECT_EQ(ours(std::nan("")), "null");
  EXPECT_EQ(ours(HUGE_VAL), "null");
  EXPECT_EQ(ours(-HUGE_VAL), "null");
  EXPECT_EQ(ours(1e-5), "1e-05");
  EXPECT_EQ(ours(100.0), "100.0");
  EXPECT_EQ(ours(-0.0), "-0.0");
  std::mt19937_64 rng(14);
  for (int i = 0; i < 100000; ++i) {
    double v;
    do v = std::bit_cast<double>(rng()); while (!std::isfinite(v));
    expect_same_number(v);
    expect_same_number(std::normal_distribution<double>(0, 3)(rng));  // feature-like values
    expect_same_number(std::ldexp(double(rng() % 1000000), int(rng() % 80) - 40));
  }
}

TEST(JsonLine, StringsAreEscapedAsNlohmannDoes) {
  for (std::string s : {std::string("fan-01"), std::string(""), std::string("a\"b\\c"), std::string("tab\there"),
                        std::string("nl\n"), std::string("\x01\x1f"), std::string("del\x7f"),
                        std::string("caf\xc3\xa9"), std::string("bad\xff utf8"), std::string("\xe2\x82")}) {
    std::string got;
    json_append_string(&got, s);
    EXPECT_EQ(got, nlohmann::json(s).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)) << s;
  }
}

TEST(JsonLine, VerdictParsesToTheDomBuiltValue) {
  std::mt19937_64 rng(3);
  for (int i = 0; i < 200; ++i) {
    Verdict v;
    v.device = i % 7 ? "fan-" + std::to_string(i) : "odd \"name\"";
    v.has_score = i % 5 != 0;
    v.has_threshold = i % 3 != 0;
    v.score = std::normal_distribution<double>(10, 5)(rng);
    v.threshold = i % 11 ? 12.5 : std::nan("");
    v.anomaly = i % 2;
    // The first verdicts have short dyadic values (Grisu2 is surely shortest
    // for them: the text must be the same byte for byte).
    const bool exact_text = i < 20;
    if (exact_text) v.score = double(i) / 8;
    for (int f = 0; f < 60; ++f)
      v.features.push_back(exact_text ? double(int(rng() % 4096) - 2048) / 1024
                                      : std::normal_distribution<double>(0, 1)(rng));
    if (i % 4 == 0) v.features[5] = std::nan("");
    if (i % 3 == 1) {
      v.baseline = "own";
      v.learned = uint32_t(i);
      v.calibrated = uint32_t(i / 2);
      v.commission = i % 6 == 1 ? 30 : 0;
    }
    // What verdict_json wrote with nlohmann before.
    auto num = [](bool has, double x) {
      return has && std::isfinite(x) ? nlohmann::ordered_json(x) : nlohmann::ordered_json(nullptr);
    };
    nlohmann::ordered_json j = {{"device", v.device},
                                {"score", num(v.has_score, v.score)},
                                {"threshold", num(v.has_threshold, v.threshold)},
                                {"anomaly", v.anomaly},
                                {"features", nlohmann::ordered_json::array()}};
    for (double f : v.features) j["features"].push_back(num(true, f));
    if (!v.baseline.empty()) {
      j["baseline"] = v.baseline;
      j["learned"] = v.learned;
      j["calibrated"] = v.calibrated;
      if (v.commission) j["commission"] = v.commission;
    }
    const std::string text = verdict_json(v);
    EXPECT_EQ(nlohmann::ordered_json::parse(text), j) << text;
    if (exact_text) {
      EXPECT_EQ(text, j.dump()) << "the layout changed (key order, spacing)";
    }
  }
}

TEST(JsonLine, EventLinesAreAsNlohmannWroteThem) {
  FleetEvent v;
  v.kind = FleetEventKind::kVerdict;
  v.time = 1764770000.125;
  v.device = "fan-7";
  v.score = 3.25;
  v.threshold = 12.5;
  v.anomaly = true;
  v.baseline = "own";
  FleetEvent raised = v, reset = v;
  raised.kind = FleetEventKind::kAlarmRaised;
  raised.anomalous = 3;
  raised.of = 5;
  reset.kind = FleetEventKind::kAlarmCleared;
  reset.reason = "baseline reset";
  FleetEvent no_score = v;
  no_score.has_score = no_score.has_threshold = false;
  no_score.baseline = "";
  for (const FleetEvent& e : {v, raised, reset, no_score}) {
    nlohmann::ordered_json j = {{"time", e.time}, {"event", fleet_event_name(e.kind)}, {"device", e.device}};
    if (e.kind == FleetEventKind::kVerdict) {
      if (e.has_score) j["score"] = e.score;
      if (e.has_threshold) j["threshold"] = e.threshold;
      j["anomaly"] = e.anomaly;
      if (!e.baseline.empty()) j["baseline"] = e.baseline;
    } else if (!e.reason.empty()) {
      j["reason"] = e.reason;
    } else {
      j["anomalous"] = e.anomalous;
      j["of"] = e.of;
    }
    EXPECT_EQ(fleet_event_json(e), j.dump());
  }
}

}  // namespace
}  // namespace tinyad
