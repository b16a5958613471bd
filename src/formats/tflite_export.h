// tflite_export.h: writing a tinyad autoencoder as a TensorFlow Lite
// flatbuffer (schema 3, "TFL3") for TensorFlow Lite (Micro): one
// FULLY_CONNECTED op per layer with fused ReLU, float32 or full-integer int8.
// The graph works in standardised units (z = (x - mean) / scale, as the
// model file says); the whole tinyad model travels in the file's metadata
// ("tinyad_model"), so `convert x.tflite x.json` gives it back.
#pragma once

#include <Eigen/Dense>
#include <string>

#include "model.h"

namespace tinyad {

struct TfliteNet;  // tflite_import.h

struct TfliteExportOptions {
  bool int8 = false;      // full-integer int8 (TFLite int8 spec) instead of float32
  bool float_io = false;  // int8 only: float32 input/output through QUANTIZE / DEQUANTIZE
};

struct TfliteQuantization {
  float scale = 1;
  int32_t zero_point = 0;
};

/// Asymmetric int8 parameters covering [min(lo, 0), max(hi, 0)], TFLite's
/// rule for activations: scale = range / 255, zero point rounded and clamped.
TfliteQuantization tflite_activation_quantization(double lo, double hi);

/// Serialises the autoencoder of `m`. For int8, `representative` holds raw
/// feature rows (n, n_features), normally the training windows: each
/// tensor's range is calibrated on them.
bool tflite_export(const Model& m, const TfliteExportOptions& opt, const Eigen::MatrixXd& representative,
                   std::string* bytes, std::string* err);

/// Writes layers [first, first + count) of an already quantised int8
/// network (e.g. one read by tflite_parse) as a full-integer .tflite with the
/// same tensors' scales and zero points; used to check single ops against
/// other TFLite readers.
bool tflite_export_q8_layers(const TfliteNet& net, size_t first, size_t count, std::string* bytes,
                             std::string* err);

}  // namespace tinyad
