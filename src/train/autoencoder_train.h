// autoencoder_train.h: training the dense autoencoder on the host, the way
// Keras trained the original (Glorot-uniform kernels, zero biases, dropout
// after hidden layers at training time only, Adam, MSE, shuffled
// mini-batches), but seeded with tinyad::Rng so a seed gives the same model
// everywhere. Plain functions over Eigen: dense_forward / dense_backward /
// adam_step; no layer classes, no autograd.
#pragma once

#include <Eigen/Dense>
#include <cstdint>
#include <string>
#include <vector>

#include "autoencoder.h"

namespace tinyad {

/// Keras' Adam defaults.
struct AdamOptions {
  double learning_rate = 0.001;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double epsilon = 1e-7;
};

struct AutoencoderTrainOptions {
  std::vector<int> hidden = {2};  // hidden layer sizes; the output layer has n_features units
  uint8_t hidden_activation = TINYAD_ACT_RELU;
  uint8_t output_activation = TINYAD_ACT_LINEAR;
  double dropout = 0.2;  // after each hidden layer, training only
  int epochs = 50;       // at most
  int batch_size = 100;
  int patience = 0;      // stop after this many epochs without a better validation loss; 0 = never
  AdamOptions adam;
  uint64_t seed = 0;
  bool standardize = true;  // false: mean 0, scale 1 (the original fed raw features)
};

struct AutoencoderTrainReport {
  std::vector<double> train_loss;  // per epoch: mean batch loss with dropout, as Keras reports it
  std::vector<double> val_loss;    // per epoch: validation MSE without dropout
  int best_epoch = 0;              // 1-based epoch whose weights were kept
  int epochs_run = 0;
  bool stopped_early = false;
  std::vector<std::string> dead_units;  // on the training windows, after training
};

/// Options for a recipe: the original's 3-2-3 shape and schedule for
/// "original", the measured choice for "default" (see docs/autoencoder.md).
AutoencoderTrainOptions autoencoder_default_options(const std::string& recipe_name);

/// Parses "8,2,8" into hidden sizes; false with a message otherwise.
bool parse_layer_sizes(const std::string& text, std::vector<int>* out, std::string* err);

/// Trains on rows of X_train (n, d); X_val (m, d) drives early stopping and
/// the reported validation loss (may be empty when patience is 0).
bool autoencoder_train(const Eigen::MatrixXd& X_train, const Eigen::MatrixXd& X_val,
                       const AutoencoderTrainOptions& opt, AutoencoderModel* out, AutoencoderTrainReport* report,
                       std::string* err);

// --- The pieces, exposed for the gradient check ---------------------------

/// pre = W X + b, out = act(pre). X: (n_in, batch), one window per column.
void dense_forward(const DenseLayer& l, const Eigen::MatrixXd& X, Eigen::MatrixXd* pre, Eigen::MatrixXd* out);

/// Gradients of the loss given d_out = dL/d(out). dX may be null (first layer).
void dense_backward(const DenseLayer& l, const Eigen::MatrixXd& X, const Eigen::MatrixXd& pre,
                    const Eigen::MatrixXd& d_out, Eigen::MatrixXd* dW, Eigen::VectorXd* db, Eigen::MatrixXd* dX);

/// One Adam update of n parameters (t = 1-based step), Keras' form:
/// p -= lr * sqrt(1 - b2^t) / (1 - b1^t) * m / (sqrt(v) + eps).
void adam_step(double* param, const double* grad, double* m, double* v, size_t n, long t, const AdamOptions& o);

/// MSE loss of the network on standardised windows Z (d, batch) and its
/// gradients per layer. masks: one (units, batch) matrix of 0 or 1/(1-rate)
/// per hidden layer, or empty for no dropout.
double autoencoder_loss_grad(const std::vector<DenseLayer>& layers, const Eigen::MatrixXd& Z,
                             const std::vector<Eigen::MatrixXd>& masks, std::vector<DenseLayer>* grads);

}  // namespace tinyad
