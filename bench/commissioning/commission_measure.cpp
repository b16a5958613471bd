// commission_measure.cpp: the measurement behind docs/commissioning.md (issue
// 11 part 3). Replays the ceiling-fan labels (TINYAD_DATA) in file order =
// recording order. The fleet model is the `default` recipe trained on
// fan_0_low_0_weight-moving (seed 0). For each label L taken as a newly
// mounted device's normal: commission on L's windows [start, start+K), then
// monitor the rest of L (false alarms) and every other label (flagged share:
// detection for another state of the same mounting, DATA.md's sessions
// S1 = off_0, low_0, med_0, high_0; S2 = low_1, med_1; S3 = high_1;
// S4 = low_0-moving). Each other label is replayed from the state reached
// at the end of L, tracking included (a copy per label).
//
// Candidates: fleet (no adaptation), recentre (fleet covariance and
// threshold, mean of the K windows), diag (core/tinyad_commission.h, the
// shipped rule, at several margins; "notrack" without drift tracking), and
// corr (diag's scales with the fleet model's correlation matrix as prior).
//
// Run: TINYAD_DATA=/work/shared/datasets/ceiling-fan build/bench/tinyad_commission_measure
#include <Eigen/Dense>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "dataset.h"
#include "feature_table.h"
#include "recipe.h"
#include "tinyad_commission.h"
#include "train.h"

namespace {

using tinyad::Model;
using RowMajor = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

const std::vector<std::string> kLabels = {"fan_0_off_0_weight",  "fan_0_low_0_weight", "fan_0_med_0_weight",
                                          "fan_0_high_0_weight", "fan_0_low_1_weight", "fan_0_med_1_weight",
                                          "fan_0_high_1_weight", "fan_0_low_0_weight-moving"};
const std::vector<std::string> kShort = {"off_0", "low_0", "med_0", "high_0", "low_1", "med_1", "high_1", "moving"};
const std::vector<int> kSession = {1, 1, 1, 1, 2, 2, 3, 4};

/// One device's detector: commissioned on K rows, then judges (and may
/// track) one window at a time.
struct Monitor {
  virtual ~Monitor() = default;
  virtual void commission(const RowMajor& X, Eigen::Index start, int k) = 0;
  virtual bool judge(const double* x) = 0;  // true = flagged
  virtual std::unique_ptr<Monitor> clone() const = 0;
};

struct FleetMonitor : Monitor {
  Eigen::VectorXd mean;
  const Eigen::MatrixXd* precision;
  double threshold;
  bool recentre;
  FleetMonitor(const tinyad::MahalanobisModel& m, double thr, bool rc)
      : mean(m.mean), precision(&m.precision), threshold(thr), recentre(rc) {}
  void commission(const RowMajor& X, Eigen::Index start, int k) override {
    if (recentre) mean = X.middleRows(start, k).colwise().mean().transpose();
  }
  bool judge(const double* x) override {
    const Eigen::VectorXd d = Eigen::Map<const Eigen::VectorXd>(x, mean.size()) - mean;
    return d.dot(*precision * d) > threshold;
  }
  std::unique_ptr<Monitor> clone() const override { return std::make_unique<FleetMonitor>(*this); }
};

/// The shipped rule: core/tinyad_commission.h in double.
struct DiagMonitor : Monitor {
  tinyad_commission<double> c{};
  tinyad_commission_params<double> p;
  std::vector<double> fleet_sd, buffer;
  bool track;
  DiagMonitor(tinyad_commission_params<double> params, std::vector<double> sd, bool tr)
      : p(params), fleet_sd(std::move(sd)), track(tr) {}
  void commission(const RowMajor& X, Eigen::Index start, int k) override {
    p.windows = uint32_t(k);
    buffer.assign(size_t(k) * X.cols(), 0.0);
    tinyad_commission_reset(&c, size_t(X.cols()), p, buffer.data());
    for (int i = 0; i < k; ++i) tinyad_commission_add(&c, X.row(start + i).data());
    if (tinyad_commission_finalize(&c, fleet_sd.data()) != TINYAD_STATUS_OK) std::abort();
  }
  bool judge(const double* x) override {
    double s = 0;
    bool a = false;
    tinyad_commission_score(&c, x, &s, &a);
    if (track) tinyad_commission_track(&c, x, s);
    return a;
  }
  std::unique_ptr<Monitor> clone() const override {
    auto m = std::make_unique<DiagMonitor>(*this);
    m->c.windows = m->buffer.data();
    return m;
  }
};

/// Candidate (c): the K windows' floored sds with the fleet correlation:
/// covariance = D R D, score = d^T cov^-1 d / n, LOO threshold, same tracking.
struct CorrMonitor : Monitor {
  Eigen::MatrixXd corr;  // fleet correlation
  Eigen::VectorXd fleet_sd, mean, origin, sd;
  Eigen::MatrixXd precision;
  double threshold = 0, floor_frac, margin;
  CorrMonitor(const tinyad::MahalanobisModel& m, double ff, double mg) : floor_frac(ff), margin(mg) {
    fleet_sd = m.covariance.diagonal().cwiseSqrt();
    corr = fleet_sd.cwiseInverse().asDiagonal() * m.covariance * fleet_sd.cwiseInverse().asDiagonal();
  }
  Eigen::MatrixXd precision_for(const Eigen::VectorXd& s) const {
    const Eigen::MatrixXd cov = s.asDiagonal() * corr * s.asDiagonal();
    return cov.ldlt().solve(Eigen::MatrixXd::Identity(cov.rows(), cov.cols()));
  }
  Eigen::VectorXd floored_sd(const Eigen::MatrixXd& W, const Eigen::VectorXd& mu) const {
    const Eigen::VectorXd s = ((W.rowwise() - mu.transpose()).colwise().squaredNorm() / double(W.rows() - 1)).cwiseSqrt();
    return s.cwiseMax(floor_frac * fleet_sd);
  }
  void commission(const RowMajor& X, Eigen::Index start, int k) override {
    const Eigen::MatrixXd W = X.middleRows(start, k);
    mean = W.colwise().mean().transpose();
    sd = floored_sd(W, mean);
    precision = precision_for(sd);
    double worst = 0;
    for (int j = 0; j < k; ++j) {
      Eigen::MatrixXd O(k - 1, W.cols());
      for (int i = 0, r = 0; i < k; ++i)
        if (i != j) O.row(r++) = W.row(i);
      const Eigen::VectorXd mu = O.colwise().mean().transpose();
      const Eigen::VectorXd d = W.row(j).transpose() - mu;
      worst = std::max(worst, d.dot(precision_for(floored_sd(O, mu)) * d) / double(W.cols()));
    }
    threshold = margin * worst;
    origin = mean;
  }
  bool judge(const double* x) override {
    const Eigen::Map<const Eigen::VectorXd> v(x, mean.size());
    const Eigen::VectorXd d = v - mean;
    const double s = d.dot(precision * d) / double(mean.size());
    if (s <= 0.5 * threshold) mean = (mean + 0.02 * (v - mean)).cwiseMax(origin - 3 * sd).cwiseMin(origin + 3 * sd);
    return s > threshold;
  }
  std::unique_ptr<Monitor> clone() const override { return std::make_unique<CorrMonitor>(*this); }
};

double flagged_share(Monitor* m, const RowMajor& X, Eigen::Index from) {
  int f = 0;
  for (Eigen::Index i = from; i < X.rows(); ++i) f += m->judge(X.row(i).data());
  return X.rows() > from ? double(f) / double(X.rows() - from) : 0;
}

}  // namespace

int main() {
  const char* root = std::getenv("TINYAD_DATA");
  if (!root) {
    std::fprintf(stderr, "set TINYAD_DATA to the ceiling-fan dataset folder\n");
    return 2;
  }
  std::string err;
  tinyad::TrainOptions to;
  to.data = root;
  to.normal = {"fan_0_low_0_weight-moving"};
  to.recipe = "default";
  to.seed = 0;
  to.progress = false;
  tinyad::TrainResult tr;
  if (!tinyad::train_run(to, &tr, &err)) {
    std::fprintf(stderr, "train: %s\n", err.c_str());
    return 1;
  }
  const auto& fleet = std::get<tinyad::MahalanobisModel>(tr.model.detector);
  const double fleet_thr = tr.model.threshold.value;
  std::vector<double> fleet_sd(size_t(fleet.covariance.rows()));
  for (size_t i = 0; i < fleet_sd.size(); ++i) fleet_sd[i] = std::sqrt(fleet.covariance(Eigen::Index(i), Eigen::Index(i)));

  tinyad::Dataset ds;
  if (!tinyad::dataset_open(root, &ds, &err)) {
    std::fprintf(stderr, "%s\n", err.c_str());
    return 1;
  }
  std::vector<RowMajor> X;
  for (const auto& label : kLabels) {
    std::vector<tinyad::DatasetFile> files;
    if (!tinyad::dataset_files(ds, {label}, &files, &err)) {
      std::fprintf(stderr, "%s\n", err.c_str());
      return 1;
    }
    X.push_back(tinyad::feature_table_load(files, tr.model.recipe.core, false).X);
  }

  using Factory = std::function<std::unique_ptr<Monitor>()>;
  std::vector<std::pair<std::string, Factory>> methods;
  methods.push_back({"fleet", [&] { return std::make_unique<FleetMonitor>(fleet, fleet_thr, false); }});
  methods.push_back({"recentre", [&] { return std::make_unique<FleetMonitor>(fleet, fleet_thr, true); }});
  for (double margin : {1.0, 1.5, 2.0}) {
    for (double floor : {0.1, 0.3}) {
      auto p = tinyad_commission_default_params<double>();
      p.margin = margin;
      p.sd_floor = floor;
      char name[64];
      std::snprintf(name, sizeof name, "diag m%.1f f%.1f", margin, floor);
      methods.push_back({name, [=] { return std::make_unique<DiagMonitor>(p, fleet_sd, true); }});
    }
  }
  {
    const auto p = tinyad_commission_default_params<double>();
    methods.push_back({"diag m1.5 f0.1 notrack", [=] { return std::make_unique<DiagMonitor>(p, fleet_sd, false); }});
  }
  methods.push_back({"corr m1.5 f0.1", [&] { return std::make_unique<CorrMonitor>(fleet, 0.1, 1.5); }});

  std::printf("fleet model: default recipe on fan_0_low_0_weight-moving, seed 0, threshold %.3f (%s)\n\n", fleet_thr,
              tinyad::threshold_spec(tr.model.threshold).c_str());
  // Per method, K and start: one row per commissioned label: false alarms on
  // the rest, flagged share of every label (its own label's cell = FA).
  std::printf("| method | K | start | commissioned on |");
  for (const auto& s : kShort) std::printf(" %s |", s.c_str());
  std::printf(" same-mounting detection (min) | other sessions flagged (min) |\n|---|---|---|---|");
  for (size_t i = 0; i < kShort.size() + 2; ++i) std::printf("---|");
  std::printf("\n");
  for (const auto& [name, make] : methods) {
    for (int k : {10, 30, 60}) {
      double worst_fa = 0, sum_fa = 0, min_det = 1;
      for (Eigen::Index start : {0, 100, 200}) {
        for (size_t l = 0; l < kLabels.size(); ++l) {
          auto m = make();
          m->commission(X[l], start, k);
          const double fa = flagged_share(m.get(), X[l], start + k);
          worst_fa = std::max(worst_fa, fa);
          sum_fa += fa;
          std::printf("| %s | %d | %ld | %s |", name.c_str(), k, long(start), kShort[l].c_str());
          double det = 1, other = 1;
          for (size_t o = 0; o < kLabels.size(); ++o) {
            if (o == l) {
              std::printf(" **%.1f**|", 100 * fa);
              continue;
            }
            auto c = m->clone();
            const double f = flagged_share(c.get(), X[o], 0);
            std::printf(" %.1f |", 100 * f);
            if (kSession[o] == kSession[l]) det = std::min(det, f);
            else other = std::min(other, f);
          }
          const bool has_same = kSession[l] <= 2;
          if (has_same) min_det = std::min(min_det, det);
          if (has_same) std::printf(" %.1f |", 100 * det);
          else std::printf(" - |");
          std::printf(" %.1f |\n", 100 * other);
        }
      }
      std::fprintf(stderr, "SUMMARY %-24s K=%2d  FA mean %.1f %% worst %.1f %%  same-mounting detection min %.1f %%\n",
                   name.c_str(), k, 100 * sum_fa / (3.0 * double(kLabels.size())), 100 * worst_fa, 100 * min_det);
    }
  }
  return 0;
}
