// keras_h5.h: reading a Keras Sequential model saved as HDF5 (model.save()
// in TF 1.x/2.x, Keras 2.x: the model_config attribute plus model_weights/)
// into a tinyad autoencoder. Only Dense layers (linear or ReLU), Dropout and
// InputLayer are understood; anything else is an error naming the layer.
// The file is untrusted: its size, attribute sizes, layer count and units,
// and every dataset's rank, shape (against the layer chain), element type
// and place in the file are checked before libhdf5 reads it (keras_h5.cpp
// has the limits). Uses the HDF5 C library; never writes .h5 files.
#pragma once

#include <string>
#include <vector>

#include "autoencoder.h"

namespace tinyad {

struct KerasImport {
  AutoencoderModel model;           // identity input standardisation (Keras saw raw features)
  std::string keras_version;        // the file's keras_version attribute, if any
  std::string model_name;           // e.g. "sequential_10"
  std::vector<std::string> layers;  // "dense_20 (Dense 2, relu)", ... in order
};

/// Reads `path`; on failure *err names the file and what is wrong with it.
bool keras_h5_read(const std::string& path, KerasImport* out, std::string* err);

}  // namespace tinyad
