// json_number_test.cpp: the window parser's fast number path
// (json_number.h) against std::from_chars, the reference: on edge cases and
// on a few hundred thousand random numbers of every shape (shortest forms,
// fixed and scientific with 1-25 digits, exponents past the fast range), the
// fast path must either decline or give bit-identical doubles and the exact
// length of the JSON number; and it must take the firmware's plain decimals
// (or serve's parser is as slow as before).
#include "json_number.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cfloat>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <random>
#include <regex>
#include <string>
#include <vector>

#include "sample_json.h"

namespace tinyad {
namespace {

// The JSON number grammar (RFC 8259), independent of the code under test.
const std::regex& json_number_grammar() {
  static const std::regex re("-?(0|[1-9][0-9]*)(\\.[0-9]+)?([eE][+-]?[0-9]+)?");
  return re;
}

// Length of the JSON number at the start of s (0: none).
size_t grammar_length(const std::string& s) {
  std::smatch m;
  if (!std::regex_search(s, m, json_number_grammar(), std::regex_constants::match_continuous)) return 0;
  return size_t(m.length(0));
}

// Checks one text alone, and followed by more of a body (so the 8-byte
// digit reads see what comes after a number); returns whether the fast path
// took it.
bool check_one(const std::string& s);
bool check(const std::string& s) {
  const bool alone = check_one(s);
  const bool in_body = check_one(s + ",9876543210.25]}");
  EXPECT_EQ(alone, in_body) << s;
  return alone;
}

bool check_one(const std::string& s) {
  double fast = -12345.678;
  const size_t len = json_number_fast(s.data(), s.data() + s.size(), &fast);
  if (len == 0) {
    EXPECT_EQ(fast, -12345.678) << s << ": a declined number must leave *value alone";
    return false;
  }
  EXPECT_EQ(len, grammar_length(s)) << s << ": not the length of the JSON number";
  double ref = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + len, ref);
  EXPECT_TRUE(ec == std::errc() && end == s.data() + len) << s;
  EXPECT_EQ(std::bit_cast<uint64_t>(fast), std::bit_cast<uint64_t>(ref))
      << s << ": fast " << fast << " vs from_chars " << ref;
  return true;
}

std::string digits(std::mt19937_64& rng, int n, bool nonzero_first) {
  std::string d;
  for (int i = 0; i < n; ++i) {
    char c = char('0' + rng() % 10);
    if (i == 0 && nonzero_first && c == '0') c = '1';
    d += c;
  }
  return d;
}

TEST(JsonNumber, EdgeCasesMatchFromCharsOrAreDeclined) {
  const char* cases[] = {
      "0", "-0", "0.0", "-0.0", "0e0", "-0E-5", "0.000", "0e999", "1", "-1", "0.1", "0.2", "0.3",
      "0.30000000000000004", "4.35", "1e22", "1e23", "1E+22", "1e-22", "1e-23", "9007199254740991",
      "9007199254740992", "9007199254740993", "18446744073709551615", "1234567890123456789",
      "12345678901234567890", "0.000000000000000000001", "123456789012345.6789", "2.2250738585072014e-308",
      "5e-324", "1.7976931348623157e308", "1e309", "9.999999999999999e22", "0.0000001", "1.5E+3",
      "-0.012695", "0.000488", "0.203125", "2e-3", "0.970703", "1.0000000000000002", "3.141592653589793",
      "7.2057594037927933e16", "1.00000000000000000000", "0.1e1", "10e-1", "1e0000", "1e00022", "1e+0023",
      // Not JSON numbers, or followed by something else: declined, or only the number's own bytes.
      "", "-", "--1", "+1", ".5", "1.", "1.e5", "01", "00.5", "1e", "1e+", "1e-", "-.5", "1.5.3", "1,2",
      "1]", "2.5e3x", "NaN", "-Infinity", "inf", "1e-5 ", "0x10", "-01.5",
      // Bytes around the digits' range right after digits (':' is '9' + 1, '/' is '0' - 1, 0xfa + 6 carries).
      "12:345678", "1234/5678", "0.12\xfa45678", "0.1234567\xff9", "123456789012\x3a", "0.00000000001234",
  };
  for (const char* c : cases) check(c);
  // The firmware's forms are all taken.
  for (const char* c : {"-0.012695", "0.000488", "2e-3", "1", "0", "-0", "0.970703", "1e22", "9007199254740992"})
    EXPECT_TRUE(check(c)) << c;
}

TEST(JsonNumber, RandomNumbersOfEveryShapeMatchFromChars) {
  std::mt19937_64 rng(20261203);
  size_t taken = 0, total = 0, firmware_declined = 0;
  char buf[64];
  auto run = [&](const std::string& s) {
    ++total;
    taken += check(s);
  };
  for (int i = 0; i < 60000; ++i) {
    // Accelerometer-like readings, shortest round-trip form and fixed 1-9 decimals.
    const double g = std::uniform_real_distribution<double>(-16, 16)(rng);
    run(std::string(buf, std::to_chars(buf, buf + sizeof buf, g).ptr));
    std::snprintf(buf, sizeof buf, "%.*f", int(1 + rng() % 9), g);
    run(buf);
    // The firmware's form (at most 11 significant digits): always the fast path.
    firmware_declined += !check(buf);
    // Any double's bits: shortest, and %.Ng with 1-17 digits (exponents up to ±308).
    double any;
    do any = std::bit_cast<double>(rng()); while (!std::isfinite(any));
    const auto shortest = std::to_chars(buf, buf + sizeof buf, any);
    run(std::string(buf, shortest.ptr));
    std::snprintf(buf, sizeof buf, "%.*g", int(1 + rng() % 17), any);
    run(buf);
    // Digit strings: 1-25 integer and fraction digits, exponents -40..40,
    // around the edges of the fast range (2^53, 10^±22, 19 digits).
    std::string s = rng() % 2 ? "-" : "";
    const int int_digits = int(rng() % 12), frac_digits = int(rng() % 14);
    s += int_digits == 0 ? "0" : digits(rng, int_digits, true);
    if (frac_digits) s += "." + digits(rng, frac_digits, false);
    if (rng() % 2) s += std::string(rng() % 2 ? "e" : "E") + (rng() % 3 == 0 ? "+" : rng() % 2 ? "-" : "") +
                       std::to_string(rng() % 41);
    run(s);
  }
  // A good share of all shapes is on the fast path, and every firmware-like one.
#if defined(FLT_EVAL_METHOD) && FLT_EVAL_METHOD == 0
  EXPECT_GT(taken, total / 3) << taken << " of " << total;
  EXPECT_EQ(firmware_declined, 0u);
#endif
}

// The whole body through both paths: the fast path's doubles are the ones
// from_chars gives for each number's own text, as the parser keeps it.
TEST(JsonNumber, WindowBodyReadingsAreExactlyFromChars) {
  std::mt19937_64 rng(7);
  std::string body = "{\"x\":[";
  for (int i = 0; i < 600; ++i) {
    if (i == 200) body += "],\"y\":[";
    if (i == 400) body += "],\"z\":[";
    if (i % 200) body += ",";
    char buf[40];
    const double g = std::normal_distribution<double>(0.3, 0.5)(rng);
    std::snprintf(buf, sizeof buf, i % 3 ? "%.6f" : i % 5 ? "%.17g" : "%.3e", g);
    body += buf;
  }
  body += "]}";
  SampleWindow w;
  int status = 0;
  std::string err;
  ASSERT_TRUE(sample_json_parse(body, {}, &w, &status, &err)) << err;
  ASSERT_EQ(w.rows.size(), 600u);
  for (size_t i = 0; i < w.rows.size(); ++i) {
    double ref = 0;
    std::from_chars(w.texts[i].data(), w.texts[i].data() + w.texts[i].size(), ref);
    EXPECT_EQ(std::bit_cast<uint64_t>(w.rows[i]), std::bit_cast<uint64_t>(ref)) << w.texts[i];
  }
}

}  // namespace
}  // namespace tinyad
