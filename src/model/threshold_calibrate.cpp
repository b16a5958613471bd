// threshold_calibrate.cpp: see threshold_calibrate.h.
#include "threshold_calibrate.h"

#include <vector>

#include "threshold.h"

namespace tinyad {

bool calibrate_threshold(Model* m, const std::string& spec, const Eigen::MatrixXd& X, std::string* err) {
  Threshold t;
  if (!threshold_parse(spec, &t, err)) return false;
  const Eigen::VectorXd s = model_scores(*m, X);
  if (!threshold_fit(std::vector<double>(s.begin(), s.end()), &t, err)) return false;
  m->threshold = t;
  return true;
}

}  // namespace tinyad
