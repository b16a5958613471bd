// device_baselines.h: per-device Mahalanobis baselines for `tinyad serve
// --learn N` (issue 6): each device's first N windows train its own mean and
// covariance, the next M set its threshold (mean + K sd of their scores),
// then the device is monitored against it. The math is core's tinyad_learner
// (tinyad_online.h); this file only keeps one learner per device behind a
// lock, and reads/writes the table as JSON. What it avoids: HTTP, verdict
// JSON and alarms (inference_service.h), threads (BaselineSaver below is the
// only one, and it only writes the file).
#pragma once

#include <array>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "recipe.h"
#include "tinyad_commission.h"
#include "tinyad_online.h"

namespace tinyad {

inline constexpr const char* kBaselinesFormat = "tinyad-baselines";
inline constexpr int kBaselinesVersion = 1;
// --commission K writes version 2 (a diagonal baseline per device); --learn
// files stay version 1, so they load in older and newer servers alike.
inline constexpr int kBaselinesCommissionVersion = 2;

struct BaselineOptions {
  uint32_t learn = 0;      // windows that train the mean and covariance (> the feature count)
  uint32_t calibrate = 0;  // further windows whose scores set the threshold (>= 2)
  double sd = 3;           // threshold = mean + sd * (population) sd of the calibration scores
  size_t max_devices = 10000;
  // --commission K (docs/commissioning.md): instead of learn/calibrate, each
  // device commissions a diagonal baseline on its first K windows
  // (core/tinyad_commission.h, the measured defaults). 0: off.
  uint32_t commission = 0;
  std::vector<double> fleet_sd;  // with commission: the fleet model's per-feature sd (scale of the sd floor)
};

/// The default --calibrate for --learn N: N/4, at least 16 (docs/baselines.md).
uint32_t baseline_default_calibrate(uint32_t learn);

enum class BaselinePhase { kLearning, kCalibrating, kMonitoring };
const char* baseline_phase_name(BaselinePhase p);  // "learning", "calibrating", "monitoring"

/// What one window did to its device's baseline.
struct BaselineStep {
  BaselinePhase phase = BaselinePhase::kLearning;  // after this window
  bool scored = false;     // score is set (calibrating or monitoring before this window)
  bool monitored = false;  // threshold and anomaly are set (the device was monitoring)
  double score = 0, threshold = 0;
  bool anomaly = false;
  uint32_t learned = 0, calibrated = 0;  // windows so far in each phase (commission: learned = commissioned)
  bool restarted = false;  // the covariance was singular: learning starts over
  bool phase_changed = false;
  bool table_full = false;  // add() refused a new device: the table is at max_devices
};

/// One device as GET /devices lists it.
struct BaselineInfo {
  std::string device;
  BaselinePhase phase = BaselinePhase::kLearning;
  uint32_t learned = 0, calibrated = 0;
  double threshold = 0;  // valid when monitoring
};

class DeviceBaselines {
 public:
  /// `recipe` names the features the baselines are learned on; a file
  /// written for another recipe is refused.
  DeviceBaselines(Recipe recipe, BaselineOptions options);
  ~DeviceBaselines();
  DeviceBaselines(const DeviceBaselines&) = delete;
  DeviceBaselines& operator=(const DeviceBaselines&) = delete;

  /// Feeds one window's features to the device's learner (created on first
  /// sight). False (*err set) when the table is full for a new device
  /// (out->table_full set), the feature count is wrong or a value is not
  /// finite.
  bool add(const std::string& device, const std::vector<double>& features, BaselineStep* out, std::string* err);

  /// The phase as /devices and the verdict name it: "commissioning" for
  /// kLearning under --commission, else baseline_phase_name().
  const char* phase_name(BaselinePhase p) const;
  bool commissioning_mode() const { return options_.commission > 0; }

  /// Forgets the device's baseline: it learns (commissions) again. False if unknown.
  bool reset(const std::string& device);
  /// Removes the device from the table (its slot is free). False if unknown.
  bool forget(const std::string& device);

  std::vector<BaselineInfo> list() const;
  bool known(const std::string& device) const;
  /// Devices per phase, indexed by BaselinePhase.
  std::array<size_t, 3> phase_counts() const;
  const BaselineOptions& options() const { return options_; }
  const Recipe& recipe() const { return recipe_; }
  size_t n_features() const { return n_; }

  /// The whole table as the file's JSON text; clears the dirty flag. Takes
  /// the lock once per device, so windows are not held up by a big table.
  std::string to_json_text();
  /// Replaces the table with a file's content. A different format, version,
  /// recipe or damaged device entry is an error naming `where` (the file).
  bool from_json_text(const std::string& text, const std::string& where, std::string* err);

  /// Writes the table to `path` atomically (write-then-rename).
  bool save(const std::string& path, std::string* err);
  /// Loads `path`; a missing file is not an error (*existed = false).
  bool load(const std::string& path, bool* existed, std::string* err);

  /// One device's baseline as one line of JSON: the file's version and
  /// feature count and the device's entry, as to_json_text() writes it
  /// (doubles in the shortest text that reads back to the same bits). ""
  /// when the device has none. serve --nats stores it with the device's
  /// answers, so that the next worker to own the device goes on from it.
  std::string device_state_text(const std::string& device) const;
  /// Makes the device's baseline the one in `text` (device_state_text()'s),
  /// or forgets it when `text` is "". False with a one-line reason (naming
  /// `where`) for another version (--learn vs --commission), feature count
  /// or a damaged entry, or a new device while the table is full.
  bool restore_device_state(const std::string& device, const std::string& text, const std::string& where,
                            std::string* err);

  /// Changed since the last to_json_text(); urgent: a phase change or a reset.
  bool dirty() const;
  bool urgent() const;

 private:
  struct Device;
  Device* create_locked(const std::string& device);
  bool add_commission_locked(Device* d, const std::vector<double>& features, BaselineStep* out, std::string* err);
  nlohmann::ordered_json commission_device_json(const Device& d) const;
  nlohmann::ordered_json device_json_locked(const Device& d) const;
  bool device_from_json(const nlohmann::json& e, const std::string& bad, Device* d, std::string* err) const;
  bool commission_device_from_json(const nlohmann::json& e, const std::string& bad, Device* d, std::string* err) const;

  Recipe recipe_;
  BaselineOptions options_;
  size_t n_;
  mutable std::mutex mutex_;
  std::map<std::string, std::unique_ptr<Device>> devices_;
  bool dirty_ = false, urgent_ = false;
};

/// Writes the table to its file off the request path: within a second after
/// a phase change or reset (it polls: no hook on the request path), every
/// `period` seconds while it has changed, and a last time in stop(). Failures go to `log` (learning goes on in memory).
class BaselineSaver {
 public:
  using Log = std::function<void(const std::string& line)>;
  BaselineSaver(DeviceBaselines* table, std::string path, double period_s, Log log);
  ~BaselineSaver();
  /// Stops the thread and writes a final time if anything changed. False
  /// with *err if that write failed.
  bool stop(std::string* err);

 private:
  void run();
  DeviceBaselines* table_;
  std::string path_;
  double period_s_;
  Log log_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace tinyad
