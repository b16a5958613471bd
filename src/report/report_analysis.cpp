// report_analysis.cpp: see report_analysis.h. Every file is read once, in
// parallel; features come from the core's extractor (the numbers a model
// would compute), spectra from the core's FFT. Arrays meant only for
// plotting are rounded to 5 significant digits to keep the page small.
#include "report_analysis.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cctype>
#include <cstdlib>
#include <cstring>

#include "dataset.h"
#include "dataset_load.h"
#include "feature_ranking.h"
#include "feature_table.h"
#include "parallel_for.h"
#include "recipe.h"

namespace tinyad {
namespace {

using nlohmann::json;

double sig(double v) {
  if (!std::isfinite(v) || v == 0) return std::isfinite(v) ? v : 0.0;
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.5g", v);
  return std::strtod(buf, nullptr);
}

json rounded(const std::vector<double>& v) {
  json a = json::array();
  for (double x : v) a.push_back(sig(x));
  return a;
}

// Every feature group the core has, on linear scales: the distribution charts
// show g and g^2. The relative bands (band energy / the axis's total) come
// last: they are candidates for a recipe that survives a new session (the
// overall level moves between mountings, the spectrum's shape less), but they
// are listed apart from the per-feature table (see kApartGroup).
tinyad_recipe analysis_recipe(uint16_t window) {
  tinyad_recipe r{};
  r.window = window;
  const uint8_t groups[] = {TINYAD_FEATURE_MEAN, TINYAD_FEATURE_STD,  TINYAD_FEATURE_MAD,
                            TINYAD_FEATURE_SKEW, TINYAD_FEATURE_KURT, TINYAD_FEATURE_PTP,
                            TINYAD_FEATURE_CREST, TINYAD_FEATURE_CORR, TINYAD_FEATURE_BANDS,
                            TINYAD_FEATURE_BANDS_REL};
  r.n_groups = sizeof groups;
  for (uint8_t i = 0; i < r.n_groups; ++i) r.groups[i] = groups[i];
  // Equal bands over bins 1..N/2, as the default recipe (16 bands of 8 bins at W = 200).
  const size_t half = tinyad_recipe_fft_size(&r) / 2;
  r.n_bands = uint8_t(std::min<size_t>(16, half));
  const size_t width = half / r.n_bands;
  for (uint16_t b = 0; b <= r.n_bands; ++b) r.band_edges[b] = uint16_t(1 + width * b);
  r.mad_scale = TINYAD_MAD_SCALE;
  return r;
}

bool is_scale_group(const std::string& g) {
  return g == "std" || g == "mad" || g == "ptp" || g == "bands" || g == "bands_rel";
}

// The relative bands repeat the band spectrum's shape 48 times over; their
// per-feature rows go to ranking.relative_bands so the per-feature table and
// chart stay readable. Groups, the session-relative ranking and the detector
// check see them like any other group.
const char* const kApartGroup = "bands_rel";

// `s` as one shell word: quoted when it holds anything but [A-Za-z0-9_./,:=+-].
std::string shell_word(const std::string& s) {
  bool plain = !s.empty();
  for (char ch : s)
    if (!(std::isalnum(static_cast<unsigned char>(ch)) || std::strchr("_./,:=+-", ch))) plain = false;
  if (plain) return s;
  std::string q = "'";
  for (char ch : s) q += ch == '\'' ? std::string("'\\''") : std::string(1, ch);
  return q + "'";
}

std::string joined(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& x : v) out += (out.empty() ? "" : ",") + x;
  return out;
}

struct Loaded {
  std::vector<DatasetFile> files;          // the readable files, then the skipped ones
  std::vector<size_t> n_rows;              // per file; for skipped files the rows parsed (0 when unreadable)
  std::vector<std::string> errors;         // per file, empty when good
  std::vector<std::vector<double>> rows;   // per readable file, (n_rows, 3) readings
  Eigen::MatrixXd features;                // (readable files, n_features)
  Eigen::MatrixXd power;                   // (readable files, 3 * n_bins): mean-removed Hann |X_k|^2, k = 1..N/2
};

// The loaded table as the report uses it, plus each readable window's
// power spectrum per axis.
Loaded with_spectra(FeatureTable table, const tinyad_recipe& recipe) {
  Loaded out;
  const size_t n = table.files.size();
  const size_t w = recipe.window, n_fft = tinyad_recipe_fft_size(&recipe), n_bins = n_fft / 2;
  out.files = std::move(table.files);
  out.rows = std::move(table.readings);
  out.features = std::move(table.X);
  for (size_t i = 0; i < n; ++i) out.n_rows.push_back(out.rows[i].size() / 3);
  out.errors.assign(n, "");
  for (size_t i = 0; i < table.skipped.size(); ++i) {
    out.files.push_back(table.skipped_files[i].file);
    out.n_rows.push_back(table.skipped_files[i].n_rows);
    out.errors.push_back(table.skipped[i]);
  }
  out.power = Eigen::MatrixXd::Zero(Eigen::Index(n), Eigen::Index(3 * n_bins));
  struct Buffers {
    std::vector<double> hann, fft, tw;
  };
  auto make_buffers = [&] {
    Buffers b{std::vector<double>(w), std::vector<double>(2 * n_fft), std::vector<double>(n_fft)};
    tinyad_hann(b.hann.data(), w);
    tinyad_fft_twiddles(b.tw.data(), n_fft);
    return b;
  };
  parallel_for(n, make_buffers, [&](size_t i, Buffers& b) {
    const std::vector<double>& rows = out.rows[i];
    for (int a = 0; a < 3; ++a) {
      double mean = 0;
      for (size_t t = 0; t < w; ++t) mean += rows[3 * t + size_t(a)] / double(w);
      // The core's band-feature spectrum step (same fill, same FFT).
      tinyad_axis_fft(rows.data() + a, w, mean, b.hann.data(), b.fft.data(), b.tw.data(), n_fft);
      for (size_t k = 1; k <= n_bins; ++k)
        out.power(Eigen::Index(i), Eigen::Index(size_t(a) * n_bins + k - 1)) =
            b.fft[2 * k] * b.fft[2 * k] + b.fft[2 * k + 1] * b.fft[2 * k + 1];
    }
  });
  return out;
}

struct LabelRows {
  std::string label, role;     // role: "normal" or "anomaly"
  std::vector<size_t> good;    // indices into Loaded of readable files, in file order
  size_t n_files = 0;
};

// Up to `k` indices spread evenly over `v`, first included.
std::vector<size_t> spread(const std::vector<size_t>& v, size_t k) {
  if (v.size() <= k) return v;
  std::vector<size_t> out;
  for (size_t i = 0; i < k; ++i) out.push_back(v[i * v.size() / k]);
  return out;
}

json axis_arrays(const std::vector<double>& rows, size_t n_rows) {
  std::vector<double> x, y, z;
  for (size_t t = 0; t < n_rows; ++t) {
    x.push_back(rows[3 * t]);
    y.push_back(rows[3 * t + 1]);
    z.push_back(rows[3 * t + 2]);
  }
  return {{"x", rounded(x)}, {"y", rounded(y)}, {"z", rounded(z)}};
}

json dataset_json(const AnalysisOptions& opt, const Dataset& ds, const Loaded& L, const std::vector<LabelRows>& labels) {
  json out = {{"root", opt.data}, {"window", opt.window}, {"sample_rate", opt.sample_rate}};
  json rows = json::array();
  for (const auto& all_label : ds.labels) {
    auto it = std::find_if(labels.begin(), labels.end(), [&](const LabelRows& l) { return l.label == all_label; });
    json j = {{"label", all_label}};
    if (it == labels.end()) {
      std::vector<DatasetFile> files;
      std::string err;
      j["role"] = "not analysed";
      j["files"] = dataset_files(ds, {all_label}, &files, &err) ? json(files.size()) : json(nullptr);
      rows.push_back(j);
      continue;
    }
    std::vector<size_t> n_rows;
    for (size_t i = 0; i < L.files.size(); ++i)
      if (L.files[i].label == all_label) n_rows.push_back(L.n_rows[i]);
    std::sort(n_rows.begin(), n_rows.end());
    j["role"] = it->role;
    j["files"] = it->n_files;
    j["readable"] = it->good.size();
    j["bad"] = it->n_files - it->good.size();
    if (!n_rows.empty())
      j["rows"] = {{"min", n_rows.front()}, {"median", n_rows[n_rows.size() / 2]}, {"max", n_rows.back()}};
    rows.push_back(j);
  }
  out["labels"] = rows;
  json bad = json::array();
  size_t n_bad = 0;
  for (const auto& e : L.errors) {
    if (e.empty()) continue;
    if (bad.size() < 50) bad.push_back(e);
    ++n_bad;
  }
  out["bad_files"] = bad;
  out["n_bad"] = n_bad;
  return out;
}

// The groups with `bands` replaced by `bands_rel`.
std::vector<std::string> relative_variant(std::vector<std::string> groups) {
  for (auto& g : groups)
    if (g == "bands") g = "bands_rel";
  return groups;
}

json set_json(const SetScore& s) {
  json j = {{"groups", s.groups},         {"n_features", s.n_features},
            {"auc", s.auc},               {"detected", s.detected},
            {"false_alarms_test", s.false_alarms_test}, {"objective", s.objective}};
  j["false_alarms_other"] = s.false_alarms_other ? json(*s.false_alarms_other) : json(nullptr);
  return j;
}

}  // namespace

bool analysis_report_data(const AnalysisOptions& opt, json* out, std::string* err) {
  if (opt.normal.empty() || opt.anomaly.empty()) {
    *err = "analyze needs at least one --normal and one --anomaly label";
    return false;
  }
  if (!labels_disjoint(opt.normal, opt.anomaly, err)) return false;
  if (opt.window < 8 || opt.window > TINYAD_MAX_WINDOW) {
    *err = "--window must be 8.." + std::to_string(TINYAD_MAX_WINDOW) + " rows";
    return false;
  }
  std::vector<std::string> all = opt.normal;
  all.insert(all.end(), opt.anomaly.begin(), opt.anomaly.end());
  const tinyad_recipe recipe = analysis_recipe(opt.window);
  DatasetLoadOptions load;
  load.each_needed = true;  // every label is shown and compared
  load.keep_readings = true;
  load.progress = opt.progress;
  LoadedDataset loaded;
  if (!dataset_load(opt.data, all, recipe, selection_all(), load, &loaded, err)) return false;
  const Dataset& ds = loaded.dataset;
  const Loaded L = with_spectra(std::move(loaded.table), recipe);

  std::vector<LabelRows> labels;
  for (const auto& l : all) labels.push_back({l, std::find(opt.normal.begin(), opt.normal.end(), l) != opt.normal.end() ? "normal" : "anomaly", {}, 0});
  for (size_t i = 0; i < L.files.size(); ++i) {
    for (auto& l : labels) {
      if (l.label != L.files[i].label) continue;
      l.n_files++;
      if (L.errors[i].empty()) l.good.push_back(i);
    }
  }

  json data;
  data["kind"] = "analysis";
  data["title"] = "tinyad feature analysis";
  data["tool"] = std::string("tinyad ") + TINYAD_VERSION;
  data["normal"] = opt.normal;
  data["anomaly"] = opt.anomaly;
  data["dataset"] = dataset_json(opt, ds, L, labels);

  // Raw windows: the first readable file of each label; 3-D: three per label.
  json examples = json::array(), cloud = json::array();
  for (const auto& l : labels) {
    const size_t i = l.good.front();
    json e = axis_arrays(L.rows[i], opt.window);
    e["label"] = l.label;
    e["role"] = l.role;
    e["file"] = L.files[i].id();
    examples.push_back(e);
    std::vector<double> pts;
    json names = json::array();
    for (size_t j : spread(l.good, 3)) {
      pts.insert(pts.end(), L.rows[j].begin(), L.rows[j].begin() + long(3 * opt.window));
      names.push_back(L.files[j].id());
    }
    json c = axis_arrays(pts, pts.size() / 3);
    c["label"] = l.label;
    c["role"] = l.role;
    c["files"] = names;
    cloud.push_back(c);
  }
  data["examples"] = examples;
  data["scatter3d"] = cloud;

  // Averaged spectra per label and axis.
  const size_t n_fft = tinyad_recipe_fft_size(&recipe), n_bins = n_fft / 2;
  std::vector<double> freq;
  for (size_t k = 1; k <= n_bins; ++k) freq.push_back(double(k) * opt.sample_rate / double(n_fft));
  json spectra = {{"freq", freq}, {"n_fft", n_fft}, {"labels", json::array()}};
  for (const auto& l : labels) {
    Eigen::RowVectorXd mean = Eigen::RowVectorXd::Zero(L.power.cols());
    for (size_t i : l.good) mean += L.power.row(Eigen::Index(i)) / double(l.good.size());
    json s = {{"label", l.label}, {"role", l.role}, {"n", l.good.size()}};
    const char* axes[] = {"x", "y", "z"};
    for (size_t a = 0; a < 3; ++a) {
      std::vector<double> v(mean.data() + a * n_bins, mean.data() + (a + 1) * n_bins);
      s[axes[a]] = rounded(v);
    }
    spectra["labels"].push_back(s);
  }
  data["spectra"] = spectra;

  // The feature matrix of readable windows, as the detector sees it (scale
  // groups on a log scale, as the default recipe).
  FeatureColumns cols;
  cols.names = recipe_feature_names(recipe);
  for (uint8_t g = 0; g < recipe.n_groups; ++g)
    for (size_t k = 0; k < tinyad_group_size(&recipe, recipe.groups[g]); ++k)
      cols.groups.push_back(feature_group_name(recipe.groups[g]));
  std::vector<Eigen::Index> good_rows;
  for (const auto& l : labels)
    for (size_t i : l.good) {
      good_rows.push_back(Eigen::Index(i));
      cols.labels.push_back(l.label);
    }
  const Eigen::MatrixXd linear = L.features(good_rows, Eigen::all);
  Recipe default_recipe;
  if (!recipe_named("default", &default_recipe, err)) return false;
  const double eps = default_recipe.core.log_eps;
  cols.X = linear;
  for (Eigen::Index c = 0; c < cols.X.cols(); ++c)
    if (is_scale_group(cols.groups[size_t(c)])) cols.X.col(c) = (linear.col(c).array() + eps).log().matrix();

  // Distributions: every non-band feature (bands are the spectra), linear.
  json dist = {{"features", json::array()}, {"groups", json::array()}, {"labels", json::array()}};
  std::vector<Eigen::Index> dist_cols;
  for (size_t c = 0; c < cols.names.size(); ++c) {
    if (cols.groups[c] == "bands" || cols.groups[c] == kApartGroup) continue;
    dist_cols.push_back(Eigen::Index(c));
    dist["features"].push_back(cols.names[c]);
    dist["groups"].push_back(cols.groups[c]);
  }
  {
    size_t row = 0;
    for (const auto& l : labels) {
      std::vector<size_t> local(l.good.size());
      for (size_t k = 0; k < local.size(); ++k) local[k] = row + k;
      const auto shown = spread(local, opt.max_windows_shown);
      json values = json::array();
      for (Eigen::Index c : dist_cols) {
        std::vector<double> v;
        for (size_t r : shown) v.push_back(linear(Eigen::Index(r), c));
        values.push_back(rounded(v));
      }
      dist["labels"].push_back({{"label", l.label}, {"role", l.role}, {"n", shown.size()}, {"values", values}});
      row += l.good.size();
    }
  }
  data["distributions"] = dist;

  // One feature at a time.
  const auto ranks = rank_features(cols, opt.normal, opt.anomaly);
  json rank_rows = json::array(), apart_rows = json::array();
  for (const auto& r : ranks) {
    json j = {{"name", r.name}, {"group", r.group}, {"auc", r.auc}, {"separation", r.separation}, {"worst", r.worst},
              {"session_relative", r.session_relative}};
    j["drift"] = r.drift ? json(*r.drift) : json(nullptr);
    (r.group == kApartGroup ? apart_rows : rank_rows).push_back(j);
  }
  json group_rows = json::array();
  for (const auto& g : column_groups(cols)) {
    double sum = 0, best = 0, drift = 0, rel = 0, best_rel = 0;
    size_t n = 0;
    bool has_drift = false;
    for (const auto& r : ranks) {
      if (r.group != g) continue;
      sum += r.separation;
      best = std::max(best, r.separation);
      rel += r.session_relative;
      best_rel = std::max(best_rel, r.session_relative);
      if (r.drift) {
        drift += *r.drift;
        has_drift = true;
      }
      ++n;
    }
    group_rows.push_back({{"group", g}, {"n_features", n}, {"separation", sum / double(n)}, {"best", best},
                          {"drift", has_drift ? json(drift / double(n)) : json(nullptr)},
                          {"session_relative", rel / double(n)}, {"best_session_relative", best_rel}});
  }
  std::stable_sort(group_rows.begin(), group_rows.end(),
                   [](const json& a, const json& b) { return a["separation"].get<double>() > b["separation"].get<double>(); });
  // The same groups by how far anomalies move them relative to the spread
  // between normal sessions (FeatureRank::session_relative), best first.
  std::vector<std::pair<std::string, double>> by_session;
  for (const auto& g : group_rows) by_session.push_back({g["group"], g["session_relative"].get<double>()});
  std::stable_sort(by_session.begin(), by_session.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
  json session_order = json::array();
  for (const auto& [g, v] : by_session) session_order.push_back({{"group", g}, {"session_relative", v}});
  data["ranking"] = {{"features", rank_rows},
                     {"relative_bands", apart_rows},
                     {"groups", group_rows},
                     {"groups_by_session_relative", session_order},
                     {"n_sessions", opt.normal.size()}};

  // Feature groups as the detector uses them.
  SetSearchOptions so;
  so.seeds = opt.seeds;
  SetSearch search;
  if (!search_feature_sets(cols, opt.normal, opt.anomaly, so, &search, err)) return false;
  json sets = {{"threshold", so.threshold}, {"seeds", so.seeds}, {"min_gain", so.min_gain},
               {"trained_on", opt.normal.front()}, {"singles", json::array()}, {"path", json::array()},
               {"reference", json::array()}, {"recommended", search.recommended}};
  for (const auto& s : search.singles) sets["singles"].push_back(set_json(s));
  for (const auto& s : search.path) sets["path"].push_back(set_json(s));
  std::vector<std::string> default_groups;
  for (uint8_t g = 0; g < default_recipe.core.n_groups; ++g)
    default_groups.push_back(feature_group_name(default_recipe.core.groups[g]));
  const std::pair<const char*, std::vector<std::string>> references[] = {
      {"the default recipe", default_groups},
      {"statistics with the mean", {"mean", "std", "mad", "skew", "kurt", "ptp", "crest"}},
      {"mean, std, skew", {"mean", "std", "skew"}},
      {"the default recipe with relative bands", relative_variant(default_groups)},
      {"every group", column_groups(cols)}};
  for (const auto& [name, groups] : references) {
    SetScore s;
    if (!score_feature_set(cols, groups, opt.normal, opt.anomaly, so, &s, err)) return false;
    json j = set_json(s);
    j["name"] = name;
    sets["reference"].push_back(j);
  }
  data["feature_sets"] = sets;
  // The line that trains a model on the recommendation (the check trained on
  // the first normal label).
  data["train_command"] = "tinyad train --data " + shell_word(opt.data) + " --normal " +
                          shell_word(opt.normal.front()) + " --anomaly " + shell_word(joined(opt.anomaly)) +
                          " --features " + shell_word(joined(search.recommended)) + " -o model.json";

  // PCA of the recommended groups, a bounded number of windows per label.
  std::vector<Eigen::Index> pca_cols;
  for (size_t c = 0; c < cols.groups.size(); ++c)
    if (std::find(search.recommended.begin(), search.recommended.end(), cols.groups[c]) != search.recommended.end())
      pca_cols.push_back(Eigen::Index(c));
  const Pca2 pca = pca_2d(cols.X(Eigen::all, pca_cols));
  json pca_json = {{"groups", search.recommended}, {"explained", {pca.explained[0], pca.explained[1]}}, {"labels", json::array()}};
  {
    size_t row = 0;
    for (const auto& l : labels) {
      std::vector<size_t> local(l.good.size());
      for (size_t k = 0; k < local.size(); ++k) local[k] = row + k;
      std::vector<double> x, y;
      for (size_t r : spread(local, 2 * opt.max_windows_shown)) {
        x.push_back(pca.points(Eigen::Index(r), 0));
        y.push_back(pca.points(Eigen::Index(r), 1));
      }
      pca_json["labels"].push_back({{"label", l.label}, {"role", l.role}, {"x", rounded(x)}, {"y", rounded(y)}});
      row += l.good.size();
    }
  }
  data["pca"] = pca_json;
  *out = std::move(data);
  return true;
}

}  // namespace tinyad
