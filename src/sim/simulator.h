// simulator.h: synthetic fan vibration in the dataset layout, so the whole
// pipeline (collect, train, eval, demo) runs on a machine with no recordings.
// The model (docs/simulator.md): gravity on a tilted sensor, the motor's
// 120 Hz hum aliased to 80 Hz by 200 Hz sampling, rotation imbalance lines,
// structural modes and broadband vibration driven by the airflow, sensor
// noise, 14-bit quantisation (1/2048 g) and the firmware's 6-decimal output.
// Levels per label come from a fit to the real dataset
// (scripts/simulator/calibrate.py -> simulator_table.inc). Deterministic
// for a seed on every platform: tinyad::Rng and our own Gaussian, no <random>
// distributions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "rng.h"

namespace tinyad {

/// Component order of FanLabel::levels.
enum FanComponent {
  FAN_HUM,    // 120 Hz hum with its 106 / 134 Hz sidebands (amplitude of the 120 Hz line)
  FAN_ROT1,   // imbalance at the rotation frequency
  FAN_ROT2,   // its second harmonic
  FAN_M11,    // structural mode at 11 Hz (RMS)
  FAN_M14,    // structural mode at 14.5 Hz (RMS)
  FAN_M25,    // structural mode at 25.5 Hz (RMS)
  FAN_M50,    // broad, heavily damped response around 50 Hz (RMS)
  FAN_WHITE,  // broadband vibration + sensor noise (RMS)
  FAN_SWAY,   // base rocking at ~1 Hz, "moving" label only (RMS)
  FAN_COMPONENTS
};

/// One recording condition ("label") of the simulated fan.
struct FanLabel {
  std::string name;      // e.g. "fan_0_low_1_weight", "fan_0_low_0_weight-moving"
  double gravity[3];     // mean reading per axis; g
  double spread[3];      // window-to-window spread of the mean (base moved); g
  double hum_sd;         // window-to-window log-sd of the hum amplitude
  double gain_sd;        // window-to-window log-sd of the mechanical level
  double levels[3][FAN_COMPONENTS];  // (axis, component); g
};

/// The labels `simulate` writes: off/low/med/high x 0/1 coin, and
/// fan_0_low_0_weight-moving (the original's normal training label).
const std::vector<FanLabel>& simulator_labels();

/// Looks a label up by name; nullptr when unknown.
const FanLabel* simulator_find_label(const std::string& name);

/// "fan_0_<state>_<weight>_weight[-moving]"; state off|low|med|high, weight 0|1.
/// Returns "" (and sets *err) for an unknown state or weight.
std::string simulator_label_name(const std::string& state, int weight, bool moving, std::string* err);

/// Rotation frequency of a label's speed state (0 for off); Hz.
double simulator_rotation_hz(const std::string& label);

class FanSimulator {
 public:
  static constexpr double kRateHz = 200;        // sampling rate of the firmware
  static constexpr double kLsb = 1.0 / 2048;    // MSA301 at +-4 g, 14 bits; g

  /// `rate_hz`: the logger's sampling rate. The model is continuous in time
  /// and sampled at t = k / rate_hz with no anti-alias filter, so at 50 Hz
  /// every line above 25 Hz folds as a plain 50 Hz logger sees it: the
  /// 120 Hz hum (80 Hz at 200 Hz) to 20 Hz, its 106 / 134 Hz sidebands to 6 /
  /// 16 Hz, the 50 Hz mode to 0 Hz and the 25.5 Hz mode to 24.5 Hz. (Folding
  /// at 200 Hz first and then at 50 Hz gives the same lines, as 50 divides
  /// 200: the model's 200-Hz-aliased constants stay right.) 200 Hz gives
  /// the same files as before rates existed.
  FanSimulator(const FanLabel& label, uint64_t seed, double rate_hz = kRateHz);

  /// Next recording window: `rows` readings at the rate, (rows, 3) row-major, g,
  /// quantised and rounded to 6 decimals as the firmware prints them.
  void next_window(size_t rows, std::vector<double>* out);

 private:
  double gaussian();
  // Unit-variance resonant noise (2-pole resonator on white noise), n samples into out.
  void resonant_noise(double f0, double bandwidth, size_t n, double* out);

  FanLabel label_;
  double rotation_hz_;
  double rate_hz_;
  Rng rng_;
  void settle();

  double tilt_[3] = {0, 0, 0};      // current offset of the moved base; g
  double hum_axis_[3] = {1, 1, 1};  // current hum coupling per axis of the moved base
  bool have_spare_ = false;
  double spare_ = 0;
};

struct SimulateOptions {
  std::string out;                   // dataset folder to write
  std::vector<std::string> labels;   // empty: every label
  size_t windows = 300;              // per label
  size_t rows = 200;                 // per window
  double rate_hz = FanSimulator::kRateHz;  // sampling rate (FanSimulator)
  uint64_t seed = 1;
  bool progress = true;
};

/// Writes out/<label>/NNNN.csv for each label (each file atomically).
/// Existing files of the same names are replaced.
bool simulate_dataset(const SimulateOptions& opt, std::string* err);

}  // namespace tinyad
