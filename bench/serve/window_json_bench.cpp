// window_json_bench.cpp: the JSON on serve's window path, per window: the
// body's 600 readings read (sample_json_parse with its fast number path,
// against the same numbers through std::from_chars alone) and the verdict
// written (verdict_json, against the nlohmann DOM it replaced).
// Run: build/bench/tinyad_window_json_bench   (results: bench/RESULTS.md)
#include <benchmark/benchmark.h>

#include <charconv>
#include <cmath>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "fleet_monitor.h"
#include "json_number.h"
#include "rng.h"
#include "sample_json.h"

namespace {

// A board's window: 200 readings per axis in g, in the sensor's 14-bit
// steps and with the firmware's 6 decimals, as `tinyad simulate` makes them
// and bench/common.sh's window_body posts them ("-0.012695").
std::vector<double> readings() {
  tinyad::Rng rng(42);
  std::vector<double> rows(600);
  for (size_t i = 0; i < rows.size(); ++i) {
    const double g = (i % 3 == 2 ? 1.0 : 0.0) + 0.05 * (rng.uniform() - 0.5);
    rows[i] = std::round(std::round(g / 0.000488) * 0.000488 * 1e6) / 1e6;
  }
  return rows;
}

void BM_SampleJsonParse(benchmark::State& state) {
  const std::string body = tinyad::sample_json_format(readings());
  tinyad::SampleWindow w;
  int status = 0;
  std::string err;
  for (auto _ : state) {
    if (!tinyad::sample_json_parse(body, {}, &w, &status, &err)) state.SkipWithError(err.c_str());
    benchmark::DoNotOptimize(w.rows.data());
  }
  state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(body.size()));
}
BENCHMARK(BM_SampleJsonParse);

// The 600 numbers alone: the fast path, and std::from_chars (what the
// parser called for every number before).
std::vector<std::string> number_texts() {
  std::vector<std::string> texts;
  char buf[32];
  for (double v : readings()) texts.emplace_back(buf, std::to_chars(buf, buf + sizeof buf, v).ptr);
  return texts;
}

void BM_NumbersFast(benchmark::State& state) {
  const auto texts = number_texts();
  for (auto _ : state) {
    double sum = 0;
    for (const std::string& t : texts) {
      double v = 0;
      tinyad::json_number_fast(t.data(), t.data() + t.size(), &v);
      sum += v;
    }
    benchmark::DoNotOptimize(sum);
  }
}
BENCHMARK(BM_NumbersFast);

void BM_NumbersFromChars(benchmark::State& state) {
  const auto texts = number_texts();
  for (auto _ : state) {
    double sum = 0;
    for (const std::string& t : texts) {
      double v = 0;
      std::from_chars(t.data(), t.data() + t.size(), v);
      sum += v;
    }
    benchmark::DoNotOptimize(sum);
  }
}
BENCHMARK(BM_NumbersFromChars);

tinyad::Verdict verdict() {
  tinyad::Rng rng(7);
  tinyad::Verdict v;
  v.device = "fan-0042";
  v.score = 3.5 + rng.uniform();
  v.threshold = 12.25;
  for (int i = 0; i < 60; ++i) v.features.push_back(rng.uniform() * std::pow(10.0, i % 7 - 3));
  return v;
}

void BM_VerdictJson(benchmark::State& state) {
  const tinyad::Verdict v = verdict();
  for (auto _ : state) benchmark::DoNotOptimize(tinyad::verdict_json(v));
}
BENCHMARK(BM_VerdictJson);

// The nlohmann DOM that verdict_json built before.
void BM_VerdictJsonDom(benchmark::State& state) {
  const tinyad::Verdict v = verdict();
  for (auto _ : state) {
    nlohmann::ordered_json j = {{"device", v.device},
                                {"score", v.score},
                                {"threshold", v.threshold},
                                {"anomaly", v.anomaly},
                                {"features", v.features}};
    benchmark::DoNotOptimize(j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace));
  }
}
BENCHMARK(BM_VerdictJsonDom);

}  // namespace

BENCHMARK_MAIN();
