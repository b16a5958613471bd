// recipe.cpp: see recipe.h. Why the `default` recipe looks the way it does is
// measured in docs/recipe-search.md.
#include "recipe.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iterator>

namespace tinyad {
namespace {

const char* const kGroupNames[TINYAD_FEATURE_GROUP_COUNT] = {
    "mean", "std", "mad", "skew", "kurt", "ptp", "crest", "corr", "bands", "bands_rel"};

bool group_from_name(const std::string& name, uint8_t* group) {
  for (uint8_t g = 0; g < TINYAD_FEATURE_GROUP_COUNT; ++g) {
    if (name == kGroupNames[g]) {
      *group = g;
      return true;
    }
  }
  return false;
}

Recipe make_original() {
  // The original notebooks: first 128 rows, per-axis MAD scaled by 1.4826.
  Recipe r;
  r.name = "original";
  r.core.window = 128;
  r.core.n_groups = 1;
  r.core.groups[0] = TINYAD_FEATURE_MAD;
  r.core.mad_scale = TINYAD_MAD_SCALE;
  r.core.rate_hz = kDefaultRateHz;
  return r;
}

Recipe make_default() {
  // Chosen in docs/recipe-search.md: robust scale (MAD), shape (kurtosis,
  // crest factor), axis coupling (correlations) and 16 log band energies of
  // 6.25 Hz per axis. The mean is left out: it is the sensor's orientation,
  // which moves between sessions.
  Recipe r;
  r.name = "default";
  r.core.window = 200;
  r.core.mad_scale = TINYAD_MAD_SCALE;
  const uint8_t groups[] = {TINYAD_FEATURE_MAD, TINYAD_FEATURE_KURT, TINYAD_FEATURE_CREST,
                            TINYAD_FEATURE_CORR, TINYAD_FEATURE_BANDS};
  r.core.n_groups = sizeof groups;
  for (uint8_t i = 0; i < r.core.n_groups; ++i) r.core.groups[i] = groups[i];
  // Bands of 6.25 Hz from 0.78125 Hz: with a 256-point FFT of 200 rows at
  // 200 Hz (bin k is k * 0.78125 Hz) that is bins 1 + 8 b, as measured.
  for (int b = 0; b <= 16; ++b) r.band_edges_hz.push_back(0.78125 + 6.25 * b);
  r.core.log_scale = 1;
  r.core.log_eps = 1e-4;  // g or g^2: keeps near-silent bands from dominating
  std::string err;
  recipe_set_rate_window(&r, kDefaultRateHz, 200, &err);  // cannot fail: 16 bands as before
  return r;
}

std::string hz(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g Hz", v);
  return buf;
}

}  // namespace

bool recipe_set_rate_window(Recipe* r, double rate_hz, int window, std::string* err) {
  if (!(rate_hz >= 1.0 && rate_hz <= 1e6)) {
    *err = "sampling rate " + hz(rate_hz) + " is outside 1 Hz..1 MHz";
    return false;
  }
  if (window < 4 || window > TINYAD_MAX_WINDOW) {
    *err = "window " + std::to_string(window) + " is outside 4.." + std::to_string(TINYAD_MAX_WINDOW) + " rows";
    return false;
  }
  tinyad_recipe core = r->core;
  core.window = uint16_t(window);
  core.rate_hz = rate_hz;
  if (tinyad_recipe_uses_bands(&core)) {
    const double n = double(tinyad_recipe_fft_size(&core));
    const long half = long(n) / 2, top = half + 1;  // bins 1..half; an edge may be half + 1
    auto bin = [&](double f) { return std::lround(f * n / rate_hz); };  // exact for 200 Hz, 256 bins
    core.n_bands = 0;
    for (size_t b = 0; b + 1 < r->band_edges_hz.size(); ++b) {
      const double lo_hz = r->band_edges_hz[b];
      if (lo_hz >= rate_hz / 2) break;  // above Nyquist: this band does not exist at this rate
      const long lo = std::max(1L, bin(lo_hz)), hi = std::min(top, bin(r->band_edges_hz[b + 1]));
      if (hi <= lo) {
        *err = "a window of " + std::to_string(window) + " rows at " + hz(rate_hz) + " resolves " +
               hz(rate_hz / n) + ", too coarse for the band " + hz(lo_hz) + ".." +
               hz(r->band_edges_hz[b + 1]) + " (use a longer --window)";
        return false;
      }
      core.band_edges[core.n_bands] = uint16_t(lo);
      core.band_edges[core.n_bands + 1] = uint16_t(hi);
      ++core.n_bands;
      if (hi == top) break;  // cut at Nyquist
    }
    if (core.n_bands == 0) {
      *err = "no band of the recipe lies below the Nyquist frequency " + hz(rate_hz / 2);
      return false;
    }
  }
  const tinyad_status st = tinyad_recipe_check(&core);
  if (st != TINYAD_STATUS_OK) {
    *err = std::string("invalid recipe: ") + tinyad_status_str(st);
    return false;
  }
  r->core = core;  // band_edges_hz stays the definition, so another rate can be set later
  return true;
}

std::vector<std::string> recipe_names() { return {"default", "original"}; }

bool recipe_named(const std::string& name, Recipe* out, std::string* err) {
  if (name == "original") {
    *out = make_original();
    return true;
  }
  if (name == "default") {
    *out = make_default();
    return true;
  }
  *err = "unknown recipe '" + name + "' (known: default, original)";
  return false;
}

std::vector<std::string> feature_group_names() { return {std::begin(kGroupNames), std::end(kGroupNames)}; }

bool recipe_with_groups(const Recipe& base, const std::vector<std::string>& groups, Recipe* out, std::string* err) {
  auto known = [] {
    std::string list;
    for (const char* g : kGroupNames) list += (list.empty() ? "" : ", ") + std::string(g);
    return list;
  };
  if (groups.empty() || groups.size() > TINYAD_MAX_GROUPS) {
    *err = "--features needs 1.." + std::to_string(TINYAD_MAX_GROUPS) + " feature groups (known: " + known() + ")";
    return false;
  }
  Recipe r = base;
  r.name = "custom";
  r.core.n_groups = 0;
  for (const auto& name : groups) {
    uint8_t g;
    if (!group_from_name(name, &g)) {
      *err = "unknown feature group '" + name + "' (known: " + known() + ")";
      return false;
    }
    for (uint8_t i = 0; i < r.core.n_groups; ++i) {
      if (r.core.groups[i] == g) {
        *err = "feature group '" + name + "' is given twice";
        return false;
      }
    }
    r.core.groups[r.core.n_groups++] = g;
  }
  if (tinyad_recipe_uses_bands(&r.core) && r.core.n_bands == 0) {
    // Equal bands over bins 1..N/2, as `default` (16 bands of 8 bins at 200 rows).
    const size_t half = tinyad_recipe_fft_size(&r.core) / 2;
    r.core.n_bands = uint8_t(half < 16 ? half : 16);
    const size_t width = half / r.core.n_bands;
    for (uint16_t b = 0; b <= r.core.n_bands; ++b) r.core.band_edges[b] = uint16_t(1 + width * b);
    // The same bands in Hz, so a later --rate/--window (recipe_set_rate_window) keeps them.
    const double fft = double(tinyad_recipe_fft_size(&r.core));
    r.band_edges_hz.clear();
    for (uint16_t b = 0; b <= r.core.n_bands; ++b) r.band_edges_hz.push_back(r.core.band_edges[b] * r.core.rate_hz / fft);
  }
  const tinyad_status st = tinyad_recipe_check(&r.core);
  if (st != TINYAD_STATUS_OK) {
    *err = std::string("invalid recipe from --features: ") + tinyad_status_str(st);
    return false;
  }
  *out = r;
  return true;
}

const char* feature_group_name(uint8_t group) {
  return group < TINYAD_FEATURE_GROUP_COUNT ? kGroupNames[group] : "?";
}

nlohmann::json recipe_to_json(const Recipe& r) {
  nlohmann::json j;
  j["name"] = r.name;
  j["window"] = r.core.window;
  auto& features = j["features"] = nlohmann::json::array();
  for (uint8_t i = 0; i < r.core.n_groups; ++i) features.push_back(kGroupNames[r.core.groups[i]]);
  if (tinyad_recipe_uses_bands(&r.core)) {
    auto& edges = j["band_edges"] = nlohmann::json::array();
    for (size_t i = 0; i <= r.core.n_bands; ++i) edges.push_back(r.core.band_edges[i]);
    j["fft_size"] = tinyad_recipe_fft_size(&r.core);
    auto& edges_hz = j["band_edges_hz"] = nlohmann::json::array();  // informative: bins are what is computed
    const double n = double(tinyad_recipe_fft_size(&r.core));
    for (size_t i = 0; i <= r.core.n_bands; ++i) edges_hz.push_back(r.core.band_edges[i] * r.core.rate_hz / n);
  }
  j["rate_hz"] = r.core.rate_hz;
  j["mad_scale"] = r.core.mad_scale;
  j["log"] = r.core.log_scale != 0;
  if (r.core.log_scale) j["log_eps"] = r.core.log_eps;
  j["n_features"] = tinyad_recipe_n_features(&r.core);
  return j;
}

bool recipe_from_json(const nlohmann::json& j, Recipe* out, std::string* err) {
  try {
    Recipe r;
    r.name = j.value("name", std::string("custom"));
    const int window = j.at("window").get<int>();
    if (window < 4 || window > TINYAD_MAX_WINDOW) {
      *err = "recipe window " + std::to_string(window) + " is outside 4.." +
             std::to_string(TINYAD_MAX_WINDOW);
      return false;
    }
    r.core.window = uint16_t(window);
    const auto& features = j.at("features");
    if (!features.is_array() || features.empty() || features.size() > TINYAD_MAX_GROUPS) {
      *err = "recipe features must be a list of 1.." + std::to_string(TINYAD_MAX_GROUPS) + " names";
      return false;
    }
    for (const auto& f : features) {
      uint8_t g;
      if (!group_from_name(f.get<std::string>(), &g)) {
        *err = "unknown feature group '" + f.get<std::string>() + "'";
        return false;
      }
      r.core.groups[r.core.n_groups++] = g;
    }
    if (j.contains("band_edges")) {
      const auto& edges = j.at("band_edges");
      if (!edges.is_array() || edges.size() < 2 || edges.size() > TINYAD_MAX_BANDS + 1) {
        *err = "recipe band_edges must list 2.." + std::to_string(TINYAD_MAX_BANDS + 1) + " bins";
        return false;
      }
      r.core.n_bands = uint8_t(edges.size() - 1);
      for (size_t i = 0; i < edges.size(); ++i) r.core.band_edges[i] = edges[i].get<uint16_t>();
    }
    r.core.mad_scale = j.value("mad_scale", TINYAD_MAD_SCALE);
    r.core.log_scale = j.value("log", false) ? 1 : 0;
    r.core.log_eps = j.value("log_eps", 0.0);
    r.core.rate_hz = j.value("rate_hz", kDefaultRateHz);  // files from before rates: the firmware's 200 Hz
    if (!(r.core.rate_hz >= 1.0 && r.core.rate_hz <= 1e6)) {
      *err = "recipe rate_hz " + hz(r.core.rate_hz) + " is outside 1 Hz..1 MHz";
      return false;
    }
    if (tinyad_recipe_uses_bands(&r.core)) {
      const double n = double(tinyad_recipe_fft_size(&r.core));
      for (size_t i = 0; i <= r.core.n_bands; ++i) r.band_edges_hz.push_back(r.core.band_edges[i] * r.core.rate_hz / n);
    }
    const tinyad_status st = tinyad_recipe_check(&r.core);
    if (st != TINYAD_STATUS_OK) {
      *err = std::string("invalid recipe: ") + tinyad_status_str(st);
      return false;
    }
    *out = r;
    return true;
  } catch (const nlohmann::json::exception& e) {
    *err = std::string("invalid recipe: ") + e.what();
    return false;
  }
}

std::vector<std::string> recipe_feature_names(const tinyad_recipe& r) {
  static const char* const kAxes[] = {"x", "y", "z"};
  static const char* const kPairs[] = {"xy", "xz", "yz"};
  std::vector<std::string> names;
  for (uint8_t i = 0; i < r.n_groups; ++i) {
    const uint8_t g = r.groups[i];
    const std::string base = kGroupNames[g];
    if (g == TINYAD_FEATURE_BANDS || g == TINYAD_FEATURE_BANDS_REL) {
      for (const char* axis : kAxes) {
        for (uint8_t b = 0; b < r.n_bands; ++b) {
          char buf[48];
          std::snprintf(buf, sizeof buf, "%s%02u_%s", g == TINYAD_FEATURE_BANDS ? "band" : "relband",
                        unsigned(b), axis);
          names.push_back(buf);
        }
      }
    } else {
      for (int a = 0; a < 3; ++a) names.push_back(base + "_" + (g == TINYAD_FEATURE_CORR ? kPairs[a] : kAxes[a]));
    }
  }
  return names;
}

}  // namespace tinyad
