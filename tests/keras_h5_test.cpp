// keras_h5_test.cpp: importing Keras .h5 autoencoders. The original's three
// files are compared with h5py/numpy's reading of them
// (tests/golden/autoencoder_h5.json, scripts/golden/make_autoencoder_golden.py);
// malformed files are made here with the HDF5 C API.
#include <gtest/gtest.h>
#include <hdf5.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "golden_json.h"
#include "keras_h5.h"
#include "model_import.h"
#include "test_env.h"

namespace tinyad {
namespace {

namespace fs = std::filesystem;

std::string temp_path(const std::string& name) {
  return (fs::temp_directory_path() / ("tinyad_h5_" + std::to_string(::getpid()) + "_" + name)).string();
}

void write_string_attr(hid_t obj, const char* name, const std::string& value) {
  hid_t type = H5Tcopy(H5T_C_S1);
  H5Tset_size(type, value.size());
  hid_t space = H5Screate(H5S_SCALAR);
  hid_t attr = H5Acreate2(obj, name, type, space, H5P_DEFAULT, H5P_DEFAULT);
  H5Awrite(attr, type, value.data());
  H5Aclose(attr);
  H5Sclose(space);
  H5Tclose(type);
}

std::string dense(const std::string& name, int units, const std::string& act, int input = 0) {
  std::string s = R"({"class_name": "Dense", "config": {"name": ")" + name + R"(", "units": )" +
                  std::to_string(units) + R"(, "activation": ")" + act + R"(", "use_bias": true)";
  if (input) s += R"(, "batch_input_shape": [null, )" + std::to_string(input) + "]";
  return s + "}}";
}

// An HDF5 file with a model_config attribute (and no weights).
std::string make_config_only(const std::string& name, const std::string& layers_json) {
  const std::string path = temp_path(name);
  hid_t f = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  write_string_attr(f, "model_config",
                    R"({"class_name": "Sequential", "config": {"name": "s", "layers": [)" + layers_json + "]}}");
  H5Fclose(f);
  return path;
}

TEST(KerasH5, OriginalModelsMatchH5py) {
  std::string ref;
  TINYAD_REQUIRE_ENV_PATH("TINYAD_REFERENCE", ref);
  const nlohmann::json g = test::load_golden("autoencoder_h5.json");
  ASSERT_FALSE(g.is_null());
  const auto& feats = g["features"];
  Eigen::MatrixXd X(Eigen::Index(feats.size()), 3);
  for (size_t r = 0; r < feats.size(); ++r)
    for (int c = 0; c < 3; ++c) X(Eigen::Index(r), c) = feats[r][size_t(c)].get<double>();
  ASSERT_EQ(g["models"].size(), 3u);
  for (const auto& [name, gm] : g["models"].items()) {
    SCOPED_TRACE(name);
    KerasImport imp;
    std::string err;
    ASSERT_TRUE(keras_h5_read(ref + "/autoencoder/" + name, &imp, &err)) << err;
    EXPECT_EQ(imp.keras_version, "2.2.4-tf");
    ASSERT_EQ(imp.model.layers.size(), 2u);  // Dense, Dropout, Dense
    EXPECT_DOUBLE_EQ(imp.model.dropout, 0.2);
    size_t k = 0;
    for (const auto& gl : gm["layers"]) {
      if (gl["class"] != "Dense") continue;
      const DenseLayer& l = imp.model.layers[k++];
      EXPECT_EQ(l.activation, gl["activation"] == "relu" ? TINYAD_ACT_RELU : TINYAD_ACT_LINEAR);
      const auto& kernel = gl["kernel"];  // (in, out)
      ASSERT_EQ(size_t(l.weights.cols()), kernel.size());
      for (size_t i = 0; i < kernel.size(); ++i)
        for (size_t o = 0; o < kernel[i].size(); ++o)
          EXPECT_EQ(l.weights(Eigen::Index(o), Eigen::Index(i)), kernel[i][o].get<double>());
    }
    // Predictions and scores through the core, identity standardisation.
    Eigen::MatrixXd Z, Y;
    autoencoder_reconstruct(imp.model, X, &Z, &Y);
    const Eigen::VectorXd s = autoencoder_scores(imp.model, X);
    for (Eigen::Index r = 0; r < X.rows(); ++r) {
      for (int c = 0; c < 3; ++c) {
        const double want = gm["predictions"][size_t(r)][size_t(c)].get<double>();
        EXPECT_NEAR(Y(r, c), want, 1e-12 + 1e-9 * std::abs(want));
      }
      const double want = gm["mse"][size_t(r)].get<double>();
      EXPECT_NEAR(s[r], want, 1e-9 * want + 1e-15);
    }
    EXPECT_EQ(autoencoder_dead_units(imp.model, X), gm["dead_units"].get<std::vector<std::string>>());
  }
}

TEST(KerasH5, ImportGivesOriginalRecipeAutoencoder) {
  std::string ref;
  TINYAD_REQUIRE_ENV_PATH("TINYAD_REFERENCE", ref);
  Model m;
  std::string err;
  ASSERT_TRUE(import_keras_model(ref + "/autoencoder/fan_low_model-moving.h5", 0.5, &m, &err)) << err;
  EXPECT_STREQ(detector_name(m), "autoencoder");
  EXPECT_EQ(m.recipe.name, "original");
  EXPECT_EQ(autoencoder_shape(std::get<AutoencoderModel>(m.detector)), "3-2-3");
  EXPECT_EQ(std::get<AutoencoderModel>(m.detector).input_scale, Eigen::Vector3d::Ones());
  EXPECT_DOUBLE_EQ(m.threshold.value, 0.5);
  Model back;
  ASSERT_TRUE(model_from_json(model_to_json(m), &back, &err)) << err;
}

TEST(KerasH5, BadFilesGiveClearErrors) {
  KerasImport imp;
  std::string err;
  EXPECT_FALSE(keras_h5_read(temp_path("missing.h5"), &imp, &err));
  EXPECT_NE(err.find("no such file"), std::string::npos) << err;

  const std::string text = temp_path("text.h5");
  std::ofstream(text) << "not hdf5\n";
  EXPECT_FALSE(keras_h5_read(text, &imp, &err));
  EXPECT_NE(err.find("not an HDF5 file"), std::string::npos) << err;

  const std::string empty = temp_path("empty.h5");
  H5Fclose(H5Fcreate(empty.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT));
  EXPECT_FALSE(keras_h5_read(empty, &imp, &err));
  EXPECT_NE(err.find("model_config"), std::string::npos) << err;

  const std::string no_weights = make_config_only("noweights.h5", dense("enc", 2, "relu", 3) + "," + dense("dec", 3, "linear"));
  EXPECT_FALSE(keras_h5_read(no_weights, &imp, &err));
  EXPECT_NE(err.find("no model weights"), std::string::npos) << err;
  EXPECT_NE(err.find("'enc'"), std::string::npos) << err;

  const std::string conv = make_config_only(
      "conv.h5", dense("enc", 2, "relu", 3) + R"(, {"class_name": "Conv1D", "config": {"name": "conv_7"}})");
  EXPECT_FALSE(keras_h5_read(conv, &imp, &err));
  EXPECT_NE(err.find("'conv_7' (Conv1D) is not supported"), std::string::npos) << err;

  const std::string sigmoid = make_config_only("sigmoid.h5", dense("enc", 2, "sigmoid", 3));
  EXPECT_FALSE(keras_h5_read(sigmoid, &imp, &err));
  EXPECT_NE(err.find("'enc' (Dense) has activation 'sigmoid'"), std::string::npos) << err;
  for (const auto& p : {text, empty, no_weights, conv, sigmoid}) fs::remove(p);
}

}  // namespace
}  // namespace tinyad
