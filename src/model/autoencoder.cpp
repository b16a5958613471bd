// autoencoder.cpp: see autoencoder.h.
#include "autoencoder.h"

#include <limits>

#include "json_eigen.h"

namespace tinyad {

using nlohmann::json;

const char* activation_name(uint8_t activation) {
  switch (activation) {
    case TINYAD_ACT_LINEAR: return "linear";
    case TINYAD_ACT_RELU: return "relu";
  }
  return "?";
}

bool activation_from_name(const std::string& name, uint8_t* out) {
  if (name == "linear") *out = TINYAD_ACT_LINEAR;
  else if (name == "relu") *out = TINYAD_ACT_RELU;
  else return false;
  return true;
}

size_t autoencoder_n_features(const AutoencoderModel& m) {
  return m.layers.empty() ? 0 : size_t(m.layers.front().weights.cols());
}

std::string autoencoder_shape(const AutoencoderModel& m) {
  std::string s = std::to_string(autoencoder_n_features(m));
  for (const auto& l : m.layers) s += "-" + std::to_string(l.weights.rows());
  return s;
}

bool autoencoder_check(const AutoencoderModel& m, std::string* err) {
  if (m.layers.empty()) {
    *err = "autoencoder has no layers";
    return false;
  }
  const Eigen::Index n = m.layers.front().weights.cols();
  Eigen::Index width = n;
  for (size_t k = 0; k < m.layers.size(); ++k) {
    const DenseLayer& l = m.layers[k];
    const std::string where = "autoencoder layer " + std::to_string(k + 1);
    if (l.weights.cols() != width || l.weights.rows() == 0) {
      *err = where + " takes " + std::to_string(l.weights.cols()) + " inputs, the previous layer gives " +
             std::to_string(width);
      return false;
    }
    if (l.bias.size() != l.weights.rows()) {
      *err = where + " has " + std::to_string(l.bias.size()) + " biases for " + std::to_string(l.weights.rows()) +
             " units";
      return false;
    }
    if (l.activation != TINYAD_ACT_LINEAR && l.activation != TINYAD_ACT_RELU) {
      *err = where + " has an unsupported activation";
      return false;
    }
    if (!l.weights.allFinite() || !l.bias.allFinite()) {
      *err = where + " has NaN or infinite parameters";
      return false;
    }
    width = l.weights.rows();
  }
  if (width != n) {
    *err = "autoencoder output has " + std::to_string(width) + " values for " + std::to_string(n) + " inputs";
    return false;
  }
  if (m.input_mean.size() != n || m.input_scale.size() != n) {
    *err = "autoencoder input standardisation must have " + std::to_string(n) + " means and scales";
    return false;
  }
  if (!m.input_mean.allFinite() || !(m.input_scale.array() > 0).all() || !m.input_scale.allFinite()) {
    *err = "autoencoder input scales must be positive and finite";
    return false;
  }
  return true;
}

void autoencoder_set_identity_input(AutoencoderModel* m, size_t n) {
  m->input_mean = Eigen::VectorXd::Zero(Eigen::Index(n));
  m->input_scale = Eigen::VectorXd::Ones(Eigen::Index(n));
}

template <typename T>
std::unique_ptr<AutoencoderView<T>> autoencoder_view(const AutoencoderModel& m) {
  auto v = std::make_unique<AutoencoderView<T>>();
  const size_t n_layers = m.layers.size();
  v->weights.resize(n_layers);
  v->biases.resize(n_layers);
  for (size_t k = 0; k < n_layers; ++k) {
    const DenseLayer& l = m.layers[k];
    for (Eigen::Index o = 0; o < l.weights.rows(); ++o)
      for (Eigen::Index i = 0; i < l.weights.cols(); ++i) v->weights[k].push_back(T(l.weights(o, i)));
    for (Eigen::Index o = 0; o < l.bias.size(); ++o) v->biases[k].push_back(T(l.bias[o]));
  }
  for (size_t k = 0; k < n_layers; ++k) {
    const DenseLayer& l = m.layers[k];
    v->layers.push_back({size_t(l.weights.cols()), size_t(l.weights.rows()), v->weights[k].data(),
                         v->biases[k].data(), l.activation});
  }
  for (Eigen::Index i = 0; i < m.input_mean.size(); ++i) v->mean.push_back(T(m.input_mean[i]));
  for (Eigen::Index i = 0; i < m.input_scale.size(); ++i) v->scale.push_back(T(m.input_scale[i]));
  v->net = {n_layers, v->layers.data(), v->mean.empty() ? nullptr : v->mean.data(),
            v->scale.empty() ? nullptr : v->scale.data()};
  return v;
}

template std::unique_ptr<AutoencoderView<float>> autoencoder_view<float>(const AutoencoderModel&);
template std::unique_ptr<AutoencoderView<double>> autoencoder_view<double>(const AutoencoderModel&);

Eigen::VectorXd autoencoder_scores(const AutoencoderModel& m, const Eigen::MatrixXd& X) {
  Eigen::VectorXd scores(X.rows());
  const auto v = autoencoder_view<double>(m);
  const size_t n = size_t(X.cols());
  std::vector<double> x(n), scratch(tinyad_autoencoder_scratch_size(&v->net));
  for (Eigen::Index r = 0; r < X.rows(); ++r) {
    for (size_t i = 0; i < n; ++i) x[i] = X(r, Eigen::Index(i));
    double s = 0;
    const tinyad_status st = tinyad_autoencoder_score(&v->net, x.data(), n, scratch.data(), scratch.size(), &s);
    scores[r] = st == TINYAD_STATUS_OK ? s : std::numeric_limits<double>::quiet_NaN();
  }
  return scores;
}

void autoencoder_reconstruct(const AutoencoderModel& m, const Eigen::MatrixXd& X, Eigen::MatrixXd* Z,
                             Eigen::MatrixXd* Y) {
  const auto v = autoencoder_view<double>(m);
  const size_t n = size_t(X.cols());
  Z->resize(X.rows(), X.cols());
  Y->resize(X.rows(), X.cols());
  std::vector<double> x(n), z(n), y(n), scratch(2 * tinyad_autoencoder_widest(&v->net));
  for (Eigen::Index r = 0; r < X.rows(); ++r) {
    for (size_t i = 0; i < n; ++i) x[i] = X(r, Eigen::Index(i));
    tinyad_autoencoder_reconstruct(&v->net, x.data(), n, z.data(), y.data(), scratch.data(), scratch.size());
    for (size_t i = 0; i < n; ++i) {
      (*Z)(r, Eigen::Index(i)) = z[i];
      (*Y)(r, Eigen::Index(i)) = y[i];
    }
  }
}

std::vector<Eigen::MatrixXd> autoencoder_activations(const AutoencoderModel& m, const Eigen::MatrixXd& X) {
  // Host-side (Eigen) forward, used only for diagnostics: rows are windows.
  Eigen::MatrixXd a = (X.rowwise() - m.input_mean.transpose()).array().rowwise() / m.input_scale.transpose().array();
  std::vector<Eigen::MatrixXd> out;
  for (const DenseLayer& l : m.layers) {
    Eigen::MatrixXd next = (a * l.weights.transpose()).rowwise() + l.bias.transpose();
    if (l.activation == TINYAD_ACT_RELU) next = next.cwiseMax(0.0);
    out.push_back(next);
    a = std::move(next);
  }
  return out;
}

std::vector<std::string> autoencoder_dead_units(const AutoencoderModel& m, const Eigen::MatrixXd& X) {
  std::vector<std::string> dead;
  if (X.rows() == 0) return dead;
  const auto acts = autoencoder_activations(m, X);
  for (size_t k = 0; k < m.layers.size(); ++k) {
    if (m.layers[k].activation != TINYAD_ACT_RELU) continue;
    for (Eigen::Index u = 0; u < acts[k].cols(); ++u)
      if ((acts[k].col(u).array() <= 0.0).all())
        dead.push_back("layer " + std::to_string(k + 1) + " unit " + std::to_string(u));
  }
  return dead;
}

json autoencoder_to_json(const AutoencoderModel& m) {
  json layers = json::array();
  for (const DenseLayer& l : m.layers)
    layers.push_back({{"units", l.weights.rows()},
                      {"activation", activation_name(l.activation)},
                      {"weights", matrix_to_json(l.weights)},
                      {"bias", vector_to_std(l.bias)}});
  return {{"input_mean", vector_to_std(m.input_mean)},
          {"input_scale", vector_to_std(m.input_scale)},
          {"layers", layers},
          {"dropout", m.dropout},
          {"weights_layout", "(units, inputs) row-major"}};
}

bool autoencoder_from_json(const json& j, size_t n_features, AutoencoderModel* out, std::string* err) {
  AutoencoderModel m;
  if (!vector_from_json(j.at("input_mean"), n_features, "autoencoder input_mean", &m.input_mean, err) ||
      !vector_from_json(j.at("input_scale"), n_features, "autoencoder input_scale", &m.input_scale, err))
    return false;
  const json& layers = j.at("layers");
  if (!layers.is_array() || layers.empty()) {
    *err = "autoencoder layers must be a non-empty list";
    return false;
  }
  size_t width = n_features;
  for (size_t k = 0; k < layers.size(); ++k) {
    const json& lj = layers[k];
    const std::string where = "autoencoder layer " + std::to_string(k + 1);
    DenseLayer l;
    const std::string act = lj.at("activation").get<std::string>();
    if (!activation_from_name(act, &l.activation)) {
      *err = where + ": activation '" + act + "' is not supported (known: linear, relu)";
      return false;
    }
    if (!matrix_from_json(lj.at("weights"), -1, Eigen::Index(width), where + " weights", &l.weights, err)) return false;
    if (!vector_from_json(lj.at("bias"), size_t(l.weights.rows()), where + " bias", &l.bias, err)) return false;
    width = size_t(l.weights.rows());
    m.layers.push_back(std::move(l));
  }
  m.dropout = j.value("dropout", 0.0);
  if (!autoencoder_check(m, err)) return false;
  *out = std::move(m);
  return true;
}

}  // namespace tinyad
