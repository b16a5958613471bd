// c_export.h: a tinyad model as C/C++ headers for a microcontroller: the
// recipe, the detector's constants and the threshold (tinyad_model.h), and
// test windows with the host's scores for them (tinyad_test_windows.h), so a
// device can prove it computes what the host computed. Output is text only;
// the caller writes it (atomically).
#pragma once

#include <string>
#include <vector>

#include "model.h"
#include "tflite_import.h"

namespace tinyad {

/// One recording window to ship in the test header.
struct ExportWindow {
  std::string id;            // "label/NNNN.csv"
  std::vector<double> rows;  // (n_rows >= recipe window, 3) as read from the CSV
};

struct CExportOptions {
  std::string generated_by;  // the command line, for the first line of each file
  bool with_tflite = true;   // autoencoder: also embed the .tflite
  // Autoencoder, int8: the quantised network (parsed back from its .tflite,
  // whose bytes are embedded instead of the float32 ones). Null: float only.
  const TfliteNet* int8_net = nullptr;
  std::string int8_tflite;
  // Mahalanobis: the first `commission` test windows commission a device
  // baseline (core/tinyad_commission.h, float, the measured defaults) and the
  // rest are scored against it; the test header carries the host's float
  // threshold, scores and verdicts for the device to match. 0: none.
  uint32_t commission = 0;
};

/// Text of tinyad_model.h. Fails for a detector the runtime cannot run.
bool c_export_model(const Model& m, const CExportOptions& o, std::string* text, std::string* err);

/// Text of tinyad_test_windows.h: rows (float, and double under
/// TINYAD_TEST_DOUBLE), the host's float and double scores and verdicts,
/// and with o.commission the commissioning results (fails unless the model is
/// Mahalanobis and 3 <= o.commission < windows.size()).
bool c_export_test_windows(const Model& m, const std::vector<ExportWindow>& windows, const CExportOptions& o,
                           std::string* text, std::string* err);

/// Score of one window in float through the core, exactly as a device with
/// the exported float constants computes it.
bool c_export_float_score(const Model& m, const std::vector<double>& rows, float* score, std::string* err);

}  // namespace tinyad
