// autoencoder.h: the dense autoencoder detector on the host: its parameters,
// their JSON form inside model files, scoring (through the core's
// tinyad_autoencoder_score, shared with microcontrollers) and the dead-unit
// check. Training lives in autoencoder_train.h; file formats in keras_h5.h
// and tflite_*.h.
#pragma once

#include <Eigen/Dense>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tinyad_dense.h"

namespace tinyad {

struct DenseLayer {
  Eigen::MatrixXd weights;  // (n_out, n_in): TFLite's layout (Keras stores the transpose)
  Eigen::VectorXd bias;     // (n_out,)
  uint8_t activation = TINYAD_ACT_LINEAR;  // tinyad_activation
};

struct AutoencoderModel {
  // Features are standardised, z = (x - mean) / scale, before the network;
  // the score is mean((z - net(z))^2). Imported models use mean 0, scale 1.
  Eigen::VectorXd input_mean;   // (n_features,)
  Eigen::VectorXd input_scale;  // (n_features,), > 0
  std::vector<DenseLayer> layers;
  double dropout = 0.0;  // rate used in training after each hidden layer; no effect on scoring
};

const char* activation_name(uint8_t activation);
bool activation_from_name(const std::string& name, uint8_t* out);

size_t autoencoder_n_features(const AutoencoderModel& m);

/// Layer sizes as text, e.g. "3-2-3".
std::string autoencoder_shape(const AutoencoderModel& m);

/// Checks chaining, sizes and activations; *err says what is wrong.
bool autoencoder_check(const AutoencoderModel& m, std::string* err);

/// Identity standardisation (mean 0, scale 1) for n features.
void autoencoder_set_identity_input(AutoencoderModel* m, size_t n);

/// The model as the core sees it: T copies of the arrays plus the structs
/// pointing at them. Not copyable (it points into itself).
template <typename T>
struct AutoencoderView {
  std::vector<std::vector<T>> weights, biases;
  std::vector<T> mean, scale;
  std::vector<tinyad_dense_layer<T>> layers;
  tinyad_autoencoder<T> net{};
  AutoencoderView() = default;
  AutoencoderView(const AutoencoderView&) = delete;
  AutoencoderView& operator=(const AutoencoderView&) = delete;
};

template <typename T>
std::unique_ptr<AutoencoderView<T>> autoencoder_view(const AutoencoderModel& m);

/// Scores of rows of X (n_windows, n_features) via the core.
Eigen::VectorXd autoencoder_scores(const AutoencoderModel& m, const Eigen::MatrixXd& X);

/// Standardised inputs and reconstructions, (n_windows, n_features) each.
void autoencoder_reconstruct(const AutoencoderModel& m, const Eigen::MatrixXd& X, Eigen::MatrixXd* Z,
                             Eigen::MatrixXd* Y);

/// Per layer, the output of every layer for rows of X: (n_windows, n_out).
std::vector<Eigen::MatrixXd> autoencoder_activations(const AutoencoderModel& m, const Eigen::MatrixXd& X);

/// ReLU units that output 0 for every row of X, as "layer L unit U"
/// (1-based layers). A dead unit carries no information; a bottleneck
/// whose units are all dead makes every window reconstruct to a constant.
std::vector<std::string> autoencoder_dead_units(const AutoencoderModel& m, const Eigen::MatrixXd& X);

/// The network as the model file's "detector" object (model.cpp adds its "type").
nlohmann::json autoencoder_to_json(const AutoencoderModel& m);

/// Reads the "detector" object of a model file; n_features from the recipe.
bool autoencoder_from_json(const nlohmann::json& j, size_t n_features, AutoencoderModel* out, std::string* err);

}  // namespace tinyad
