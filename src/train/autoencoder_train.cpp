// autoencoder_train.cpp: see autoencoder_train.h. Windows are columns here
// (d, batch) so each layer is one matrix product W X.
#include "autoencoder_train.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <numeric>

#include "rng.h"

namespace tinyad {
namespace {

struct AdamState {
  std::vector<Eigen::MatrixXd> mw, vw;
  std::vector<Eigen::VectorXd> mb, vb;
};

// Keras' GlorotUniform: U(-limit, limit), limit = sqrt(6 / (fan_in + fan_out)).
DenseLayer glorot_layer(Eigen::Index n_in, Eigen::Index n_out, uint8_t activation, Rng* rng) {
  DenseLayer l;
  const double limit = std::sqrt(6.0 / double(n_in + n_out));
  l.weights.resize(n_out, n_in);
  // Row-major draw order so the sequence does not depend on Eigen's storage.
  for (Eigen::Index o = 0; o < n_out; ++o)
    for (Eigen::Index i = 0; i < n_in; ++i) l.weights(o, i) = (2.0 * rng->uniform() - 1.0) * limit;
  l.bias = Eigen::VectorXd::Zero(n_out);
  l.activation = activation;
  return l;
}

double mse(const Eigen::MatrixXd& a, const Eigen::MatrixXd& b) {
  return a.size() ? (a - b).squaredNorm() / double(a.size()) : 0.0;
}

Eigen::MatrixXd forward_eval(const std::vector<DenseLayer>& layers, const Eigen::MatrixXd& Z) {
  Eigen::MatrixXd a = Z, pre, out;
  for (const DenseLayer& l : layers) {
    dense_forward(l, a, &pre, &out);
    a.swap(out);
  }
  return a;
}

}  // namespace

AutoencoderTrainOptions autoencoder_default_options(const std::string& recipe_name) {
  AutoencoderTrainOptions o;
  if (recipe_name == "original") return o;  // Dense(2) -> Dropout(0.2) -> Dense(3), 50 epochs, batch 100
  // Chosen on selection seeds 100-105 of the original protocol among 13
  // shapes (docs/autoencoder.md): one ReLU layer of 8 units, no dropout.
  o.hidden = {8};
  o.dropout = 0.0;
  o.epochs = 1000;
  o.batch_size = 32;
  o.patience = 50;
  return o;
}

bool parse_layer_sizes(const std::string& text, std::vector<int>* out, std::string* err) {
  std::vector<int> sizes;
  size_t start = 0;
  while (start <= text.size()) {
    const size_t comma = text.find(',', start);
    const std::string item = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    char* end = nullptr;
    const long v = std::strtol(item.c_str(), &end, 10);
    if (item.empty() || *end != '\0' || v < 1 || v > 4096) {
      *err = "layer sizes must be comma-separated integers in 1..4096, e.g. 8,2,8 (got '" + text + "')";
      return false;
    }
    sizes.push_back(int(v));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  *out = sizes;
  return true;
}

void dense_forward(const DenseLayer& l, const Eigen::MatrixXd& X, Eigen::MatrixXd* pre, Eigen::MatrixXd* out) {
  *pre = (l.weights * X).colwise() + l.bias;  // (n_out, batch)
  *out = l.activation == TINYAD_ACT_RELU ? Eigen::MatrixXd(pre->cwiseMax(0.0)) : *pre;
}

void dense_backward(const DenseLayer& l, const Eigen::MatrixXd& X, const Eigen::MatrixXd& pre,
                    const Eigen::MatrixXd& d_out, Eigen::MatrixXd* dW, Eigen::VectorXd* db, Eigen::MatrixXd* dX) {
  // ReLU passes the gradient where the unit was active (pre > 0).
  const Eigen::MatrixXd d_pre = l.activation == TINYAD_ACT_RELU
                                    ? Eigen::MatrixXd((pre.array() > 0.0).cast<double>() * d_out.array())
                                    : d_out;
  *dW = d_pre * X.transpose();  // (n_out, n_in)
  *db = d_pre.rowwise().sum();  // (n_out,)
  if (dX) *dX = l.weights.transpose() * d_pre;  // (n_in, batch)
}

void adam_step(double* param, const double* grad, double* m, double* v, size_t n, long t, const AdamOptions& o) {
  const double lr_t = o.learning_rate * std::sqrt(1.0 - std::pow(o.beta2, double(t))) /
                      (1.0 - std::pow(o.beta1, double(t)));
  for (size_t i = 0; i < n; ++i) {
    m[i] = o.beta1 * m[i] + (1.0 - o.beta1) * grad[i];
    v[i] = o.beta2 * v[i] + (1.0 - o.beta2) * grad[i] * grad[i];
    param[i] -= lr_t * m[i] / (std::sqrt(v[i]) + o.epsilon);
  }
}

double autoencoder_loss_grad(const std::vector<DenseLayer>& layers, const Eigen::MatrixXd& Z,
                             const std::vector<Eigen::MatrixXd>& masks, std::vector<DenseLayer>* grads) {
  const size_t L = layers.size();
  // Forward, keeping each layer's input and pre-activation.
  std::vector<Eigen::MatrixXd> inputs(L), pres(L);
  Eigen::MatrixXd a = Z, out;
  for (size_t k = 0; k < L; ++k) {
    inputs[k] = a;
    dense_forward(layers[k], a, &pres[k], &out);
    if (k + 1 < L && !masks.empty()) out.array() *= masks[k].array();  // dropout after hidden layers
    a = out;
  }
  const double loss = mse(a, Z);
  if (!grads) return loss;
  // Backward: dL/dy = 2 (y - z) / (d * batch) for the mean over all elements.
  Eigen::MatrixXd d = 2.0 * (a - Z) / double(Z.size());
  grads->resize(L);
  for (size_t k = L; k-- > 0;) {
    DenseLayer& g = (*grads)[k];
    g.activation = layers[k].activation;
    Eigen::MatrixXd dX;
    dense_backward(layers[k], inputs[k], pres[k], d, &g.weights, &g.bias, k > 0 ? &dX : nullptr);
    if (k > 0) {
      if (!masks.empty()) dX.array() *= masks[k - 1].array();
      d = std::move(dX);
    }
  }
  return loss;
}

bool autoencoder_train(const Eigen::MatrixXd& X_train, const Eigen::MatrixXd& X_val,
                       const AutoencoderTrainOptions& opt, AutoencoderModel* out, AutoencoderTrainReport* report,
                       std::string* err) {
  const Eigen::Index n = X_train.rows(), d = X_train.cols();
  if (n < 2 || d < 1) {
    *err = "autoencoder training needs at least 2 windows (got " + std::to_string(n) + ")";
    return false;
  }
  if (X_val.rows() > 0 && X_val.cols() != d) {
    *err = "validation windows have " + std::to_string(X_val.cols()) + " features, training " + std::to_string(d);
    return false;
  }
  if (opt.hidden.empty() || opt.epochs < 1 || opt.batch_size < 1 || !(opt.dropout >= 0.0 && opt.dropout < 1.0)) {
    *err = "autoencoder options: need hidden layers, epochs >= 1, batch size >= 1 and dropout in [0, 1)";
    return false;
  }
  if (!X_train.allFinite() || (X_val.rows() > 0 && !X_val.allFinite())) {
    *err = "autoencoder training windows contain NaN or infinite features";
    return false;
  }
  AutoencoderModel m;
  m.dropout = opt.dropout;
  if (opt.standardize) {
    m.input_mean = X_train.colwise().mean().transpose();
    const Eigen::MatrixXd centred = X_train.rowwise() - m.input_mean.transpose();
    m.input_scale = (centred.colwise().squaredNorm() / double(n)).cwiseSqrt().transpose();
    // A constant feature carries nothing; scale 1 keeps it finite.
    for (Eigen::Index i = 0; i < d; ++i)
      if (!(m.input_scale[i] > 1e-12 * (1.0 + std::abs(m.input_mean[i])))) m.input_scale[i] = 1.0;
  } else {
    autoencoder_set_identity_input(&m, size_t(d));
  }
  // Windows as columns, standardised.
  const Eigen::MatrixXd Z = ((X_train.rowwise() - m.input_mean.transpose()).array().rowwise() /
                             m.input_scale.transpose().array()).matrix().transpose();
  const Eigen::MatrixXd Zv = X_val.rows() == 0 ? Eigen::MatrixXd()
                                               : Eigen::MatrixXd(((X_val.rowwise() - m.input_mean.transpose())
                                                                      .array()
                                                                      .rowwise() /
                                                                  m.input_scale.transpose().array())
                                                                     .matrix()
                                                                     .transpose());

  Rng rng(opt.seed ^ 0x6175746f656e63ull);  // "autoenc": keeps it apart from the split's stream
  Eigen::Index width = d;
  for (int h : opt.hidden) {
    m.layers.push_back(glorot_layer(width, h, opt.hidden_activation, &rng));
    width = h;
  }
  m.layers.push_back(glorot_layer(width, d, opt.output_activation, &rng));
  const size_t L = m.layers.size();

  AdamState st;
  for (const DenseLayer& l : m.layers) {
    st.mw.push_back(Eigen::MatrixXd::Zero(l.weights.rows(), l.weights.cols()));
    st.vw.push_back(st.mw.back());
    st.mb.push_back(Eigen::VectorXd::Zero(l.bias.size()));
    st.vb.push_back(st.mb.back());
  }

  AutoencoderTrainReport rep;
  std::vector<DenseLayer> best = m.layers;
  double best_val = std::numeric_limits<double>::infinity();
  std::vector<Eigen::Index> order(static_cast<size_t>(n));
  std::iota(order.begin(), order.end(), Eigen::Index(0));
  std::vector<Eigen::MatrixXd> masks;
  std::vector<DenseLayer> grads;
  long step = 0;
  const double keep = 1.0 - opt.dropout;
  for (int epoch = 1; epoch <= opt.epochs; ++epoch) {
    for (size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[rng.below(i)]);  // Fisher-Yates
    double loss_sum = 0.0;
    int n_batches = 0;
    for (Eigen::Index start = 0; start < n; start += opt.batch_size) {
      const Eigen::Index b = std::min<Eigen::Index>(opt.batch_size, n - start);
      Eigen::MatrixXd batch(d, b);
      for (Eigen::Index j = 0; j < b; ++j) batch.col(j) = Z.col(order[size_t(start + j)]);
      masks.clear();
      if (opt.dropout > 0.0) {
        for (size_t k = 0; k + 1 < L; ++k) {
          Eigen::MatrixXd mask(m.layers[k].weights.rows(), b);
          for (Eigen::Index j = 0; j < b; ++j)  // column by column: a fixed draw order
            for (Eigen::Index u = 0; u < mask.rows(); ++u) mask(u, j) = rng.uniform() < opt.dropout ? 0.0 : 1.0 / keep;
          masks.push_back(std::move(mask));
        }
      }
      loss_sum += autoencoder_loss_grad(m.layers, batch, masks, &grads);
      ++n_batches;
      ++step;
      for (size_t k = 0; k < L; ++k) {
        DenseLayer& l = m.layers[k];
        adam_step(l.weights.data(), grads[k].weights.data(), st.mw[k].data(), st.vw[k].data(),
                  size_t(l.weights.size()), step, opt.adam);
        adam_step(l.bias.data(), grads[k].bias.data(), st.mb[k].data(), st.vb[k].data(), size_t(l.bias.size()),
                  step, opt.adam);
      }
    }
    rep.train_loss.push_back(loss_sum / n_batches);
    const double val = Zv.size() ? mse(forward_eval(m.layers, Zv), Zv) : rep.train_loss.back();
    rep.val_loss.push_back(val);
    rep.epochs_run = epoch;
    if (!std::isfinite(rep.train_loss.back())) {
      *err = "autoencoder training diverged (loss is not finite) at epoch " + std::to_string(epoch);
      return false;
    }
    if (val < best_val) {
      best_val = val;
      best = m.layers;
      rep.best_epoch = epoch;
    } else if (opt.patience > 0 && epoch - rep.best_epoch >= opt.patience) {
      rep.stopped_early = true;
      break;
    }
  }
  // With early stopping the best validation epoch's weights are kept (Keras'
  // restore_best_weights); without it, the last epoch's, as Keras does.
  if (opt.patience > 0) {
    m.layers = best;
  } else {
    rep.best_epoch = rep.epochs_run;
  }
  rep.dead_units = autoencoder_dead_units(m, X_train);
  if (!autoencoder_check(m, err)) return false;
  *out = std::move(m);
  if (report) *report = std::move(rep);
  return true;
}

}  // namespace tinyad
