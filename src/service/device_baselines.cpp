// device_baselines.cpp: see device_baselines.h.
#include "device_baselines.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>

#include "atomic_file.h"
#include "device_id.h"

namespace tinyad {

uint32_t baseline_default_calibrate(uint32_t learn) { return learn / 4 < 16 ? 16 : learn / 4; }

const char* baseline_phase_name(BaselinePhase p) {
  switch (p) {
    case BaselinePhase::kLearning: return "learning";
    case BaselinePhase::kCalibrating: return "calibrating";
    case BaselinePhase::kMonitoring: return "monitoring";
  }
  return "?";
}

namespace {

BaselinePhase phase_of(uint8_t core_phase) {
  if (core_phase == TINYAD_PHASE_LEARN) return BaselinePhase::kLearning;
  if (core_phase == TINYAD_PHASE_CALIBRATE) return BaselinePhase::kCalibrating;
  return BaselinePhase::kMonitoring;
}

// Symmetric (n, n) matrices are stored as their lower triangle, row by row.
nlohmann::json lower_triangle(const std::vector<double>& a, size_t n) {
  nlohmann::json out = nlohmann::json::array();
  for (size_t i = 0; i < n; ++i)
    for (size_t j = 0; j <= i; ++j) out.push_back(a[i * n + j]);
  return out;
}

bool numbers(const nlohmann::json& j, size_t count, std::vector<double>* out) {
  if (!j.is_array() || j.size() != count) return false;
  out->resize(count);
  for (size_t i = 0; i < count; ++i) {
    if (!j[i].is_number()) return false;
    (*out)[i] = j[i].get<double>();
    if (!std::isfinite((*out)[i])) return false;
  }
  return true;
}

tinyad_commission_params<double> commission_params(const BaselineOptions& o) {
  tinyad_commission_params<double> p = tinyad_commission_default_params<double>();
  p.windows = o.commission;
  return p;
}

}  // namespace

// One device: the core learner and the arrays it points into. m2 (the
// co-moments, n*n) is only needed while learning and is freed afterwards, so
// a monitored device holds its mean and precision: 8 (n^2 + n) bytes.
// Under --commission the device is the core's commissioning state instead
// (fixed arrays) and the buffer of its K windows, freed once it monitors.
struct DeviceBaselines::Device {
  std::vector<double> mean, m2, precision;
  tinyad_learner<double> l{};
  bool commission = false;
  tinyad_commission<double> c{};
  std::vector<double> windows;

  Device(size_t n, const BaselineOptions& o) : commission(o.commission > 0) {
    if (commission) {
      windows.assign(size_t(o.commission) * n, 0.0);
      tinyad_commission_reset(&c, n, commission_params(o), windows.data());
      return;
    }
    mean.assign(n, 0.0);
    m2.assign(n * n, 0.0);
    precision.assign(n * n, 0.0);
    tinyad_learner_init(&l, n, mean.data(), m2.data(), precision.data(), o.learn, o.calibrate, o.sd);
  }
  Device(const Device&) = delete;
  Device& operator=(const Device&) = delete;
  void drop_comoments() {
    std::vector<double>().swap(m2);
    l.cov.m2 = nullptr;
  }
  void drop_windows() {
    std::vector<double>().swap(windows);
    c.windows = nullptr;
  }
  BaselinePhase phase() const {
    if (commission) return c.phase == TINYAD_COMMISSION_MONITORING ? BaselinePhase::kMonitoring : BaselinePhase::kLearning;
    return phase_of(l.phase);
  }
  uint32_t learned() const { return commission ? c.count : l.cov.count; }
  uint32_t calibrated() const { return commission ? 0 : l.n_scores; }
  double threshold() const { return commission ? c.threshold : l.threshold; }
};

DeviceBaselines::DeviceBaselines(Recipe recipe, BaselineOptions options)
    : recipe_(std::move(recipe)), options_(options), n_(tinyad_recipe_n_features(&recipe_.core)) {}

DeviceBaselines::~DeviceBaselines() = default;

DeviceBaselines::Device* DeviceBaselines::create_locked(const std::string& device) {
  auto& slot = devices_[device];
  slot = std::make_unique<Device>(n_, options_);
  return slot.get();
}

bool DeviceBaselines::add(const std::string& device, const std::vector<double>& features, BaselineStep* out,
                          std::string* err) {
  if (features.size() != n_) {
    *err = "expected " + std::to_string(n_) + " features, got " + std::to_string(features.size());
    return false;
  }
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = devices_.find(device);
  Device* d = nullptr;
  if (it != devices_.end()) {
    d = it->second.get();
  } else {
    if (devices_.size() >= options_.max_devices) {
      *out = BaselineStep{};
      out->table_full = true;
      *err = "too many devices: already keeping " + std::to_string(options_.max_devices) + " baselines (the limit)";
      return false;
    }
    d = create_locked(device);
  }
  if (d->commission) return add_commission_locked(d, features, out, err);
  const BaselinePhase before = phase_of(d->l.phase);
  double score = 0;
  bool anomaly = false;
  const tinyad_status st = tinyad_learner_add(&d->l, features.data(), &score, &anomaly);
  *out = BaselineStep{};
  if (st == TINYAD_STATUS_SINGULAR) {
    out->restarted = true;  // the core has already started learning over
    urgent_ = true;
  } else if (st != TINYAD_STATUS_OK) {
    *err = std::string("the baseline refused the window: ") + tinyad_status_str(st);
    return false;
  }
  dirty_ = true;
  out->phase = phase_of(d->l.phase);
  out->scored = before != BaselinePhase::kLearning;
  out->monitored = before == BaselinePhase::kMonitoring;
  out->score = score;
  out->threshold = d->l.threshold;
  out->anomaly = anomaly;
  out->learned = d->l.cov.count;
  out->calibrated = d->l.n_scores;
  out->phase_changed = out->phase != before;
  if (out->phase_changed) urgent_ = true;
  if (before == BaselinePhase::kLearning && out->phase != BaselinePhase::kLearning) d->drop_comoments();
  return true;
}

// --commission: the window goes into the device's K commissioning windows
// (finalizing after the K-th), or is scored against its own baseline, which
// then follows it if it scored well inside the threshold.
bool DeviceBaselines::add_commission_locked(Device* d, const std::vector<double>& features, BaselineStep* out,
                                            std::string* err) {
  *out = BaselineStep{};
  const BaselinePhase before = d->phase();
  if (before == BaselinePhase::kLearning) {
    tinyad_status st = TINYAD_STATUS_OK;
    if (d->c.count < d->c.params.windows) st = tinyad_commission_add(&d->c, features.data());
    if (st != TINYAD_STATUS_OK) {
      *err = std::string("the baseline refused the window: ") + tinyad_status_str(st);
      return false;
    }
    if (d->c.count >= d->c.params.windows) {
      if (tinyad_commission_finalize(&d->c, options_.fleet_sd.data()) == TINYAD_STATUS_OK) {
        d->drop_windows();
      } else {  // K identical windows (a silent sensor): commission again
        d->windows.assign(size_t(d->c.params.windows) * n_, 0.0);
        tinyad_commission_reset(&d->c, n_, d->c.params, d->windows.data());
        out->restarted = true;
        urgent_ = true;
      }
    }
  } else {
    double score = 0;
    bool anomaly = false;
    const tinyad_status st = tinyad_commission_score(&d->c, features.data(), &score, &anomaly);
    if (st != TINYAD_STATUS_OK) {
      *err = std::string("the baseline refused the window: ") + tinyad_status_str(st);
      return false;
    }
    tinyad_commission_track(&d->c, features.data(), score);
    out->scored = out->monitored = true;
    out->score = score;
    out->anomaly = anomaly;
  }
  dirty_ = true;
  out->phase = d->phase();
  out->threshold = d->threshold();
  out->learned = d->learned();
  out->phase_changed = out->phase != before;
  if (out->phase_changed) urgent_ = true;
  return true;
}

const char* DeviceBaselines::phase_name(BaselinePhase p) const {
  if (commissioning_mode() && p == BaselinePhase::kLearning) return "commissioning";
  return baseline_phase_name(p);
}

bool DeviceBaselines::reset(const std::string& device) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (devices_.find(device) == devices_.end()) return false;
  create_locked(device);
  dirty_ = urgent_ = true;
  return true;
}

bool DeviceBaselines::forget(const std::string& device) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (devices_.erase(device) == 0) return false;
  dirty_ = urgent_ = true;
  return true;
}

bool DeviceBaselines::known(const std::string& device) const {
  std::lock_guard<std::mutex> lock(mutex_);
  return devices_.find(device) != devices_.end();
}

std::vector<BaselineInfo> DeviceBaselines::list() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<BaselineInfo> out;
  out.reserve(devices_.size());
  for (const auto& [name, d] : devices_) {
    out.push_back({name, d->phase(), d->learned(), d->calibrated(), d->threshold()});
  }
  return out;
}

std::array<size_t, 3> DeviceBaselines::phase_counts() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::array<size_t, 3> c{};
  for (const auto& [name, d] : devices_) ++c[size_t(d->phase())];
  return c;
}

bool DeviceBaselines::dirty() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return dirty_;
}

bool DeviceBaselines::urgent() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return urgent_;
}

// One device's entry of the file (under mutex_).
nlohmann::ordered_json DeviceBaselines::device_json_locked(const Device& d) const {
  if (d.commission) return commission_device_json(d);
  const BaselinePhase p = phase_of(d.l.phase);
  nlohmann::ordered_json e;
  e["phase"] = baseline_phase_name(p);
  e["learned"] = d.l.cov.count;
  e["mean"] = d.mean;
  if (p == BaselinePhase::kLearning) {
    e["m2"] = lower_triangle(d.m2, n_);
  } else {
    e["precision"] = lower_triangle(d.precision, n_);
    e["calibrated"] = d.l.n_scores;
    e["score_mean"] = d.l.score_mean;
    e["score_m2"] = d.l.score_m2;
    e["threshold"] = d.l.threshold;
  }
  return e;
}

std::string DeviceBaselines::to_json_text() {
  nlohmann::ordered_json j;
  j["format"] = kBaselinesFormat;
  j["version"] = commissioning_mode() ? kBaselinesCommissionVersion : kBaselinesVersion;
  j["recipe"] = recipe_to_json(recipe_);
  if (commissioning_mode()) {
    const auto p = commission_params(options_);
    j["commission"] = {{"windows", p.windows},         {"sd_floor", p.sd_floor},
                       {"margin", p.margin},           {"track_rate", p.track_rate},
                       {"track_below", p.track_below}, {"track_bound", p.track_bound}};
  } else {
    j["learn"] = options_.learn;
    j["calibrate"] = options_.calibrate;
    j["sd"] = options_.sd;
  }
  {
    // Changes from here on make the table dirty again (saved next time).
    std::lock_guard<std::mutex> lock(mutex_);
    dirty_ = urgent_ = false;
  }
  // One device per lock hold, not the whole table: a window waits at most
  // for one device's entry, not for 10,000 (posts stalled for a second while
  // a big table was saved). Each entry is consistent in itself; devices
  // added or forgotten meanwhile are in this file or the next. The entries
  // are written one per line after the head (an ordered_json object would
  // search its keys on every insertion: quadratic in the devices).
  constexpr auto kReplace = nlohmann::ordered_json::error_handler_t::replace;
  std::string head = j.dump(1, ' ', false, kReplace);
  head.resize(head.size() - 2);  // the closing "\n}"
  std::string text = head + ",\n \"devices\": {";
  std::string next;
  for (bool first = true;; first = false) {
    nlohmann::ordered_json e;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      auto it = first ? devices_.begin() : devices_.upper_bound(next);
      if (it == devices_.end()) break;
      next = it->first;
      e = device_json_locked(*it->second);
    }
    text += (first ? "\n  " : ",\n  ") + nlohmann::ordered_json(next).dump(-1, ' ', false, kReplace) + ": " +
            e.dump(-1, ' ', false, kReplace);
  }
  return text + "\n }\n}\n";
}

bool DeviceBaselines::from_json_text(const std::string& text, const std::string& where, std::string* err) {
  const nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    *err = where + ": not a JSON document (a damaged baselines file? move it away to start learning afresh)";
    return false;
  }
  // value() throws when a key holds another type: every field is checked first.
  if (!j.contains("format") || !j["format"].is_string() || j["format"].get<std::string>() != kBaselinesFormat) {
    *err = where + ": not a tinyad baselines file (expected \"format\": \"" + kBaselinesFormat + "\")";
    return false;
  }
  const int version = j.contains("version") && j["version"].is_number_integer() ? j["version"].get<int>() : 0;
  if (version != kBaselinesVersion && version != kBaselinesCommissionVersion) {
    *err = where + ": baselines file version " + (j.contains("version") ? j["version"].dump() : "(none)") +
           ", this tinyad reads versions " + std::to_string(kBaselinesVersion) + " (--learn) and " +
           std::to_string(kBaselinesCommissionVersion) + " (--commission)";
    return false;
  }
  if ((version == kBaselinesCommissionVersion) != commissioning_mode()) {
    *err = where + (commissioning_mode() ? ": holds --learn baselines (version 1), but this server commissions "
                                           "(--commission): serve with --learn, or give another --baselines file"
                                         : ": holds --commission baselines (version 2), but this server learns "
                                           "(--learn): serve with --commission, or give another --baselines file");
    return false;
  }
  const nlohmann::json mine = recipe_to_json(recipe_);
  if (!j.contains("recipe") || j["recipe"] != mine) {
    const nlohmann::json theirs = j.contains("recipe") && j["recipe"].is_object() ? j["recipe"] : nlohmann::json::object();
    const bool named = theirs.contains("name") && theirs["name"].is_string();
    const bool counted = theirs.contains("n_features") && theirs["n_features"].is_number_unsigned();
    *err = where + ": the baselines were learned on recipe '" +
           (named ? device_id_printable(theirs["name"].get<std::string>()) : std::string("?")) + "' (" +
           (counted ? std::to_string(theirs["n_features"].get<uint64_t>()) : std::string("?")) +
           " features), but this server computes recipe '" +
           recipe_.name + "' (" + std::to_string(n_) +
           " features): serve with the same recipe/model, or give another --baselines file";
    return false;
  }
  if (!j.contains("devices") || !j["devices"].is_object()) {
    *err = where + ": expected a \"devices\" object";
    return false;
  }
  if (j["devices"].size() > options_.max_devices) {
    *err = where + ": holds " + std::to_string(j["devices"].size()) + " devices, more than the limit " +
           std::to_string(options_.max_devices);
    return false;
  }
  std::map<std::string, std::unique_ptr<Device>> loaded;
  for (const auto& [name, e] : j["devices"].items()) {
    const std::string bad = where + ": device '" + device_id_printable(name) + "': ";
    // Ids from the file go where ids from clients go (metrics, JSON, logs).
    if (std::string why; name.size() > kDeviceIdMaxBytes || !device_id_valid(name, &why)) {
      *err = bad + (why.empty() ? "the id is longer than " + std::to_string(kDeviceIdMaxBytes) + " bytes"
                                : "the id " + why);
      return false;
    }
    auto d = std::make_unique<Device>(n_, options_);
    if (!device_from_json(e, bad, d.get(), err)) return false;
    loaded[name] = std::move(d);
  }
  std::lock_guard<std::mutex> lock(mutex_);
  devices_ = std::move(loaded);
  dirty_ = urgent_ = false;
  return true;
}

// One device's entry (device_json_locked's) into `d`, a fresh Device of
// the current options; `bad` starts the error ("<file>: device '<id>': ").
bool DeviceBaselines::device_from_json(const nlohmann::json& e, const std::string& bad, Device* d,
                                       std::string* err) const {
  const size_t tri = n_ * (n_ + 1) / 2;
  if (!e.is_object() || !e.contains("phase") || !e["phase"].is_string() || !e.contains("learned") ||
      !e["learned"].is_number_unsigned()) {
    *err = bad + "expected an object with \"phase\" and \"learned\"";
    return false;
  }
  if (d->commission) return commission_device_from_json(e, bad, d, err);
  const std::string phase = e["phase"].get<std::string>();
  std::vector<double> tri_values;
  if (!numbers(e.value("mean", nlohmann::json()), n_, &d->mean)) {
    *err = bad + "\"mean\" must be " + std::to_string(n_) + " finite numbers";
    return false;
  }
  d->l.cov.count = e["learned"].get<uint32_t>();
  const char* matrix = phase == "learning" ? "m2" : "precision";
  if (!numbers(e.value(matrix, nlohmann::json()), tri, &tri_values)) {
    *err = bad + "\"" + matrix + "\" must be " + std::to_string(tri) + " finite numbers (the lower triangle)";
    return false;
  }
  std::vector<double>& full = phase == "learning" ? d->m2 : d->precision;
  size_t k = 0;
  for (size_t i = 0; i < n_; ++i)
    for (size_t c = 0; c <= i; ++c) full[i * n_ + c] = full[c * n_ + i] = tri_values[k++];
  if (phase == "learning") {
    d->l.phase = TINYAD_PHASE_LEARN;
  } else if (phase == "calibrating" || phase == "monitoring") {
    if (d->l.cov.count <= n_ || !e.contains("calibrated") || !e["calibrated"].is_number_unsigned() ||
        !e.contains("score_mean") || !e["score_mean"].is_number() || !e.contains("score_m2") ||
        !e["score_m2"].is_number() || !e.contains("threshold") || !e["threshold"].is_number()) {
      *err = bad + "a learned baseline needs \"learned\" > " + std::to_string(n_) +
             " and numbers \"calibrated\", \"score_mean\", \"score_m2\", \"threshold\"";
      return false;
    }
    d->l.phase = phase == "calibrating" ? TINYAD_PHASE_CALIBRATE : TINYAD_PHASE_MONITOR;
    d->l.n_scores = e["calibrated"].get<uint32_t>();
    d->l.score_mean = e["score_mean"].get<double>();
    d->l.score_m2 = e["score_m2"].get<double>();
    d->l.threshold = e["threshold"].get<double>();
    d->drop_comoments();
  } else {
    *err = bad + "unknown phase '" + device_id_printable(phase) + "' (expected learning, calibrating or monitoring)";
    return false;
  }
  return true;
}

// A commissioned device: its phase, count, running (or tracked) mean, and
// while commissioning its sums and windows, else sd, threshold and origin.
nlohmann::ordered_json DeviceBaselines::commission_device_json(const Device& d) const {
  const size_t n = n_;
  auto vec = [n](const double* a) { return std::vector<double>(a, a + n); };
  nlohmann::ordered_json e;
  e["phase"] = phase_name(d.phase());
  e["learned"] = d.c.count;
  e["mean"] = vec(d.c.mean);
  if (d.phase() == BaselinePhase::kLearning) {
    e["m2"] = vec(d.c.m2);
    e["windows"] = std::vector<double>(d.windows.begin(), d.windows.begin() + std::ptrdiff_t(d.c.count * n));
  } else {
    e["origin"] = vec(d.c.origin);
    e["sd"] = vec(d.c.sd);
    e["threshold"] = d.c.threshold;
    e["tracked"] = d.c.tracked;
  }
  return e;
}

bool DeviceBaselines::commission_device_from_json(const nlohmann::json& e, const std::string& bad, Device* d,
                                                  std::string* err) const {
  const std::string phase = e["phase"].get<std::string>();
  const uint32_t count = e["learned"].get<uint32_t>();
  std::vector<double> mean, m2, windows, origin, sd;
  const std::string nums = std::to_string(n_) + " finite numbers";
  if (!numbers(e.value("mean", nlohmann::json()), n_, &mean)) {
    *err = bad + "\"mean\" must be " + nums;
    return false;
  }
  if (phase == "commissioning") {
    // The current --commission K applies; a device that already has K or
    // more windows finalizes on its next window.
    const uint32_t capacity = std::max(count, d->c.params.windows);
    d->windows.assign(size_t(capacity) * n_, 0.0);
    auto p = d->c.params;
    p.windows = std::max(p.windows, count);
    tinyad_commission_reset(&d->c, n_, p, d->windows.data());
    d->c.params.windows = commission_params(options_).windows;
    if (!numbers(e.value("m2", nlohmann::json()), n_, &m2) ||
        !numbers(e.value("windows", nlohmann::json()), size_t(count) * n_, &windows)) {
      *err = bad + "a commissioning device needs \"m2\" (" + nums + ") and \"windows\" (learned x " +
             std::to_string(n_) + " finite numbers)";
      return false;
    }
    d->c.count = count;
    std::copy(windows.begin(), windows.end(), d->windows.begin());
    std::copy(m2.begin(), m2.end(), d->c.m2);
  } else if (phase == "monitoring") {
    if (!numbers(e.value("origin", nlohmann::json()), n_, &origin) ||
        !numbers(e.value("sd", nlohmann::json()), n_, &sd) || !e.contains("threshold") ||
        !e["threshold"].is_number() || !(e["threshold"].get<double>() > 0) || !e.contains("tracked") ||
        !e["tracked"].is_number_unsigned()) {
      *err = bad + "a commissioned device needs \"origin\" and \"sd\" (" + nums +
             "), a \"threshold\" > 0 and a count \"tracked\"";
      return false;
    }
    for (double v : sd) {
      if (!(v > 0)) {
        *err = bad + "\"sd\" must be > 0";
        return false;
      }
    }
    d->drop_windows();
    d->c.phase = TINYAD_COMMISSION_MONITORING;
    d->c.count = count;
    d->c.threshold = e["threshold"].get<double>();
    d->c.tracked = e["tracked"].get<uint32_t>();
    std::copy(origin.begin(), origin.end(), d->c.origin);
    std::copy(sd.begin(), sd.end(), d->c.sd);
  } else {
    *err = bad + "unknown phase '" + device_id_printable(phase) + "' (expected commissioning or monitoring)";
    return false;
  }
  std::copy(mean.begin(), mean.end(), d->c.mean);
  return true;
}

std::string DeviceBaselines::device_state_text(const std::string& device) const {
  nlohmann::ordered_json j;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    const auto it = devices_.find(device);
    if (it == devices_.end()) return "";
    j["version"] = commissioning_mode() ? kBaselinesCommissionVersion : kBaselinesVersion;
    j["n_features"] = n_;
    j["device"] = device_json_locked(*it->second);
  }
  return j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

bool DeviceBaselines::restore_device_state(const std::string& device, const std::string& text,
                                           const std::string& where, std::string* err) {
  if (text.empty()) {
    forget(device);
    return true;
  }
  const std::string bad = where + ": the baseline of device '" + device_id_printable(device) + "': ";
  const nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  const int mine = commissioning_mode() ? kBaselinesCommissionVersion : kBaselinesVersion;
  if (j.is_discarded() || !j.is_object() || !j.contains("version") || !j["version"].is_number_integer() ||
      !j.contains("n_features") || !j["n_features"].is_number_unsigned() || !j.contains("device")) {
    *err = bad + "expected a JSON object with \"version\", \"n_features\" and \"device\"";
    return false;
  }
  if (j["version"].get<int>() != mine) {
    *err = bad + "version " + j["version"].dump() + ", this worker keeps version " + std::to_string(mine) +
           (commissioning_mode() ? " (--commission): give every worker the same --learn or --commission"
                                 : " (--learn): give every worker the same --learn or --commission");
    return false;
  }
  if (j["n_features"].get<uint64_t>() != n_) {
    *err = bad + "learned on " + j["n_features"].dump() + " features, this worker computes " + std::to_string(n_) +
           ": give every worker the same recipe/model";
    return false;
  }
  auto d = std::make_unique<Device>(n_, options_);
  if (!device_from_json(j["device"], bad, d.get(), err)) return false;
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = devices_.find(device);
  if (it == devices_.end() && devices_.size() >= options_.max_devices) {
    *err = bad + "too many devices: already keeping " + std::to_string(options_.max_devices) + " baselines (the limit)";
    return false;
  }
  devices_[device] = std::move(d);
  dirty_ = true;
  return true;
}

bool DeviceBaselines::save(const std::string& path, std::string* err) {
  const std::string text = to_json_text();
  if (write_file_atomic(path, text, err)) return true;
  std::lock_guard<std::mutex> lock(mutex_);
  dirty_ = true;  // try again next time
  return false;
}

bool DeviceBaselines::load(const std::string& path, bool* existed, std::string* err) {
  std::error_code ec;
  *existed = std::filesystem::exists(path, ec);
  if (!*existed && !ec) return true;
  std::string text;
  if (!read_file(path, &text, err)) return false;
  return from_json_text(text, path, err);
}

BaselineSaver::BaselineSaver(DeviceBaselines* table, std::string path, double period_s, Log log)
    : table_(table), path_(std::move(path)), period_s_(period_s), log_(std::move(log)) {
  thread_ = std::thread([this] { run(); });
}

BaselineSaver::~BaselineSaver() {
  std::string err;
  stop(&err);
}

void BaselineSaver::run() {
  using clock = std::chrono::steady_clock;
  const auto period = std::chrono::duration_cast<clock::duration>(std::chrono::duration<double>(period_s_));
  auto next = clock::now() + period;
  std::unique_lock<std::mutex> lock(mutex_);
  while (!stopping_) {
    // Poll once a second for urgent changes; save dirty tables every period.
    cv_.wait_for(lock, std::chrono::seconds(1), [this] { return stopping_; });
    if (stopping_) break;
    const bool due = clock::now() >= next;
    if (due) next = clock::now() + period;
    if (!table_->urgent() && !(due && table_->dirty())) continue;
    lock.unlock();
    std::string err;
    if (!table_->save(path_, &err) && log_) log_("cannot save the baselines: " + err);
    lock.lock();
  }
}

bool BaselineSaver::stop(std::string* err) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_ && !thread_.joinable()) return true;
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  if (!table_->dirty()) return true;
  return table_->save(path_, err);
}

}  // namespace tinyad
