// report_model.cpp: see report_model.h.
#include "report_model.h"

#include <algorithm>
#include <cmath>

#include "roc.h"
#include "report_html.h"

namespace tinyad {
namespace {

using nlohmann::json;

json roc_json(const std::vector<double>& normal, const std::vector<double>& anomaly) {
  json fpr = json::array(), tpr = json::array();
  for (const RocPoint& p : roc_curve(normal, anomaly)) {
    fpr.push_back(p.fpr);
    tpr.push_back(p.tpr);
  }
  const auto auc = roc_auc(normal, anomaly);
  return {{"fpr", fpr}, {"tpr", tpr}, {"auc", auc ? json(*auc) : json(nullptr)}};
}

json model_json(const Model& m) {
  json threshold = {{"method", m.threshold.method},
                    {"param", m.threshold.param},
                    {"value", m.threshold.value},
                    {"spec", threshold_spec(m.threshold)}};
  json j = {{"detector", detector_name(m)},
            {"recipe", recipe_to_json(m.recipe)},
            {"feature_names", recipe_feature_names(m.recipe.core)},
            {"threshold", threshold},
            {"provenance", m.provenance}};
  std::visit(overloaded{[&](const MahalanobisModel& md) {
                          j[detector_name(m)] = {{"n_features", md.mean.size()},
                                              {"shrinkage", md.shrinkage},
                                              {"condition", md.condition}};
                        },
                        [](const AutoencoderModel&) {}},  // its shape is in the provenance
             m.detector);
  if (m.split) {
    j["split"] = {{"dataset", m.split->dataset},
                  {"seed", m.split->seed},
                  {"normal_labels", m.split->normal_labels},
                  {"n_train", m.split->train.size()},
                  {"n_validation", m.split->validation.size()},
                  {"n_test", m.split->test.size()}};
  }
  return j;
}

}  // namespace

LogHistogram log_histogram(const std::vector<std::vector<double>>& series, size_t n_bins, double include) {
  double lo = INFINITY, hi = include > 0 ? include : 0.0;
  for (const auto& s : series) {
    for (double v : s) {
      if (v > 0 && v < lo) lo = v;
      if (v > hi) hi = v;
    }
  }
  if (include > 0) lo = std::min(lo, include);
  if (!std::isfinite(lo)) lo = 1.0;
  if (hi <= lo) hi = lo * 10;
  // Widen by a hair so the extremes fall inside the outer bins.
  const double log_lo = std::log10(lo) - 1e-9, log_hi = std::log10(hi) + 1e-9;
  LogHistogram h;
  for (size_t i = 0; i <= n_bins; ++i)
    h.edges.push_back(std::pow(10.0, log_lo + (log_hi - log_lo) * double(i) / double(n_bins)));
  for (const auto& s : series) {
    std::vector<size_t> c(n_bins, 0);
    for (double v : s) {
      size_t b = 0;
      if (v > 0) {
        const double f = (std::log10(v) - log_lo) / (log_hi - log_lo) * double(n_bins);
        b = size_t(std::clamp(f, 0.0, double(n_bins - 1)));
      }
      c[b]++;
    }
    h.counts.push_back(std::move(c));
  }
  return h;
}

json report_model_data(const std::string& kind, const Model& model, const EvalResult& r) {
  json data;
  data["kind"] = kind;
  data["title"] = kind == "train" ? "tinyad training report" : "tinyad evaluation report";
  data["tool"] = std::string("tinyad ") + TINYAD_VERSION;
  data["eval"] = eval_to_json(r);
  data["model"] = model_json(model);

  std::vector<std::vector<double>> series;
  std::vector<double> normal, anomaly;
  for (const auto& l : r.per_label) {
    series.push_back(l.scores);
    auto& pool = l.normal ? normal : anomaly;
    pool.insert(pool.end(), l.scores.begin(), l.scores.end());
  }
  const LogHistogram h = log_histogram(series, 50, r.threshold);
  json labels = json::array();
  for (size_t i = 0; i < r.per_label.size(); ++i) {
    const LabelResult& l = r.per_label[i];
    labels.push_back({{"label", l.label}, {"normal", l.normal}, {"n", l.n}, {"flagged", l.flagged},
                      {"counts", h.counts[i]}});
  }
  data["histogram"] = {{"edges", h.edges}, {"labels", labels}, {"threshold", r.threshold}};

  json roc = {{"pooled", roc_json(normal, anomaly)}, {"per_label", json::array()}};
  for (const auto& l : r.per_label) {
    if (l.normal) continue;
    json one = roc_json(normal, l.scores);
    one["label"] = l.label;
    roc["per_label"].push_back(one);
  }
  data["roc"] = roc;
  report_add_loss_curves(&data, loss_curves_from_model(model));
  return data;
}

void report_add_loss_curves(json* data, const LossCurves& loss) {
  if (loss.train.empty()) return;
  (*data)["loss"] = {{"train", loss.train}, {"validation", loss.validation}};
}

LossCurves loss_curves_from_model(const Model& model) {
  LossCurves c;
  const json& p = model.provenance;
  if (!p.is_object() || !p.contains("loss_history")) return c;
  const json& h = p["loss_history"];
  auto numbers = [](const json& a) {
    std::vector<double> v;
    if (a.is_array())
      for (const auto& x : a)
        if (x.is_number()) v.push_back(x.get<double>());
    return v;
  };
  if (h.is_object()) {
    c.train = numbers(h.value("train", json::array()));
    c.validation = numbers(h.value("validation", json::array()));
  }
  return c;
}

LossCurves loss_curves_of(const TrainResult& r) {
  LossCurves c;
  if (r.autoencoder) {
    c.train = r.autoencoder->train_loss;
    c.validation = r.autoencoder->val_loss;
  }
  return c;
}

bool report_train_write(const TrainOptions& opt, const TrainResult& r, const std::string& path, std::string* err) {
  // Without anomaly labels training scores nothing; the held-out test split
  // of the normal labels is what the report can show.
  EvalResult ev;
  if (r.test_eval) {
    ev = *r.test_eval;
  } else {
    EvalOptions eo;
    eo.data = opt.data;
    eo.normal = opt.normal;
    eo.progress = opt.progress;
    if (!eval_run(r.model, eo, &ev, err)) return false;
  }
  json data = report_model_data("train", r.model, ev);
  const LossCurves loss = loss_curves_of(r);
  report_add_loss_curves(&data, loss);
  if (r.autoencoder) data["loss"]["best_epoch"] = r.autoencoder->best_epoch;
  return report_write_html(path, data, err);
}

bool report_eval_write(const Model& model, const EvalResult& r, const std::string& path, std::string* err) {
  return report_write_html(path, report_model_data("eval", model, r), err);
}

}  // namespace tinyad
