// tflite_test.cpp: .tflite export and import inside tinyad (the check by an
// independent reader, Arm NN, is tests/armnn_tflite_test.cpp). Round trips,
// int8 against float, the original's files, and files that must be refused.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "autoencoder_train.h"
#include "keras_h5.h"
#include "rng.h"
#include "test_env.h"
#include "tflite_export.h"
#include "tflite_import.h"
#include "tflite_subset_generated.h"
#include "test_random.h"

namespace tinyad {
namespace {

using test::random_matrix;

// A small trained autoencoder with a stored standardisation, split and threshold.
Model trained_model(Eigen::MatrixXd* train) {
  const Eigen::MatrixXd mix = random_matrix(2, 3, 7);
  *train = random_matrix(200, 2, 1, 2.0) * mix + random_matrix(200, 3, 2, 0.05);
  train->col(0).array() += 0.01;  // raw-feature-like offsets and scales
  train->col(2) *= 1e-3;
  Model m;
  std::string err;
  EXPECT_TRUE(recipe_named("original", &m.recipe, &err));
  m.detector = AutoencoderModel();
  AutoencoderTrainOptions o;
  o.hidden = {8, 4, 8};
  o.dropout = 0;
  o.epochs = 150;
  o.batch_size = 32;
  o.seed = 1;  // (seed 0 happens to kill every unit of this small net: a degenerate test model)
  EXPECT_TRUE(autoencoder_train(*train, Eigen::MatrixXd(), o, &std::get<AutoencoderModel>(m.detector), nullptr, &err)) << err;
  m.threshold = {"mean+sd", 3.0, 1.25};
  m.split = ModelSplit{"/data/x", 7, {"normal"}, {"normal/0000.csv"}, {"normal/0001.csv"}, {"normal/0002.csv"}, {}};
  return m;
}

TEST(Tflite, FloatRoundTripKeepsModel) {
  Eigen::MatrixXd train;
  const Model m = trained_model(&train);
  std::string bytes, err;
  ASSERT_TRUE(tflite_export(m, {}, Eigen::MatrixXd(), &bytes, &err)) << err;
  TfliteNet net;
  ASSERT_TRUE(tflite_parse(bytes, "x.tflite", &net, &err)) << err;
  EXPECT_FALSE(net.quantized);
  ASSERT_EQ(net.layers.size(), 4u);
  EXPECT_EQ(net.ops.front(), "FULLY_CONNECTED (relu)");
  EXPECT_EQ(net.ops.back(), "FULLY_CONNECTED (linear)");
  for (size_t k = 0; k < 4; ++k)  // float32 storage, exactly
    EXPECT_EQ(net.layers[k].weights, std::get<AutoencoderModel>(m.detector).layers[k].weights.cast<float>().cast<double>());
  Model back;
  ASSERT_TRUE(tflite_to_model(net, "x.tflite", 9.0, &back, &err)) << err;
  EXPECT_EQ(back.recipe.name, "original");
  EXPECT_DOUBLE_EQ(back.threshold.value, 1.25);  // from the metadata, not the 9.0 fallback
  ASSERT_TRUE(back.split.has_value());
  EXPECT_EQ(back.split->train, m.split->train);
  EXPECT_EQ(std::get<AutoencoderModel>(back.detector).input_mean, std::get<AutoencoderModel>(m.detector).input_mean);
  const Eigen::VectorXd a = model_scores(m, train), b = model_scores(back, train), c = tflite_scores(net, std::get<AutoencoderModel>(m.detector), train);
  for (Eigen::Index r = 0; r < a.size(); ++r) {
    EXPECT_NEAR(b[r], a[r], 1e-5 * (a[r] + 1e-3));
    EXPECT_NEAR(c[r], a[r], 1e-4 * (a[r] + 1e-3));  // float32 network: the MSE of small residuals cancels
  }
}

TEST(Tflite, Int8FollowsTheSpecAndTracksFloat) {
  Eigen::MatrixXd train;
  const Model m = trained_model(&train);
  TfliteExportOptions o;
  o.int8 = true;
  std::string bytes, err;
  ASSERT_TRUE(tflite_export(m, o, train, &bytes, &err)) << err;
  TfliteNet net;
  ASSERT_TRUE(tflite_parse(bytes, "q.tflite", &net, &err)) << err;
  ASSERT_TRUE(net.quantized);
  EXPECT_FALSE(net.float_input);
  ASSERT_EQ(net.q8.size(), 4u);
  for (size_t k = 0; k < net.q8.size(); ++k) {
    const TfliteQ8Layer& q = net.q8[k];
    // Symmetric weights in [-127, 127] using the full range; ReLU outputs start at the zero point.
    const int8_t wmax = *std::max_element(q.weights.begin(), q.weights.end(), [](int8_t a, int8_t b) { return std::abs(a) < std::abs(b); });
    EXPECT_EQ(std::abs(int(wmax)), 127);
    EXPECT_GE(*std::min_element(q.weights.begin(), q.weights.end()), -127);
    if (q.activation == TINYAD_ACT_RELU) {
      EXPECT_EQ(q.output_zero_point, -128);
    }
    if (k > 0) {
      EXPECT_EQ(q.input_scale, net.q8[k - 1].output_scale);
    }
  }
  // Outputs stay within a few output steps of the float network's on the calibration windows.
  Eigen::MatrixXd Z, Y;
  autoencoder_reconstruct(std::get<AutoencoderModel>(m.detector), train, &Z, &Y);
  const Eigen::MatrixXd Yq = tflite_run(net, Z);
  const double err_steps = (Yq - Y).cwiseAbs().maxCoeff() / net.output_scale;
  EXPECT_LT(err_steps, 6.0);
  EXPECT_GT((Yq - Y).cwiseAbs().maxCoeff(), 0.0);  // it really is quantised

  // The float-I/O variant wraps the same integer network in QUANTIZE / DEQUANTIZE.
  o.float_io = true;
  std::string bytes2;
  ASSERT_TRUE(tflite_export(m, o, train, &bytes2, &err)) << err;
  TfliteNet net2;
  ASSERT_TRUE(tflite_parse(bytes2, "qf.tflite", &net2, &err)) << err;
  EXPECT_TRUE(net2.float_input && net2.float_output);
  EXPECT_EQ(net2.ops.front(), "QUANTIZE");
  EXPECT_EQ(net2.ops.back(), "DEQUANTIZE");
  EXPECT_EQ(tflite_run(net2, Z), Yq);
  // And an int8 file converts back to a (dequantised) tinyad model.
  Model back;
  ASSERT_TRUE(tflite_to_model(net2, "qf.tflite", 1.0, &back, &err)) << err;
  EXPECT_TRUE(back.provenance.value("dequantized_from_int8", false));
}

TEST(Tflite, OriginalFilesImport) {
  std::string ref;
  TINYAD_REQUIRE_ENV_PATH("TINYAD_REFERENCE", ref);
  for (const char* name : {"fan_low_model", "fan_low_model-moving", "fan_low_model-deploy"}) {
    SCOPED_TRACE(name);
    TfliteNet net;
    std::string err;
    ASSERT_TRUE(tflite_load(ref + "/autoencoder/" + name + ".tflite", &net, &err)) << err;
    EXPECT_EQ(net.description, "TOCO Converted.");
    EXPECT_EQ(net.ops, (std::vector<std::string>{"FULLY_CONNECTED (relu)", "FULLY_CONNECTED (relu)"}));
    EXPECT_TRUE(net.tinyad_metadata.is_null());
    KerasImport h5;
    ASSERT_TRUE(keras_h5_read(ref + "/autoencoder/" + name + ".h5", &h5, &err)) << err;
    // DATA.md: -moving and -deploy are conversions of their .h5; fan_low_model is not.
    const bool same = net.layers[0].weights == h5.model.layers[0].weights && net.layers[1].bias == h5.model.layers[1].bias;
    EXPECT_EQ(same, std::string(name) != "fan_low_model");
    Model m;
    ASSERT_TRUE(tflite_to_model(net, name, 0.25, &m, &err)) << err;
    EXPECT_EQ(m.recipe.name, "original");
    EXPECT_DOUBLE_EQ(m.threshold.value, 0.25);
  }
}

std::string unsupported_op_model(int builtin, tinyad::tfl::ActivationFunctionType act) {
  namespace tfl = tinyad::tfl;
  flatbuffers::FlatBufferBuilder fbb;
  std::vector<flatbuffers::Offset<tfl::Buffer>> buffers{tfl::CreateBuffer(fbb)};
  const std::vector<float> w(9, 0.5f);
  const std::vector<uint8_t> wb(reinterpret_cast<const uint8_t*>(w.data()), reinterpret_cast<const uint8_t*>(w.data()) + 36);
  buffers.push_back(tfl::CreateBufferDirect(fbb, &wb));
  const std::vector<int32_t> s13{1, 3}, s33{3, 3};
  std::vector<flatbuffers::Offset<tfl::Tensor>> tensors{
      tfl::CreateTensorDirect(fbb, &s13, tfl::TensorType_FLOAT32, 0, "in"),
      tfl::CreateTensorDirect(fbb, &s33, tfl::TensorType_FLOAT32, 1, "w"),
      tfl::CreateTensorDirect(fbb, &s13, tfl::TensorType_FLOAT32, 0, "out")};
  std::vector<flatbuffers::Offset<tfl::OperatorCode>> codes{
      tfl::CreateOperatorCodeDirect(fbb, int8_t(builtin), nullptr, 1, builtin)};
  const std::vector<int32_t> ins{0, 1, -1}, outs{2}, gin{0}, gout{2};
  std::vector<flatbuffers::Offset<tfl::Operator>> ops{tfl::CreateOperatorDirect(
      fbb, 0, &ins, &outs, tfl::BuiltinOptions_FullyConnectedOptions, tfl::CreateFullyConnectedOptions(fbb, act).Union())};
  std::vector<flatbuffers::Offset<tfl::SubGraph>> graphs{tfl::CreateSubGraphDirect(fbb, &tensors, &gin, &gout, &ops)};
  tfl::FinishModelBuffer(fbb, tfl::CreateModelDirect(fbb, 3, &codes, &graphs, "test", &buffers));
  return std::string(reinterpret_cast<const char*>(fbb.GetBufferPointer()), fbb.GetSize());
}

TEST(Tflite, BadFilesGiveClearErrors) {
  Eigen::MatrixXd train;
  const Model m = trained_model(&train);
  std::string good, err;
  ASSERT_TRUE(tflite_export(m, {}, Eigen::MatrixXd(), &good, &err)) << err;
  TfliteNet net;

  EXPECT_FALSE(tflite_parse("TFL", "a.tflite", &net, &err));
  EXPECT_NE(err.find("too short"), std::string::npos) << err;

  std::string wrong = good;
  wrong.replace(4, 4, "ABCD");
  EXPECT_FALSE(tflite_parse(wrong, "b.tflite", &net, &err));
  EXPECT_NE(err.find("identifier 'ABCD', expected 'TFL3'"), std::string::npos) << err;

  EXPECT_FALSE(tflite_parse(good.substr(0, good.size() / 2), "c.tflite", &net, &err));
  EXPECT_NE(err.find("damaged or truncated"), std::string::npos) << err;

  // A self-consistent file whose operator tinyad does not run.
  ASSERT_TRUE(tflite_parse(unsupported_op_model(9, tinyad::tfl::ActivationFunctionType_NONE), "d", &net, &err)) << err;
  EXPECT_FALSE(tflite_parse(unsupported_op_model(3, tinyad::tfl::ActivationFunctionType_NONE), "d.tflite", &net, &err));
  EXPECT_NE(err.find("operator 0 is CONV_2D"), std::string::npos) << err;
  EXPECT_FALSE(tflite_parse(unsupported_op_model(9, tinyad::tfl::ActivationFunctionType_RELU6), "e.tflite", &net, &err));
  EXPECT_NE(err.find("RELU6"), std::string::npos) << err;

  Model maha;  // a Mahalanobis model has no network to export
  EXPECT_FALSE(tflite_export(maha, {}, Eigen::MatrixXd(), &good, &err));
  TfliteExportOptions q;
  q.int8 = true;
  EXPECT_FALSE(tflite_export(m, q, Eigen::MatrixXd(), &good, &err));
  EXPECT_NE(err.find("representative"), std::string::npos) << err;
}

TEST(Tflite, ConvertCommandRoundTrips) {
  std::string ref, err;
  TINYAD_REQUIRE_ENV_PATH("TINYAD_REFERENCE", ref);
  const std::string dir = (std::filesystem::temp_directory_path() / ("tinyad_convert_" + std::to_string(::getpid()))).string();
  std::filesystem::create_directories(dir);
  const std::string bin = TINYAD_BINARY, ae = ref + "/autoencoder/fan_low_model-moving";
  auto run = [&](const std::string& args) { return std::system((bin + " convert " + args + " >/dev/null 2>&1").c_str()); };
  ASSERT_EQ(run(ae + ".h5 " + dir + "/a.json --threshold 0.001"), 0);
  ASSERT_EQ(run(dir + "/a.json " + dir + "/a.tflite"), 0);
  ASSERT_EQ(run(dir + "/a.tflite " + dir + "/b.json"), 0);
  ASSERT_EQ(run(ae + ".tflite " + dir + "/c.json --threshold 0.001"), 0);
  // Straight from Keras to TFLite, no .json in between: the same weights.
  ASSERT_EQ(run(ae + ".h5 " + dir + "/d.tflite --threshold 0.001"), 0);
  ASSERT_EQ(run(dir + "/d.tflite " + dir + "/d.json --threshold 0.001"), 0);
  // An imported model has no training windows to calibrate int8 on, unless --data/--normal name some.
  EXPECT_NE(run(dir + "/a.json " + dir + "/a_int8.tflite --int8"), 0);
  EXPECT_FALSE(std::filesystem::exists(dir + "/a_int8.tflite"));
  EXPECT_NE(run(dir + "/a.json " + dir + "/a.npz"), 0);  // an autoencoder has no mean/covariance
  Model a, b, c, d;
  ASSERT_TRUE(model_load(dir + "/a.json", &a, &err)) << err;
  ASSERT_TRUE(model_load(dir + "/d.json", &d, &err)) << err;
  ASSERT_TRUE(model_load(dir + "/b.json", &b, &err)) << err;
  ASSERT_TRUE(model_load(dir + "/c.json", &c, &err)) << err;
  EXPECT_STREQ(detector_name(a), "autoencoder");
  EXPECT_DOUBLE_EQ(b.threshold.value, 0.001);
  for (size_t k = 0; k < 2; ++k) {
    EXPECT_EQ(std::get<AutoencoderModel>(b.detector).layers[k].weights, std::get<AutoencoderModel>(a.detector).layers[k].weights);  // float32 all the way
    EXPECT_EQ(std::get<AutoencoderModel>(d.detector).layers[k].weights, std::get<AutoencoderModel>(a.detector).layers[k].weights);
    EXPECT_EQ(std::get<AutoencoderModel>(d.detector).layers[k].bias, std::get<AutoencoderModel>(a.detector).layers[k].bias);
    EXPECT_EQ(std::get<AutoencoderModel>(c.detector).layers[k].weights, std::get<AutoencoderModel>(a.detector).layers[k].weights);  // DATA.md: -moving files match
    EXPECT_EQ(std::get<AutoencoderModel>(c.detector).layers[k].bias, std::get<AutoencoderModel>(a.detector).layers[k].bias);
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace tinyad
