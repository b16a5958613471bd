// fuzz_baselines.cpp: libFuzzer target for serve's --baselines file
// (device_baselines.h), for --learn (even first byte) and --commission (odd).
// Beyond no crash: a refusal names the file in one line; a file that loads
// saves to text that loads again and saves the same; every device in it then
// takes windows (a loaded precision or sd of the wrong size would crash here).
#include <string>
#include <vector>

#include "device_baselines.h"
#include "fuzz_check.h"
#include "recipe.h"

using tinyad::fuzz::check;
using tinyad::fuzz::check_reason;

namespace {

tinyad::BaselineOptions options(bool commission) {
  tinyad::BaselineOptions o;
  o.max_devices = 64;
  if (commission) {
    o.commission = 5;
    o.fleet_sd = {1, 1, 1};
  } else {
    o.learn = 8;
    o.calibrate = 4;
  }
  return o;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  static const tinyad::Recipe recipe = [] {
    tinyad::Recipe r;
    std::string err;
    check(tinyad::recipe_named("original", &r, &err));
    return r;
  }();
  const bool commission = data[0] & 1;
  const std::string text(reinterpret_cast<const char*>(data + 1), size - 1);
  tinyad::DeviceBaselines table(recipe, options(commission));
  std::string err;
  if (!table.from_json_text(text, "bl.json", &err)) {
    check_reason(err, "bl.json");
    return 0;
  }
  const std::string saved = table.to_json_text();
  tinyad::DeviceBaselines again(recipe, options(commission));
  check(again.from_json_text(saved, "saved", &err));
  check(again.to_json_text() == saved);
  // Every loaded device takes windows in whatever phase it is in.
  for (const tinyad::BaselineInfo& b : table.list()) {
    for (int i = 0; i < 3; ++i) {
      tinyad::BaselineStep step;
      const std::vector<double> f = {1.0 + 0.1 * i, 2.0 - 0.05 * i, 0.5 + 0.02 * i};
      if (!table.add(b.device, f, &step, &err)) check_reason(err);
    }
  }
  return 0;
}
