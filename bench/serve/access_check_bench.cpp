// access_check_bench.cpp: what serve's access check (src/http/http_access.h)
// costs per window post, in CPU time: the device token compared in constant
// time against X-Device-Token, against no token configured. Run by
// bench/serve/device_token.sh, which sets it beside serve's measured rate.
#include <benchmark/benchmark.h>

#include <string>

#include "http_access.h"
#include "http_request.h"

namespace {

// A window post as the collect sketch sends it, with a 200-reading body.
tinyad::HttpRequest window_post() {
  std::string body = "{\"x\":[";
  for (int i = 0; i < 600; ++i) body += (i % 200 == 0 && i ? "],\"y\":[" : (i ? "," : "")) + std::string("0.012345");
  body += "]}";
  const std::string raw = "POST / HTTP/1.1\r\nHost: 192.168.1.68\r\nConnection: close\r\nX-Device-Id: esp32-fan-1\r\n"
                          "X-Device-Token: 0123456789abcdef0123456789abcdef\r\nContent-Type: application/json\r\n"
                          "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  tinyad::HttpRequest req;
  tinyad::http_parse_request(raw, tinyad::HttpLimits{}, &req);
  return req;
}

void check(benchmark::State& state, const std::string& device_token) {
  const tinyad::HttpRequest req = window_post();
  tinyad::HttpAccessPolicy p;
  p.device_token = device_token;
  tinyad::HttpAccess access(p);
  std::string why;
  for (auto _ : state) {
    auto r = access.check(req, &why);
    if (r) state.SkipWithError("refused");
    benchmark::DoNotOptimize(r);
  }
}

void BM_AccessCheckOpen(benchmark::State& s) { check(s, ""); }
void BM_AccessCheckDeviceToken(benchmark::State& s) { check(s, "0123456789abcdef0123456789abcdef"); }
BENCHMARK(BM_AccessCheckOpen);
BENCHMARK(BM_AccessCheckDeviceToken);

}  // namespace

BENCHMARK_MAIN();
