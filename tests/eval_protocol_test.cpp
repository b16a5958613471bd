// eval_protocol_test.cpp: the acceptance numbers of the core pipeline on the real
// ceiling-fan recordings, averaged over 10 seeds of the original protocol:
// normal = fan_0_low_0_weight-moving (60/20/20 split), anomalies = the five
// other speed/coin labels, plus false alarms on fan_0_low_0_weight, the same
// normal state recorded in another session.
#include <gtest/gtest.h>

#include <cstdio>
#include <map>

#include "false_alarm_rate.h"
#include "test_env.h"
#include "train.h"

namespace tinyad {
namespace {

const std::vector<std::string> kAnomalies = {"fan_0_med_0_weight", "fan_0_high_0_weight", "fan_0_low_1_weight",
                                             "fan_0_med_1_weight", "fan_0_high_1_weight"};
const char* kNormal = "fan_0_low_0_weight-moving";
const char* kOtherSession = "fan_0_low_0_weight";
constexpr int kSeeds = 10;

struct Averages {
  double auc = 0, other_fpr = 0;
  size_t test_false_alarms = 0, test_normal = 0;  // held-out test windows, pooled over the seeds
  std::map<std::string, double> label_auc, label_flagged;
};

// threshold: a rule by name, or empty for the recipe's default.
Averages run_protocol(const std::string& data, const std::string& recipe, const std::string& threshold = "") {
  Averages avg;
  for (int seed = 0; seed < kSeeds; ++seed) {
    TrainOptions opt;
    opt.data = data;
    opt.normal = {kNormal};
    opt.anomaly = kAnomalies;
    opt.recipe = recipe;
    opt.threshold = threshold;
    opt.seed = uint64_t(seed);
    opt.progress = false;
    TrainResult r;
    std::string err;
    EXPECT_TRUE(train_run(opt, &r, &err)) << err;
    if (!r.test_eval) return avg;
    const EvalResult& e = *r.test_eval;
    avg.auc += e.auc.value_or(0) / kSeeds;
    avg.test_false_alarms += e.fp;
    avg.test_normal += e.n_normal;
    for (const auto& l : e.per_label) {
      if (l.normal) continue;
      avg.label_auc[l.label] += l.auc.value_or(0) / kSeeds;
      avg.label_flagged[l.label] += double(l.flagged) / double(l.n) / kSeeds;
    }
    EvalResult other;
    EXPECT_TRUE(eval_run(r.model, {data, {kOtherSession}, {}, false}, &other, &err)) << err;
    avg.other_fpr += other.fpr / kSeeds;
  }
  std::printf("recipe %-8s pooled AUC %.3f, false alarms on %s %.1f%%\n", recipe.c_str(), avg.auc, kOtherSession,
              100 * avg.other_fpr);
  for (const auto& [label, auc] : avg.label_auc)
    std::printf("  %-22s AUC %.3f flagged %5.1f%%\n", label.c_str(), auc, 100 * avg.label_flagged[label]);
  return avg;
}

// The default threshold promises 1 % false alarms (cv-conformal): the pooled
// held-out rate's 95 % interval must contain it. At 1 % the medium speed is
// not flagged in every window: 2-3 % of the moving session's windows (its
// base being moved) score above it, so no threshold at 1 % can flag it all
// (docs/thresholds.md, bench/thresholds/oracle.py); 3.5*median, by name,
// trades 2.5 % false alarms for every med/high window.
TEST(Protocol, DefaultRecipeMeetsTheTargets) {
  std::string data;
  TINYAD_REQUIRE_ENV_PATH("TINYAD_DATA", data);
  Averages a = run_protocol(data, "default");
  EXPECT_GE(a.auc, 0.97);
  EXPECT_GE(a.label_auc["fan_0_low_1_weight"], 0.85);
  const RateCI fa = clopper_pearson(a.test_false_alarms, a.test_normal, 0.95);
  EXPECT_LE(fa.lo, 0.01) << a.test_false_alarms << "/" << a.test_normal;
  EXPECT_GE(fa.hi, 0.01) << a.test_false_alarms << "/" << a.test_normal;
  for (const char* label : {"fan_0_high_0_weight", "fan_0_high_1_weight"}) EXPECT_GE(a.label_flagged[label], 0.99) << label;
  // Measured 85-91 % for med_0 (the folds' shuffle moves the threshold), 94-96 % for med_1.
  for (const char* label : {"fan_0_med_0_weight", "fan_0_med_1_weight"}) EXPECT_GE(a.label_flagged[label], 0.80) << label;
  EXPECT_LE(a.other_fpr, 0.01);

  Averages m = run_protocol(data, "default", "3.5*median");
  for (const char* label : {"fan_0_med_0_weight", "fan_0_high_0_weight", "fan_0_med_1_weight", "fan_0_high_1_weight"})
    EXPECT_GE(m.label_flagged[label], 0.98) << label;
  EXPECT_LE(m.other_fpr, 0.03);
}

TEST(Protocol, OriginalRecipeIsNearTheOriginalSystem) {
  std::string data;
  TINYAD_REQUIRE_ENV_PATH("TINYAD_DATA", data);
  Averages a = run_protocol(data, "original");
  // DATA.md: the original method's pooled AUC is 0.923 +/- 0.042 over 20 splits.
  EXPECT_NEAR(a.auc, 0.92, 0.05);
  // Its hard case, the coin at the same speed, stays hard (about 0.66).
  EXPECT_LT(a.label_auc["fan_0_low_1_weight"], 0.8);
}

}  // namespace
}  // namespace tinyad
