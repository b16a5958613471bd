// verdict.cpp: see verdict.h.
#include "verdict.h"

#include "core_model.h"

namespace tinyad {

WindowVerdict judge(double score, const Threshold& t) {
  return {score, t.value, verdict_anomalous(score, t.value)};
}

WindowVerdict judge_features(const CoreModel<double>& core, const Threshold& t, const double* features, size_t n) {
  return judge(core.score_or_nonfinite(features, n), t);
}

}  // namespace tinyad
