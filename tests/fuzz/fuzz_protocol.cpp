// fuzz_protocol.cpp: libFuzzer target for what a network peer controls: the
// HTTP request parser and the POST body parser. Checks, beyond "no crash,
// no sanitizer report": a parsed request never claims more bytes than it got,
// every refusal has a 4xx/5xx status and a one-line reason, a body that
// parses re-formats to JSON that parses to the same readings, and its CSV has
// one line per reading.
#include <algorithm>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

#include "http_request.h"
#include "sample_json.h"

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

void check_reason(int status, const std::string& reason) {
  check(status >= 400 && status <= 599);
  check(!reason.empty() && reason.find('\n') == std::string::npos);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  // First byte picks small limits sometimes, so the limit paths are reached.
  tinyad::HttpLimits limits;
  if (size > 0 && (data[0] & 1)) {
    limits.max_head = 64 + data[0];
    limits.max_body = 32 + data[0];
    limits.max_headers = 1 + (data[0] & 7);
  }
  tinyad::HttpRequest req;
  const tinyad::HttpParseResult r = tinyad::http_parse_request(input, limits, &req);
  if (r.state == tinyad::HttpParseState::kDone) {
    check(r.consumed <= size && req.body.size() == r.body_bytes && r.head_bytes + r.body_bytes == r.consumed);
    check(req.body.size() <= limits.max_body);
  } else if (r.state == tinyad::HttpParseState::kError) {
    check_reason(r.status, r.reason);
  }
  // The same bytes as a POST body.
  tinyad::SampleLimits sl;
  sl.max_readings = 64;
  tinyad::SampleWindow w;
  int status = 0;
  std::string err;
  if (tinyad::sample_json_parse(input, sl, &w, &status, &err)) {
    check(w.rows.size() % 3 == 0 && !w.rows.empty() && w.texts.size() == w.rows.size());
    // The stored CSV (numbers as sent) reads back as the same readings.
    const std::string csv = tinyad::sample_csv_format_sent(w);
    check(std::count(csv.begin(), csv.end(), '\n') == std::ptrdiff_t(w.size()));
    tinyad::SampleWindow back;
    check(tinyad::sample_json_parse(tinyad::sample_json_format(w.rows), sl, &back, &status, &err));
    check(back.rows == w.rows);
    // Every reading is exactly what from_chars makes of its text (the
    // parser's fast number path, json_number.h, must not differ by a bit).
    for (size_t i = 0; i < w.rows.size(); ++i) {
      double ref = 0;
      std::from_chars(w.texts[i].data(), w.texts[i].data() + w.texts[i].size(), ref);
      check(std::memcmp(&ref, &w.rows[i], sizeof ref) == 0);
    }
  } else {
    check_reason(status, err);
  }
  return 0;
}
