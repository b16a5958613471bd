// tflite_import.h: reading TensorFlow Lite flatbuffers of dense networks
// (a chain of FULLY_CONNECTED ops, float32, or int8 with optional QUANTIZE /
// DEQUANTIZE at the ends) and running them with the core's float and int8
// kernels. Reads the deprecated one-byte operator codes of old converters
// too. Anything else in the graph is an error naming the operator.
#pragma once

#include <Eigen/Dense>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "autoencoder.h"
#include "model.h"

namespace tinyad {

struct TfliteQ8Layer {
  size_t n_in = 0, n_out = 0;
  std::vector<int8_t> weights;  // (n_out, n_in) row-major
  std::vector<int32_t> bias;    // (n_out,), empty: none
  float input_scale = 0, weight_scale = 0, output_scale = 0;
  int32_t input_zero_point = 0, output_zero_point = 0;
  int32_t multiplier = 0, shift = 0;   // from the three scales, as TFLite derives them
  int32_t act_min = -128, act_max = 127;
  uint8_t activation = TINYAD_ACT_LINEAR;
};

struct TfliteNet {
  bool quantized = false;           // int8 layers (q8 below); else float32 (layers)
  std::vector<DenseLayer> layers;   // float weights; for int8 nets the dequantised weights
  std::vector<TfliteQ8Layer> q8;
  bool float_input = true, float_output = true;  // edge tensor types (int8 nets: QUANTIZE / DEQUANTIZE present)
  float input_scale = 1, output_scale = 1;       // int8 nets: of the first layer's input, last layer's output
  int32_t input_zero_point = 0, output_zero_point = 0;
  std::string description;
  nlohmann::json tinyad_metadata;   // the tinyad model stored by tflite_export, or null
  std::vector<std::string> ops;     // "FULLY_CONNECTED (relu)", ... in order, for messages
};

/// Parses a .tflite held in memory; `path` only names it in errors.
bool tflite_parse(const std::string& bytes, const std::string& path, TfliteNet* out, std::string* err);
bool tflite_load(const std::string& path, TfliteNet* out, std::string* err);

size_t tflite_n_inputs(const TfliteNet& net);

/// Runs the network on rows of X (n, n_inputs) given in the network's input
/// units (float; int8 nets quantise them first, as QUANTIZE would) and
/// returns its outputs as float (int8 nets dequantised).
Eigen::MatrixXd tflite_run(const TfliteNet& net, const Eigen::MatrixXd& X);

/// Scores raw feature rows X with a .tflite network that works in the
/// model's standardised units, as a tinyad autoencoder scores:
/// mean((z - net(z))^2), z = (x - mean) / scale.
Eigen::VectorXd tflite_scores(const TfliteNet& net, const AutoencoderModel& standardisation, const Eigen::MatrixXd& X);

/// The int8 path on already quantised values: in (n_inputs,), out (n_outputs,).
bool tflite_run_q8(const TfliteNet& net, const int8_t* in, int8_t* out);

/// A tinyad autoencoder model from the network. A tinyad export brings back
/// its recipe, standardisation, threshold and split from its metadata;
/// other files get the original recipe, identity standardisation and
/// `threshold`. int8 networks become float models with dequantised weights.
bool tflite_to_model(const TfliteNet& net, const std::string& path, double threshold, Model* m, std::string* err);

}  // namespace tinyad
