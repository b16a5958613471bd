// model_interop.h: what `tinyad convert` does between tinyad model files,
// Keras .h5 and .tflite, kept out of the command so tests can call it:
// importing with a threshold (fixed, or calibrated on normal windows),
// finding representative windows for int8 export, and scoring a .tflite
// network the way a tinyad autoencoder scores.
#pragma once

#include <Eigen/Dense>
#include <string>
#include <vector>

#include "model.h"
#include "tflite_import.h"

namespace tinyad {

/// A Keras .h5 autoencoder as a tinyad model: original recipe, identity
/// standardisation, a fixed threshold (replaced by calibration if asked).
bool import_keras_model(const std::string& path, double threshold, Model* m, std::string* err);

/// Features of every window of `labels` in `data`, with the model's recipe.
bool load_label_windows(const Model& m, const std::string& data, const std::vector<std::string>& labels,
                        Eigen::MatrixXd* X, std::string* err);

/// Features of the files a model was trained on (its split), read again
/// from the dataset recorded in the model.
bool load_training_windows(const Model& m, Eigen::MatrixXd* X, std::string* err);

/// Features of the model's held-out test files.
bool load_test_windows(const Model& m, Eigen::MatrixXd* X, std::string* err);

/// Scores raw feature rows X with a .tflite network that works in the
/// model's standardised units: mean((z - net(z))^2), z = (x - mean) / scale.
Eigen::VectorXd tflite_scores(const TfliteNet& net, const AutoencoderModel& standardisation, const Eigen::MatrixXd& X);

/// Sets m->threshold from `spec` ("mean+3sd", a number, ...) fitted on the
/// scores of normal windows X.
bool calibrate_threshold(Model* m, const std::string& spec, const Eigen::MatrixXd& X, std::string* err);

}  // namespace tinyad
