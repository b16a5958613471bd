// threshold_calibrate.h: a model's threshold fitted on the scores it gives
// normal windows (threshold.h does the rule, on scores alone; this file
// brings the model that makes the scores). Used when a foreign model is
// imported with --data and --normal.
#pragma once

#include <Eigen/Dense>
#include <string>

#include "model.h"

namespace tinyad {

/// Sets m->threshold from `spec` ("mean+3sd", a number, ...) fitted on the
/// scores of normal windows X (n_windows, n_features).
bool calibrate_threshold(Model* m, const std::string& spec, const Eigen::MatrixXd& X, std::string* err);

}  // namespace tinyad
