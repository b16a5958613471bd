// armnn_tflite_test.cpp: an independent reader for tinyad's .tflite files.
// Arm NN's TfLiteParser (Debian's libarmnntfliteparser, with its own copy of
// the TFLite schema) loads every file tinyad exports, and the original's,
// and its reference CPU backend runs them on real windows. Outputs must
// match tinyad's: float32 to 1e-6 relative, int8 to one quantisation step.
// Its own executable: it links Arm NN, which the rest of the suite need not.
#include <armnn/ArmNN.hpp>
#include <armnnTfLiteParser/ITfLiteParser.hpp>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <memory>

#include "atomic_file.h"
#include "dataset.h"
#include "dataset_load.h"
#include "feature_table.h"
#include "keras_h5.h"
#include "model_import.h"
#include "test_env.h"
#include "tflite_export.h"
#include "tflite_import.h"
#include "train.h"

namespace tinyad {
namespace {

const char* const kNormal = "fan_0_low_0_weight-moving";
const std::vector<std::string> kAnomalies = {"fan_0_med_0_weight", "fan_0_high_0_weight", "fan_0_low_1_weight",
                                             "fan_0_med_1_weight", "fan_0_high_1_weight"};

// One loaded network on Arm NN's CpuRef backend, with a single input and output.
class ArmnnNet {
 public:
  bool load(const std::string& bytes, std::string* err) {
    auto parser = armnnTfLiteParser::ITfLiteParser::Create();
    armnn::INetworkPtr net(nullptr, nullptr);
    try {
      net = parser->CreateNetworkFromBinary(std::vector<uint8_t>(bytes.begin(), bytes.end()));
      const auto ins = parser->GetSubgraphInputTensorNames(0);
      const auto outs = parser->GetSubgraphOutputTensorNames(0);
      if (ins.size() != 1 || outs.size() != 1) {
        *err = "expected one input and one output";
        return false;
      }
      in_ = parser->GetNetworkInputBindingInfo(0, ins[0]);
      out_ = parser->GetNetworkOutputBindingInfo(0, outs[0]);
    } catch (const armnn::Exception& e) {
      *err = std::string("Arm NN TfLiteParser: ") + e.what();
      return false;
    }
    runtime_ = armnn::IRuntime::Create(armnn::IRuntime::CreationOptions());
    armnn::IOptimizedNetworkPtr opt =
        armnn::Optimize(*net, {armnn::Compute::CpuRef}, runtime_->GetDeviceSpec());
    std::string msg;
    if (!opt || runtime_->LoadNetwork(id_, std::move(opt), msg, armnn::INetworkProperties()) != armnn::Status::Success) {
      *err = "Arm NN LoadNetwork on CpuRef failed: " + msg;
      return false;
    }
    return true;
  }

  const armnn::TensorInfo& input_info() const { return in_.second; }
  const armnn::TensorInfo& output_info() const { return out_.second; }

  template <typename In, typename Out>
  std::vector<Out> run(std::vector<In> input) {
    std::vector<Out> output(output_info().GetNumElements());
    armnn::InputTensors it{{in_.first, armnn::ConstTensor(in_.second, input.data())}};
    armnn::OutputTensors ot{{out_.first, armnn::Tensor(out_.second, output.data())}};
    EXPECT_EQ(runtime_->EnqueueWorkload(id_, it, ot), armnn::Status::Success);
    return output;
  }

 private:
  armnn::IRuntimePtr runtime_{nullptr, nullptr};
  armnn::NetworkId id_ = 0;
  armnn::BindingPointInfo in_, out_;
};

// |a - b| <= 1e-6 relative to the larger of |b| and the output's largest
// value (ReLU zeros and near-cancelling sums have no relative error of their own).
void expect_float_match(const Eigen::MatrixXd& tinyad, const std::vector<std::vector<float>>& armnn, const std::string& what) {
  ASSERT_EQ(size_t(tinyad.rows()), armnn.size()) << what;
  double worst = 0;
  for (Eigen::Index r = 0; r < tinyad.rows(); ++r) {
    const double scale = std::max(tinyad.row(r).cwiseAbs().maxCoeff(), 1e-30);
    for (Eigen::Index c = 0; c < tinyad.cols(); ++c) {
      const double a = tinyad(r, c), b = armnn[size_t(r)][size_t(c)];
      const double rel = std::abs(a - b) / std::max(std::abs(b), scale);
      worst = std::max(worst, rel);
      EXPECT_LE(rel, 1e-6) << what << " window " << r << " output " << c << ": tinyad " << a << ", Arm NN " << b;
    }
  }
  std::printf("[ measured ] %s: worst relative difference %.3g\n", what.c_str(), worst);
}

std::vector<std::vector<float>> armnn_run_float(ArmnnNet& net, const Eigen::MatrixXd& X) {
  std::vector<std::vector<float>> out;
  for (Eigen::Index r = 0; r < X.rows(); ++r) {
    std::vector<float> x(size_t(X.cols()));
    for (Eigen::Index c = 0; c < X.cols(); ++c) x[size_t(c)] = float(X(r, c));
    out.push_back(net.run<float, float>(x));
  }
  return out;
}

// Real windows: the first `per_label` files of the normal and anomaly labels.
Eigen::MatrixXd real_windows(const std::string& data, const Recipe& recipe, size_t per_label) {
  Dataset ds;
  std::string err;
  EXPECT_TRUE(dataset_open(data, &ds, &err)) << err;
  std::vector<std::string> labels = kAnomalies;
  labels.push_back(kNormal);
  std::vector<DatasetFile> picked;
  for (const auto& l : labels) {
    std::vector<DatasetFile> files;
    EXPECT_TRUE(dataset_files(ds, {l}, &files, &err)) << err;
    for (size_t i = 0; i < files.size() && i < per_label; ++i) picked.push_back(files[i]);
  }
  return feature_table_load(picked, recipe.core, false).X;
}

std::string read_bytes(const std::string& path) {
  std::string bytes, err;
  EXPECT_TRUE(read_file(path, &bytes, &err)) << err;
  return bytes;
}

TEST(ArmnnTflite, OriginalTfliteFilesMatch) {
  std::string ref, data, err;
  TINYAD_REQUIRE_ENV_PATH("TINYAD_REFERENCE", ref);
  TINYAD_REQUIRE_ENV_PATH("TINYAD_DATA", data);
  Recipe original;
  ASSERT_TRUE(recipe_named("original", &original, &err));
  const Eigen::MatrixXd X = real_windows(data, original, 12);
  ASSERT_EQ(X.rows(), 72);
  for (const char* name : {"fan_low_model", "fan_low_model-moving", "fan_low_model-deploy"}) {
    const std::string path = ref + "/autoencoder/" + name + ".tflite";
    TfliteNet net;
    ASSERT_TRUE(tflite_load(path, &net, &err)) << err;
    ArmnnNet arm;
    ASSERT_TRUE(arm.load(read_bytes(path), &err)) << name << ": " << err;
    expect_float_match(tflite_run(net, X), armnn_run_float(arm, X), name);
  }
}

TEST(ArmnnTflite, OriginalH5MatchesArmnn) {
  std::string ref, data, err;
  TINYAD_REQUIRE_ENV_PATH("TINYAD_REFERENCE", ref);
  TINYAD_REQUIRE_ENV_PATH("TINYAD_DATA", data);
  Recipe original;
  ASSERT_TRUE(recipe_named("original", &original, &err));
  const Eigen::MatrixXd X = real_windows(data, original, 12);
  for (const char* name : {"fan_low_model", "fan_low_model-moving", "fan_low_model-deploy"}) {
    SCOPED_TRACE(name);
    Model m;
    ASSERT_TRUE(import_keras_model(ref + "/autoencoder/" + name + ".h5", 1.0, &m, &err)) << err;
    Eigen::MatrixXd Z, Y;  // tinyad's own (double) scoring path
    autoencoder_reconstruct(std::get<AutoencoderModel>(m.detector), X, &Z, &Y);
    // The .h5 exported by tinyad, run by Arm NN.
    std::string bytes;
    ASSERT_TRUE(tflite_export(m, {}, Eigen::MatrixXd(), &bytes, &err)) << err;
    ArmnnNet arm;
    ASSERT_TRUE(arm.load(bytes, &err)) << err;
    expect_float_match(Y, armnn_run_float(arm, X), std::string(name) + ".h5 export");
    // -moving and -deploy were converted from their .h5 (DATA.md): the original
    // .tflite in Arm NN gives what tinyad computes from the .h5.
    if (std::string(name) != "fan_low_model") {
      ArmnnNet orig;
      ASSERT_TRUE(orig.load(read_bytes(ref + "/autoencoder/" + name + ".tflite"), &err)) << err;
      expect_float_match(Y, armnn_run_float(orig, X), std::string(name) + ".h5 vs original .tflite");
    }
  }
}

// Trains like `tinyad train --detector autoencoder` and checks every export.
void check_trained_exports(const std::string& recipe, const std::string& layers, int epochs) {
  std::string data, err;
  TINYAD_REQUIRE_ENV_PATH("TINYAD_DATA", data);
  TrainOptions opt;
  opt.data = data;
  opt.normal = {kNormal};
  opt.recipe = recipe;
  opt.detector = AutoencoderModel();
  opt.progress = false;
  AutoencoderTrainOptions ao = autoencoder_default_options(recipe);
  ASSERT_TRUE(parse_layer_sizes(layers, &ao.hidden, &err));
  ao.epochs = epochs;
  opt.autoencoder = ao;
  TrainResult r;
  ASSERT_TRUE(train_run(opt, &r, &err)) << err;
  const Model& m = r.model;
  FeatureTable split_train;
  ASSERT_TRUE(dataset_load_split(m.split, &ModelSplit::train, m.recipe.core, &split_train, &err)) << err;
  const Eigen::MatrixXd& train = split_train.X;
  const Eigen::MatrixXd X = real_windows(data, m.recipe, 12);
  Eigen::MatrixXd Z, Y;
  autoencoder_reconstruct(std::get<AutoencoderModel>(m.detector), X, &Z, &Y);

  // float32
  std::string bytes;
  ASSERT_TRUE(tflite_export(m, {}, train, &bytes, &err)) << err;
  TfliteNet net;
  ASSERT_TRUE(tflite_parse(bytes, "float", &net, &err)) << err;
  ArmnnNet arm;
  ASSERT_TRUE(arm.load(bytes, &err)) << err;
  expect_float_match(tflite_run(net, Z), armnn_run_float(arm, Z), recipe + " float32");

  // int8, int8 input and output. Arm NN's reference backend rescales each
  // FULLY_CONNECTED accumulator in float, TFLite (and tinyad) in Q31 fixed
  // point, so one op may round one step apart; that step can grow through the
  // next layers. So: every op within one step on the same int8 input, and the
  // whole network's outputs and scores reported (bounded loosely).
  TfliteExportOptions q;
  q.int8 = true;
  ASSERT_TRUE(tflite_export(m, q, train, &bytes, &err)) << err;
  ASSERT_TRUE(tflite_parse(bytes, "int8", &net, &err)) << err;
  ArmnnNet arm8;
  ASSERT_TRUE(arm8.load(bytes, &err)) << err;
  ASSERT_EQ(arm8.input_info().GetDataType(), armnn::DataType::QAsymmS8);
  EXPECT_FLOAT_EQ(arm8.input_info().GetQuantizationScale(), net.input_scale);
  EXPECT_EQ(arm8.input_info().GetQuantizationOffset(), net.input_zero_point);
  EXPECT_EQ(arm8.output_info().GetQuantizationOffset(), net.output_zero_point);
  std::vector<std::unique_ptr<ArmnnNet>> ops;  // one single-op network per layer
  for (size_t k = 0; k < net.q8.size(); ++k) {
    std::string op_bytes;
    ASSERT_TRUE(tflite_export_q8_layers(net, k, 1, &op_bytes, &err)) << err;
    ops.push_back(std::make_unique<ArmnnNet>());
    ASSERT_TRUE(ops.back()->load(op_bytes, &err)) << err;
  }
  const size_t n = size_t(Z.cols());
  int worst_op = 0, worst_net = 0;
  size_t differing_op = 0, compared_op = 0, differing_net = 0;
  double worst_score = 0;
  for (Eigen::Index r = 0; r < Z.rows(); ++r) {
    std::vector<int8_t> in(n);
    for (size_t i = 0; i < n; ++i) in[i] = tinyad_quantize_int8<float>(float(Z(r, Eigen::Index(i))), net.input_scale, net.input_zero_point);
    // Op by op, on tinyad's own activations.
    std::vector<int8_t> a = in;
    for (size_t k = 0; k < net.q8.size(); ++k) {
      const TfliteQ8Layer& L = net.q8[k];
      const tinyad_dense_layer_q8 l{L.n_in, L.n_out, L.weights.data(), L.bias.data(), L.input_zero_point,
                                    L.output_zero_point, L.multiplier, L.shift, L.act_min, L.act_max};
      std::vector<int8_t> mine(L.n_out);
      ASSERT_EQ(tinyad_dense_forward_q8(&l, a.data(), a.size(), mine.data(), mine.size()), TINYAD_STATUS_OK);
      const std::vector<int8_t> theirs = ops[k]->run<int8_t, int8_t>(a);
      for (size_t o = 0; o < L.n_out; ++o) {
        const int d = std::abs(int(mine[o]) - int(theirs[o]));
        worst_op = std::max(worst_op, d);
        differing_op += d != 0;
        ++compared_op;
        EXPECT_LE(d, 1) << recipe << " int8 layer " << k + 1 << " window " << r << " output " << o;
      }
      a = mine;
    }
    // The whole network.
    std::vector<int8_t> mine(n);
    ASSERT_TRUE(tflite_run_q8(net, in.data(), mine.data()));
    const std::vector<int8_t> theirs = arm8.run<int8_t, int8_t>(in);
    double s_mine = 0, s_theirs = 0;
    for (size_t i = 0; i < n; ++i) {
      const int d = std::abs(int(mine[i]) - int(theirs[i]));
      worst_net = std::max(worst_net, d);
      differing_net += d != 0;
      const double z = Z(r, Eigen::Index(i));
      s_mine += std::pow(z - tinyad_dequantize_int8<double>(mine[i], net.output_scale, net.output_zero_point), 2);
      s_theirs += std::pow(z - tinyad_dequantize_int8<double>(theirs[i], net.output_scale, net.output_zero_point), 2);
    }
    worst_score = std::max(worst_score, std::abs(s_mine - s_theirs) / std::max(s_mine, 1e-12));
    EXPECT_LE(worst_net, 4) << recipe << " int8 network window " << r;
  }
  EXPECT_LE(worst_score, 0.05) << recipe << ": int8 scores of tinyad and Arm NN differ by more than 5 %";
  std::printf("[ measured ] %s int8: per op worst %d step(s), %zu of %zu outputs differ; whole network worst %d "
              "step(s), %zu of %zu outputs differ; scores within %.2g relative\n",
              recipe.c_str(), worst_op, differing_op, compared_op, worst_net, differing_net, size_t(Z.rows()) * n,
              worst_score);

  // int8 with float input/output (QUANTIZE ... DEQUANTIZE): within one output step.
  q.float_io = true;
  ASSERT_TRUE(tflite_export(m, q, train, &bytes, &err)) << err;
  ASSERT_TRUE(tflite_parse(bytes, "int8 float io", &net, &err)) << err;
  ArmnnNet armf;
  ASSERT_TRUE(armf.load(bytes, &err)) << err;
  const Eigen::MatrixXd mine = tflite_run(net, Z);
  const auto theirs = armnn_run_float(armf, Z);
  // Same integer network inside: the same differences as above, in output units.
  for (Eigen::Index r = 0; r < Z.rows(); ++r)
    for (Eigen::Index c = 0; c < Z.cols(); ++c)
      EXPECT_LE(std::abs(mine(r, c) - theirs[size_t(r)][size_t(c)]), (worst_net + 0.001) * net.output_scale)
          << recipe << " int8 float-io window " << r << " output " << c;
}

TEST(ArmnnTflite, TrainedOriginalRecipeExportsMatch) { check_trained_exports("original", "2", 50); }

TEST(ArmnnTflite, TrainedDefaultRecipeExportsMatch) { check_trained_exports("default", "32,8,32", 200); }

}  // namespace
}  // namespace tinyad
