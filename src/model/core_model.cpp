// core_model.cpp: see core_model.h. The conversions are plain T(double)
// casts, the ones the C export writes, so CoreModel<float> scores what a
// device with the generated header scores, bit for bit.
#include "core_model.h"

#include <limits>

#include "tinyad_dense.h"
#include "tinyad_mahalanobis.h"

namespace tinyad {

template <typename T>
tinyad_status CoreModel<T>::score(const T* features, size_t n, T* out) const {
  return std::visit(
      overloaded{[&](const CoreMahalanobis<T>& c) {
                   const tinyad_mahalanobis<T> m{n_features, c.mean.data(), c.precision.data()};
                   return tinyad_mahalanobis_score(&m, features, n, out);
                 },
                 [&](const CoreAutoencoder<T>& c) {
                   if (!c.net) return TINYAD_STATUS_NULL_ARGUMENT;
                   // Per thread, grown once: serve scores from many threads at once.
                   thread_local std::vector<T> scratch;
                   const size_t need = tinyad_autoencoder_scratch_size(&c.net->net);
                   if (scratch.size() < need) scratch.resize(need);
                   return tinyad_autoencoder_score(&c.net->net, features, n, scratch.data(), scratch.size(), out);
                 }},
      detector);
}

template <typename T>
T CoreModel<T>::score_or_nonfinite(const T* features, size_t n) const {
  T s = T(0);
  if (score(features, n, &s) == TINYAD_STATUS_OK) return s;
  // What mahalanobis_scores / autoencoder_scores give for such a window.
  return std::visit(overloaded{[](const CoreMahalanobis<T>&) { return std::numeric_limits<T>::infinity(); },
                               [](const CoreAutoencoder<T>&) { return std::numeric_limits<T>::quiet_NaN(); }},
                    detector);
}

namespace {

template <typename T>
bool core_mahalanobis(const MahalanobisModel& mm, size_t n, CoreMahalanobis<T>* c, std::string* err) {
  if (size_t(mm.mean.size()) != n || size_t(mm.precision.rows()) != n || size_t(mm.precision.cols()) != n) {
    *err = "detector has " + std::to_string(mm.mean.size()) + " means and a " + std::to_string(mm.precision.rows()) +
           "x" + std::to_string(mm.precision.cols()) + " precision but the recipe makes " + std::to_string(n) +
           " features";
    return false;
  }
  c->mean.resize(n);
  c->precision.resize(n * n);
  for (size_t i = 0; i < n; ++i) {
    c->mean[i] = T(mm.mean(Eigen::Index(i)));
    for (size_t j = 0; j < n; ++j) c->precision[i * n + j] = T(mm.precision(Eigen::Index(i), Eigen::Index(j)));
  }
  return true;
}

template <typename T>
bool core_autoencoder(const AutoencoderModel& ae, size_t n, CoreAutoencoder<T>* c, std::string* err) {
  if (!autoencoder_check(ae, err)) return false;
  if (autoencoder_n_features(ae) != n) {
    *err = "autoencoder has " + std::to_string(autoencoder_n_features(ae)) + " inputs but the recipe makes " +
           std::to_string(n) + " features";
    return false;
  }
  c->net = autoencoder_view<T>(ae);
  if (const tinyad_status st = tinyad_autoencoder_check(&c->net->net); st != TINYAD_STATUS_OK) {
    *err = std::string("autoencoder: ") + tinyad_status_str(st);
    return false;
  }
  return true;
}

}  // namespace

template <typename T>
bool core_model_build(const Model& m, CoreModel<T>* out, std::string* err) {
  const size_t n = tinyad_recipe_n_features(&m.recipe.core);
  CoreModel<T> c;
  c.n_features = n;
  const bool built = std::visit(overloaded{[&](const MahalanobisModel& mm) {
                                             return core_mahalanobis(mm, n, &c.detector.template emplace<CoreMahalanobis<T>>(), err);
                                           },
                                           [&](const AutoencoderModel& ae) {
                                             return core_autoencoder(ae, n, &c.detector.template emplace<CoreAutoencoder<T>>(), err);
                                           }},
                                m.detector);
  if (!built) return false;
  *out = std::move(c);
  return true;
}

template struct CoreModel<float>;
template struct CoreModel<double>;
template bool core_model_build<float>(const Model&, CoreModel<float>*, std::string*);
template bool core_model_build<double>(const Model&, CoreModel<double>*, std::string*);

}  // namespace tinyad
