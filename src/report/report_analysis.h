// report_analysis.h: the data behind `tinyad analyze`: what the recordings
// look like (raw windows, 3-D readings, spectra), how every feature is
// distributed per label, which features separate normal from anomalous
// windows (feature_ranking.h) and a PCA view. Returns JSON for report.js.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace tinyad {

struct AnalysisOptions {
  std::string data;
  std::vector<std::string> normal, anomaly;
  double sample_rate = 200.0;  // Hz, the recordings' nominal rate (frequency axis only)
  uint16_t window = 200;       // rows used from the start of each recording
  size_t max_windows_shown = 200;  // per label, in the distribution and PCA charts
  std::vector<uint64_t> seeds = {0, 1, 2};  // splits of the feature-set check
  bool progress = true;
};

/// Reads the labelled windows and assembles the analysis report's data.
/// Malformed or short files are listed in the data, never fatal; an unknown
/// label or a label without a single readable file is an error.
bool analysis_report_data(const AnalysisOptions& opt, nlohmann::json* out, std::string* err);

}  // namespace tinyad
