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

// One Dense layer's weights as a hostile file may store them: the shapes and
// element type of its kernel and bias, and whether each dataset exists.
struct H5Weights {
  std::vector<hsize_t> kernel, bias;
  hid_t type = H5T_IEEE_F32LE;
  bool has_kernel = true, has_bias = true;
};

// A dataset of the given shape and file type; small ones are filled with
// 0.01, 0.02, ... (large ones are left unwritten, so the file stays small
// while its header declares them).
void write_dataset(hid_t file, const std::string& path, const std::vector<hsize_t>& dims, hid_t type) {
  hid_t space = H5Screate_simple(int(dims.size()), dims.data(), nullptr);
  hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
  H5Pset_create_intermediate_group(lcpl, 1);
  hid_t ds = H5Dcreate2(file, path.c_str(), type, space, lcpl, H5P_DEFAULT, H5P_DEFAULT);
  hsize_t n = 1;
  for (hsize_t d : dims) n *= d;
  if (n <= (hsize_t(1) << 20)) {
    std::vector<double> v(n);
    for (size_t i = 0; i < v.size(); ++i) v[i] = 0.01 * double(i % 50 + 1);
    H5Dwrite(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data());
  }
  H5Dclose(ds);
  H5Pclose(lcpl);
  H5Sclose(space);
}

// A Keras-layout file: model_config with `layers_json`, and for each named
// Dense layer model_weights/<name> with weight_names and the datasets.
std::string make_model(const std::string& name, const std::string& layers_json,
                       const std::vector<std::pair<std::string, H5Weights>>& weights) {
  const std::string path = make_config_only(name, layers_json);
  hid_t f = H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
  hid_t mw = H5Gcreate2(f, "model_weights", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  for (const auto& [layer, w] : weights) {
    hid_t g = H5Gcreate2(mw, layer.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    const std::string kname = layer + "/kernel:0", bname = layer + "/bias:0";
    const size_t width = std::max(kname.size(), bname.size());
    std::string names(2 * width, '\0');
    names.replace(0, kname.size(), kname);
    names.replace(width, bname.size(), bname);
    hid_t type = H5Tcopy(H5T_C_S1);
    H5Tset_size(type, width);
    H5Tset_strpad(type, H5T_STR_NULLPAD);
    const hsize_t two = 2;
    hid_t space = H5Screate_simple(1, &two, nullptr);
    hid_t attr = H5Acreate2(g, "weight_names", type, space, H5P_DEFAULT, H5P_DEFAULT);
    H5Awrite(attr, type, names.data());
    H5Aclose(attr);
    H5Sclose(space);
    H5Tclose(type);
    H5Gclose(g);
    if (w.has_kernel) write_dataset(f, "model_weights/" + layer + "/" + kname, w.kernel, w.type);
    if (w.has_bias) write_dataset(f, "model_weights/" + layer + "/" + bname, w.bias, w.type);
  }
  H5Gclose(mw);
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

// Part 6 of issue 12: hostile .h5 files are refused, naming the file and what
// is wrong, before any dataset is read or any buffer sized from the file.
TEST(KerasH5, HostileFilesAreRefusedBeforeReading) {
  const std::string chain = dense("enc", 2, "relu", 3) + "," + dense("dec", 3, "linear");
  const H5Weights enc{{3, 2}, {2}}, dec{{2, 3}, {3}};
  KerasImport imp;
  std::string err;
  // The well-formed file these are variations of loads: the checks refuse
  // what is wrong, not the layout.
  const std::string good = make_model("good.h5", chain, {{"enc", enc}, {"dec", dec}});
  ASSERT_TRUE(keras_h5_read(good, &imp, &err)) << err;
  EXPECT_EQ(autoencoder_shape(imp.model), "3-2-3");
  EXPECT_FLOAT_EQ(float(imp.model.layers[0].weights(1, 0)), 0.02f);  // kernel (in, out) -> (out, in)

  struct Case {
    std::string name, layers;
    std::vector<std::pair<std::string, H5Weights>> weights;
    std::string expect;
  };
  H5Weights rank3 = enc, rank0 = enc, wide = enc, short_bias = enc, ints = enc, strings = enc, no_bias = enc;
  rank3.kernel = {3, 2, 1};
  rank0.bias = {};
  wide.kernel = {3, hsize_t(1) << 40};
  short_bias.bias = {3};
  ints.type = H5T_STD_I32LE;
  strings.type = H5T_C_S1;
  no_bias.has_bias = false;
  H5Weights huge1{{3, 65536}, {65536}}, huge2{{65536, 65536}, {65536}};
  H5Weights no_input{{hsize_t(1) << 20, 2}, {2}};
  const std::vector<Case> cases = {
      {"rank3.h5", chain, {{"enc", rank3}, {"dec", dec}}, "layer 'enc': kernel model_weights/enc/enc/kernel:0 has rank 3, expected shape (3, 2)"},
      {"rank0.h5", chain, {{"enc", rank0}, {"dec", dec}}, "bias model_weights/enc/enc/bias:0 has rank 0, expected shape (2,)"},
      {"wide.h5", chain, {{"enc", wide}, {"dec", dec}}, "has shape (3, 1099511627776), expected (3, 2)"},
      {"bias.h5", chain, {{"enc", short_bias}, {"dec", dec}}, "bias model_weights/enc/enc/bias:0 has shape (3,), expected (2,)"},
      {"chain.h5", chain, {{"enc", enc}, {"dec", H5Weights{{3, 3}, {3}}}}, "layer 'dec': kernel model_weights/dec/dec/kernel:0 has shape (3, 3), expected (2, 3)"},
      {"int.h5", chain, {{"enc", ints}, {"dec", dec}}, "holds 4-byte non-float values, expected float32 or float64"},
      {"str.h5", chain, {{"enc", strings}, {"dec", dec}}, "expected float32 or float64"},
      {"nobias.h5", chain, {{"enc", no_bias}, {"dec", dec}}, "bias model_weights/enc/enc/bias:0 is missing"},
      {"units.h5", dense("enc", 1000000000, "relu", 3), {}, "'enc' (Dense) has 1000000000 units (expected 1 to 65536)"},
      {"input.h5", dense("enc", 2, "relu", -5), {}, "'enc' (Dense) takes -5 inputs"},
      {"noinput.h5", dense("enc", 2, "relu") + "," + dense("dec", 3, "linear"), {{"enc", no_input}, {"dec", dec}},
       "has shape (1048576, 2), expected (?, 2)"},
      // Each dimension within bounds, the second kernel 4.3e9 values: refused
      // by the parameter budget before a 34 GB buffer is asked for.
      {"huge.h5", dense("a", 65536, "relu", 3) + "," + dense("b", 65536, "relu") + "," + dense("c", 3, "linear"),
       {{"a", huge1}, {"b", huge2}}, "layer 'b': kernel model_weights/b/b/kernel:0 holds 4294967296 values, more than the"},
  };
  std::vector<std::string> made = {good};
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const std::string path = make_model(c.name, c.layers, c.weights);
    made.push_back(path);
    EXPECT_FALSE(keras_h5_read(path, &imp, &err));
    EXPECT_EQ(err.rfind(path + ": ", 0), 0u) << err;
    EXPECT_NE(err.find(c.expect), std::string::npos) << err;
    EXPECT_EQ(err.find('\n'), std::string::npos) << err;
  }

  // weight_names without a kernel entry.
  {
    const std::string path = make_config_only("nokernel.h5", dense("enc", 2, "relu", 3));
    hid_t f = H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
    hid_t g = H5Gcreate2(f, "model_weights", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    hid_t lg = H5Gcreate2(g, "enc", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    write_string_attr(lg, "weight_names", "enc/other:0");
    H5Gclose(lg);
    H5Gclose(g);
    H5Fclose(f);
    made.push_back(path);
    EXPECT_FALSE(keras_h5_read(path, &imp, &err));
    EXPECT_NE(err.find(path + ": layer 'enc': weight_names lists no kernel"), std::string::npos) << err;
  }

  // model_config as two strings (reading it into one string's buffer would
  // overrun it), and one longer than 1 MiB.
  {
    const std::string path = temp_path("config2.h5");
    hid_t f = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    hid_t type = H5Tcopy(H5T_C_S1);
    H5Tset_size(type, 8);
    const hsize_t two = 2;
    hid_t space = H5Screate_simple(1, &two, nullptr);
    hid_t attr = H5Acreate2(f, "model_config", type, space, H5P_DEFAULT, H5P_DEFAULT);
    H5Awrite(attr, type, "{\"a\": 1}{\"b\": 2}");
    H5Aclose(attr);
    H5Sclose(space);
    H5Tclose(type);
    H5Fclose(f);
    made.push_back(path);
    EXPECT_FALSE(keras_h5_read(path, &imp, &err));
    EXPECT_NE(err.find(path + ": attribute 'model_config' is not a single string"), std::string::npos) << err;
  }
  // Past 64 KB an attribute needs the 1.8 file format's dense storage.
  for (const bool vlen : {false, true}) {
    const std::string path = temp_path(vlen ? "bigconfig-vlen.h5" : "bigconfig.h5");
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    H5Pset_libver_bounds(fapl, H5F_LIBVER_V18, H5F_LIBVER_LATEST);
    hid_t f = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
    const std::string big((1 << 20) + 1, ' ');
    if (vlen) {
      hid_t type = H5Tcopy(H5T_C_S1);
      H5Tset_size(type, H5T_VARIABLE);
      hid_t space = H5Screate(H5S_SCALAR);
      hid_t attr = H5Acreate2(f, "model_config", type, space, H5P_DEFAULT, H5P_DEFAULT);
      const char* text = big.c_str();
      H5Awrite(attr, type, &text);
      H5Aclose(attr);
      H5Sclose(space);
      H5Tclose(type);
    } else {
      write_string_attr(f, "model_config", big);
    }
    H5Fclose(f);
    H5Pclose(fapl);
    made.push_back(path);
    EXPECT_FALSE(keras_h5_read(path, &imp, &err));
    EXPECT_NE(err.find(path + ": attribute 'model_config' is 1048577 bytes, more than the 1048576 allowed"),
              std::string::npos)
        << err;
  }

  // A good file cut short anywhere: an error naming it, never a crash.
  {
    const uintmax_t size = fs::file_size(good);
    for (uintmax_t keep : {size / 8, size / 2, size - 16, size - 1}) {
      SCOPED_TRACE(keep);
      const std::string cut = temp_path("cut.h5");
      fs::copy_file(good, cut, fs::copy_options::overwrite_existing);
      fs::resize_file(cut, keep);
      EXPECT_FALSE(keras_h5_read(cut, &imp, &err));
      EXPECT_EQ(err.rfind(cut + ": ", 0), 0u) << err;
      fs::remove(cut);
    }
  }
  for (const auto& p : made) fs::remove(p);
}

}  // namespace
}  // namespace tinyad
