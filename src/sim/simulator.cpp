// simulator.cpp: see simulator.h. The unit components mirror
// scripts/simulator/fan_model.py, which fits their levels; change both
// together (the calibration table in docs/simulator.md shows the result).
#include "simulator.h"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <memory>

#include "progress.h"
#include "sample_json.h"
#include "sample_store.h"

namespace tinyad {
namespace {

constexpr double kPi = 3.14159265358979323846;
constexpr double kHumHz = 120;          // twice the 60 Hz mains
constexpr double kModHz = 14;           // the hum's modulation: sidebands at 106 and 134 Hz (alias: 94 and 66 Hz)
constexpr double kHumPm = 0.64;         // phase modulation index; rad
constexpr double kHumAm = -0.18;        // amplitude modulation depth
constexpr int kModes = 4;               // FAN_M11 .. FAN_M50
constexpr double kModeHz[kModes] = {11.0, 14.5, 25.5, 50.0};
constexpr double kModeBandwidthHz[kModes] = {2.0, 1.5, 2.0, 30.0};
constexpr double kSwayHz = 1.0, kSwayBandwidthHz = 1.0;
constexpr size_t kBurnIn = 400;         // resonator samples dropped so each window starts stationary
constexpr double kTiltChange = 0.25;    // chance per window that the moved base settles somewhere new
constexpr double kMoveEvent = 0.05;     // chance per window that the base is being moved during it
constexpr double kMoveHz = 1.2;         // the push: a decaying rock of the base; Hz
constexpr double kMoveDecayS = 0.3;     // its time constant; s
constexpr double kMoveG[3] = {0.03, 0.025, 0.005};  // its typical amplitude per axis; g
constexpr double kSpeedJitter = 0.01;   // relative, per window

struct RawLabel {
  const char* name;
  double gravity[3];
  double spread[3];
  double hum_sd, gain_sd;
  double levels[3][FAN_COMPONENTS];
};

const RawLabel kFitted[] = {
#include "simulator_table.inc"
};

std::vector<FanLabel> make_labels() {
  std::vector<FanLabel> out;
  for (const RawLabel& r : kFitted) {
    FanLabel l;
    l.name = r.name;
    for (int a = 0; a < 3; ++a) {
      l.gravity[a] = r.gravity[a];
      l.spread[a] = r.spread[a];
      for (int c = 0; c < FAN_COMPONENTS; ++c) l.levels[a][c] = r.levels[a][c];
    }
    l.hum_sd = r.hum_sd;
    l.gain_sd = r.gain_sd;
    out.push_back(l);
  }
  // A coin on a stopped fan changes nothing: off_1 is off_0's physics (the
  // real dataset has no off_1 recording to fit).
  for (const FanLabel& l : std::vector<FanLabel>(out)) {
    if (l.name == "fan_0_off_0_weight") {
      FanLabel coin = l;
      coin.name = "fan_0_off_1_weight";
      out.push_back(coin);
    }
  }
  return out;
}

std::string state_of(const std::string& label) {
  for (const char* s : {"off", "low", "med", "high"})
    if (label.find(std::string("_") + s + "_") != std::string::npos) return s;
  return "";
}

}  // namespace

const std::vector<FanLabel>& simulator_labels() {
  static const std::vector<FanLabel> labels = make_labels();
  return labels;
}

const FanLabel* simulator_find_label(const std::string& name) {
  for (const FanLabel& l : simulator_labels())
    if (l.name == name) return &l;
  return nullptr;
}

std::string simulator_label_name(const std::string& state, int weight, bool moving, std::string* err) {
  if (state != "off" && state != "low" && state != "med" && state != "high") {
    *err = "unknown fan state '" + state + "': expected off, low, med or high";
    return "";
  }
  if (weight != 0 && weight != 1) {
    *err = "unknown weight " + std::to_string(weight) + ": expected 0 (no coin) or 1 (a coin on a blade)";
    return "";
  }
  const std::string name = "fan_0_" + state + "_" + std::to_string(weight) + "_weight" + (moving ? "-moving" : "");
  if (!simulator_find_label(name)) {
    *err = "the simulator has no label " + name + " (moving is simulated for low_0 only)";
    return "";
  }
  return name;
}

double simulator_rotation_hz(const std::string& label) {
  const std::string s = state_of(label);
  if (s == "low") return 5.5;
  if (s == "med") return 8.5;
  if (s == "high") return 10.5;
  return 0;
}

FanSimulator::FanSimulator(const FanLabel& label, uint64_t seed, double rate_hz)
    : label_(label), rotation_hz_(simulator_rotation_hz(label.name)), rate_hz_(rate_hz), rng_(seed) {
  settle();
}

// The moved base settles at a new tilt, and with it the hum reaches each axis
// differently: per-axis hum gains, log-normal with mean square 1.
void FanSimulator::settle() {
  for (int a = 0; a < 3; ++a) {
    tilt_[a] = label_.spread[a] * gaussian();
    const double sd = label_.spread[0] > 0 ? label_.hum_sd : 0.0;
    hum_axis_[a] = std::exp(sd * gaussian() - sd * sd);
  }
}

double FanSimulator::gaussian() {
  // Marsaglia's polar method: exact, and only needs uniform doubles.
  if (have_spare_) {
    have_spare_ = false;
    return spare_;
  }
  double u, v, s;
  do {
    u = 2 * rng_.uniform() - 1;
    v = 2 * rng_.uniform() - 1;
    s = u * u + v * v;
  } while (s >= 1 || s == 0);
  const double f = std::sqrt(-2 * std::log(s) / s);
  spare_ = v * f;
  have_spare_ = true;
  return u * f;
}

void FanSimulator::resonant_noise(double f0, double bandwidth, size_t n, double* out) {
  // y_k = a1 y_{k-1} + a2 y_{k-2} + g e_k, poles at radius r and angle 2 pi f0 / fs;
  // g makes the stationary variance 1.
  const double r = std::exp(-kPi * bandwidth / rate_hz_);
  const double a1 = 2 * r * std::cos(2 * kPi * f0 / rate_hz_);
  const double a2 = -r * r;
  const double var = (1 - a2) / ((1 + a2) * ((1 - a2) * (1 - a2) - a1 * a1));
  const double g = 1 / std::sqrt(var);
  double y1 = 0, y2 = 0;
  for (size_t k = 0; k < kBurnIn + n; ++k) {
    const double y = a1 * y1 + a2 * y2 + g * gaussian();
    y2 = y1;
    y1 = y;
    if (k >= kBurnIn) out[k - kBurnIn] = y;
  }
}

void FanSimulator::next_window(size_t rows, std::vector<double>* out) {
  out->assign(rows * 3, 0.0);
  const double t0 = 1000 * rng_.uniform();  // s: a random moment, so line phases are random
  const double two_pi = 2 * kPi;
  // Log-normal gains with mean square 1, so the fitted levels stay the RMS.
  // A moved base changes the hum per axis (settle()); a still one varies it a little, all axes together.
  const double hum_sd = label_.spread[0] > 0 ? 0.1 : label_.hum_sd;
  const double hum_gain = std::exp(hum_sd * gaussian() - hum_sd * hum_sd);
  const double mech_gain = std::exp(label_.gain_sd * gaussian() - label_.gain_sd * label_.gain_sd);
  const double f_rot = rotation_hz_ * (1 + kSpeedJitter * gaussian());
  const double ph_hum[2] = {two_pi * rng_.uniform(), two_pi * rng_.uniform()};
  const double ph_rot1 = two_pi * rng_.uniform(), ph_rot1_z = two_pi * rng_.uniform();
  const double ph_rot2 = two_pi * rng_.uniform(), ph_rot2_z = two_pi * rng_.uniform();
  if (label_.spread[0] > 0 && rng_.uniform() < kTiltChange) settle();
  // Someone moving the base during this window: a push at a random moment,
  // then the base rocks and settles (heavy tails of the "-moving" recordings).
  double move_amp[3] = {0, 0, 0};
  double move_t0 = 0, move_ph = 0;
  if (label_.spread[0] > 0 && rng_.uniform() < kMoveEvent) {
    const double size = -std::log(1 - rng_.uniform());  // exponential, mean 1
    for (int a = 0; a < 3; ++a) move_amp[a] = kMoveG[a] * size * (rng_.uniform() < 0.5 ? -1 : 1);
    move_t0 = double(rows) / rate_hz_ * rng_.uniform();
    move_ph = two_pi * rng_.uniform();
  }
  std::vector<double> noise(rows);
  for (int a = 0; a < 3; ++a) {
    const double* lv = label_.levels[a];
    double* col = out->data() + a;
    // Structural modes, sway and broadband: random, independent per axis.
    for (int m = 0; m < kModes; ++m) {
      if (lv[FAN_M11 + m] == 0) continue;
      resonant_noise(kModeHz[m], kModeBandwidthHz[m], rows, noise.data());
      for (size_t k = 0; k < rows; ++k) col[3 * k] += mech_gain * lv[FAN_M11 + m] * noise[k];
    }
    if (lv[FAN_SWAY] > 0) {
      resonant_noise(kSwayHz, kSwayBandwidthHz, rows, noise.data());
      for (size_t k = 0; k < rows; ++k) col[3 * k] += mech_gain * lv[FAN_SWAY] * noise[k];
    }
    for (size_t k = 0; k < rows; ++k) col[3 * k] += mech_gain * lv[FAN_WHITE] * gaussian();
    // Lines: the hum is one force seen by every axis in phase; the imbalance
    // rotates, so x and y see it a quarter turn apart.
    for (size_t k = 0; k < rows; ++k) {
      const double t = t0 + double(k) / rate_hz_;
      const double mod = two_pi * kModHz * t + ph_hum[1];
      const double hum = (1 + kHumAm * std::cos(mod)) * std::cos(two_pi * kHumHz * t + ph_hum[0] + kHumPm * std::sin(mod));
      const double quarter = a == 1 ? -kPi / 2 : 0;
      const double p1 = a == 2 ? ph_rot1_z : ph_rot1 + quarter;
      const double p2 = a == 2 ? ph_rot2_z : ph_rot2 + quarter;
      double v = label_.gravity[a] + tilt_[a] + hum_gain * hum_axis_[a] * lv[FAN_HUM] * hum;
      const double since = double(k) / rate_hz_ - move_t0;
      if (move_amp[a] != 0 && since >= 0) {
        v += move_amp[a] * std::exp(-since / kMoveDecayS) * std::sin(two_pi * kMoveHz * since + move_ph);
      }
      if (f_rot > 0) {
        v += mech_gain * (lv[FAN_ROT1] * std::cos(two_pi * f_rot * t + p1) +
                          lv[FAN_ROT2] * std::cos(two_pi * 2 * f_rot * t + p2));
      }
      col[3 * k] += v;
    }
  }
  // The sensor's 14-bit steps, then the firmware's JSON with 6 decimals.
  for (double& v : *out) {
    v = std::round(v / kLsb) * kLsb;
    v = std::round(v * 1e6) / 1e6;
  }
}

bool simulate_dataset(const SimulateOptions& opt, std::string* err) {
  std::vector<const FanLabel*> labels;
  if (opt.labels.empty()) {
    for (const FanLabel& l : simulator_labels()) labels.push_back(&l);
  } else {
    for (const std::string& name : opt.labels) {
      const FanLabel* l = simulator_find_label(name);
      if (!l) {
        std::string known;
        for (const FanLabel& k : simulator_labels()) known += (known.empty() ? "" : ", ") + k.name;
        *err = "the simulator has no label '" + name + "' (labels: " + known + ")";
        return false;
      }
      labels.push_back(l);
    }
  }
  if (!(opt.rate_hz >= 1 && opt.rate_hz <= 1e5)) {
    *err = "simulate: rate outside 1..100000 Hz";
    return false;
  }
  if (opt.windows > 10000) {
    *err = "at most 10000 windows per label (file names 0000-9999), asked for " + std::to_string(opt.windows);
    return false;
  }
  std::unique_ptr<Progress> progress;
  if (opt.progress) progress = std::make_unique<Progress>("simulating", labels.size() * opt.windows);
  std::vector<double> rows;
  for (size_t li = 0; li < labels.size(); ++li) {
    const FanLabel& l = *labels[li];
    const std::filesystem::path dir = std::filesystem::path(opt.out) / l.name;
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) {
      *err = dir.string() + ": " + ec.message();
      return false;
    }
    // Each label has its own stream, so adding labels never changes the others.
    uint64_t seed = opt.seed;
    for (char c : l.name) seed = seed * 1099511628211ull + uint64_t(static_cast<unsigned char>(c));
    FanSimulator sim(l, seed, opt.rate_hz);
    for (size_t w = 0; w < opt.windows; ++w) {
      sim.next_window(opt.rows, &rows);
      const std::string name = sample_file_name(int(w));
      if (!write_file_replace((dir / name).string(), sample_csv_format(rows), err)) return false;
      if (progress) progress->add();
    }
  }
  return true;
}

}  // namespace tinyad
