// tflite_export.cpp: see tflite_export.h. Quantisation follows the TFLite
// int8 spec: activations asymmetric per tensor (calibrated min/max, range
// widened to contain 0), weights symmetric per tensor in [-127, 127], biases
// int32 with scale input_scale * weight_scale and zero point 0.
#include "tflite_export.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "tflite_import.h"
#include "tflite_subset_generated.h"

namespace tinyad {
namespace {

namespace tfl = tinyad::tfl;
namespace fb = flatbuffers;

constexpr int kOpDequantize = 6;
constexpr int kOpFullyConnected = 9;
constexpr int kOpQuantize = 114;

struct Builder {
  fb::FlatBufferBuilder fbb;
  std::vector<fb::Offset<tfl::Buffer>> buffers;
  std::vector<fb::Offset<tfl::Tensor>> tensors;
  std::vector<fb::Offset<tfl::Operator>> operators;
  std::vector<fb::Offset<tfl::OperatorCode>> codes;
  std::vector<int> code_ops;  // builtin code per entry of `codes`

  Builder() { buffers.push_back(tfl::CreateBuffer(fbb)); }  // buffer 0: empty, by convention

  uint32_t add_buffer(const void* data, size_t n) {
    std::vector<uint8_t> bytes(n);
    std::memcpy(bytes.data(), data, n);
    buffers.push_back(tfl::CreateBufferDirect(fbb, &bytes));
    return uint32_t(buffers.size() - 1);
  }

  int add_tensor(const std::vector<int32_t>& shape, tfl::TensorType type, uint32_t buffer, const std::string& name,
                 const TfliteQuantization* q = nullptr) {
    fb::Offset<tfl::QuantizationParameters> qp = 0;
    if (q) {
      const std::vector<float> scale{q->scale};
      const std::vector<int64_t> zp{q->zero_point};
      qp = tfl::CreateQuantizationParametersDirect(fbb, nullptr, nullptr, &scale, &zp);
    }
    tensors.push_back(tfl::CreateTensorDirect(fbb, &shape, type, buffer, name.c_str(), qp));
    return int(tensors.size() - 1);
  }

  uint32_t opcode(int builtin, int version) {
    for (size_t i = 0; i < code_ops.size(); ++i)
      if (code_ops[i] == builtin) return uint32_t(i);
    // Codes below 127 go in the deprecated byte as well, for readers before TF 2.4.
    codes.push_back(tfl::CreateOperatorCodeDirect(fbb, int8_t(std::min(builtin, 127)), nullptr, version, builtin));
    code_ops.push_back(builtin);
    return uint32_t(codes.size() - 1);
  }
};

int8_t quantize_weight(double w, double scale) {
  const double q = std::round(w / scale);
  return int8_t(std::clamp(q, -127.0, 127.0));
}

}  // namespace

TfliteQuantization tflite_activation_quantization(double lo, double hi) {
  lo = std::min(lo, 0.0);
  hi = std::max(hi, 0.0);
  // A constant tensor (a dead ReLU layer) still needs a scale, and a tiny one
  // would overflow the next layer's int32 rescale: give it a unit range.
  if (hi - lo < 1e-6) hi = lo + 1.0;
  TfliteQuantization q;
  q.scale = float((hi - lo) / 255.0);
  const double zp = std::round(-128.0 - lo / double(q.scale));
  q.zero_point = int32_t(std::clamp(zp, -128.0, 127.0));
  return q;
}

bool tflite_export(const Model& m, const TfliteExportOptions& opt, const Eigen::MatrixXd& representative,
                   std::string* bytes, std::string* err) {
  const AutoencoderModel* ae_ptr = std::get_if<AutoencoderModel>(&m.detector);
  if (!ae_ptr) {
    *err = std::string("only autoencoder models export to .tflite (this model is ") + detector_name(m) + ")";
    return false;
  }
  const AutoencoderModel& ae = *ae_ptr;
  if (!autoencoder_check(ae, err)) return false;
  const int32_t n = int32_t(autoencoder_n_features(ae));

  // Calibration (int8): ranges of the standardised input and of every layer's output.
  std::vector<TfliteQuantization> act_q;  // [input, layer 1 output, ...]
  if (opt.int8) {
    if (representative.rows() == 0 || representative.cols() != n) {
      *err = "int8 export needs representative windows with " + std::to_string(n) +
             " features (the training windows)";
      return false;
    }
    Eigen::MatrixXd Z, Y;
    autoencoder_reconstruct(ae, representative, &Z, &Y);
    act_q.push_back(tflite_activation_quantization(Z.minCoeff(), Z.maxCoeff()));
    const auto acts = autoencoder_activations(ae, representative);
    for (const auto& a : acts) act_q.push_back(tflite_activation_quantization(a.minCoeff(), a.maxCoeff()));
  }

  Builder b;
  const tfl::TensorType act_type = opt.int8 ? tfl::TensorType_INT8 : tfl::TensorType_FLOAT32;
  std::vector<int> graph_inputs, graph_outputs;
  int cur;
  if (opt.int8 && opt.float_io) {
    const int fin = b.add_tensor({1, n}, tfl::TensorType_FLOAT32, 0, "input");
    cur = b.add_tensor({1, n}, tfl::TensorType_INT8, 0, "input_int8", &act_q[0]);
    const std::vector<int32_t> ins{fin}, outs{cur};
    b.operators.push_back(tfl::CreateOperatorDirect(b.fbb, b.opcode(kOpQuantize, 2), &ins, &outs,
                                                    tfl::BuiltinOptions_QuantizeOptions,
                                                    tfl::CreateQuantizeOptions(b.fbb).Union()));
    graph_inputs.push_back(fin);
  } else {
    cur = b.add_tensor({1, n}, act_type, 0, "input", opt.int8 ? &act_q[0] : nullptr);
    graph_inputs.push_back(cur);
  }
  for (size_t k = 0; k < ae.layers.size(); ++k) {
    const DenseLayer& l = ae.layers[k];
    const int32_t n_out = int32_t(l.weights.rows()), n_in = int32_t(l.weights.cols());
    const std::string base = "dense_" + std::to_string(k + 1);
    int w_t, b_t;
    if (opt.int8) {
      // Weights as float32 first, as a converter would see them.
      const double wmax = l.weights.cast<float>().cast<double>().cwiseAbs().maxCoeff();
      TfliteQuantization wq{float(wmax > 0 ? wmax / 127.0 : 1.0), 0};
      std::vector<int8_t> w(static_cast<size_t>(n_out * n_in));
      for (int32_t o = 0; o < n_out; ++o)
        for (int32_t i = 0; i < n_in; ++i)
          w[size_t(o * n_in + i)] = quantize_weight(double(float(l.weights(o, i))), double(wq.scale));
      const double bias_scale = double(act_q[k].scale) * double(wq.scale);
      std::vector<int32_t> bias(static_cast<size_t>(n_out));
      for (int32_t o = 0; o < n_out; ++o)
        bias[size_t(o)] = int32_t(std::clamp(std::round(double(float(l.bias[o])) / bias_scale), -2147483647.0, 2147483647.0));
      TfliteQuantization bq{float(bias_scale), 0};
      w_t = b.add_tensor({n_out, n_in}, tfl::TensorType_INT8, b.add_buffer(w.data(), w.size()), base + "/weights", &wq);
      b_t = b.add_tensor({n_out}, tfl::TensorType_INT32, b.add_buffer(bias.data(), 4 * bias.size()), base + "/bias", &bq);
    } else {
      std::vector<float> w(static_cast<size_t>(n_out * n_in)), bias(static_cast<size_t>(n_out));
      for (int32_t o = 0; o < n_out; ++o) {
        for (int32_t i = 0; i < n_in; ++i) w[size_t(o * n_in + i)] = float(l.weights(o, i));
        bias[size_t(o)] = float(l.bias[o]);
      }
      w_t = b.add_tensor({n_out, n_in}, tfl::TensorType_FLOAT32, b.add_buffer(w.data(), 4 * w.size()), base + "/weights");
      b_t = b.add_tensor({n_out}, tfl::TensorType_FLOAT32, b.add_buffer(bias.data(), 4 * bias.size()), base + "/bias");
    }
    const bool last = k + 1 == ae.layers.size();
    const std::string out_name = last && !(opt.int8 && opt.float_io) ? "output" : base + "/output";
    const int out = b.add_tensor({1, n_out}, act_type, 0, out_name, opt.int8 ? &act_q[k + 1] : nullptr);
    const std::vector<int32_t> ins{cur, w_t, b_t}, outs{out};
    const auto act = l.activation == TINYAD_ACT_RELU ? tfl::ActivationFunctionType_RELU : tfl::ActivationFunctionType_NONE;
    // Operator versions: 1 is float FULLY_CONNECTED, 4 the int8 kernel.
    b.operators.push_back(tfl::CreateOperatorDirect(b.fbb, b.opcode(kOpFullyConnected, opt.int8 ? 4 : 1), &ins, &outs,
                                                    tfl::BuiltinOptions_FullyConnectedOptions,
                                                    tfl::CreateFullyConnectedOptions(b.fbb, act).Union()));
    cur = out;
  }
  if (opt.int8 && opt.float_io) {
    const int fout = b.add_tensor({1, n}, tfl::TensorType_FLOAT32, 0, "output");
    const std::vector<int32_t> ins{cur}, outs{fout};
    b.operators.push_back(tfl::CreateOperatorDirect(b.fbb, b.opcode(kOpDequantize, 2), &ins, &outs,
                                                    tfl::BuiltinOptions_DequantizeOptions,
                                                    tfl::CreateDequantizeOptions(b.fbb).Union()));
    cur = fout;
  }
  graph_outputs.push_back(cur);

  // Metadata: the runtime version TFLite tools expect, and the tinyad model.
  const std::string runtime = opt.int8 ? "1.14.0" : "1.5.0";
  const uint32_t rt_buf = b.add_buffer(runtime.data(), runtime.size());
  nlohmann::json model_json = model_to_json(m);
  // The weights are in the graph already; tflite_to_model puts them back.
  for (auto& l : model_json["detector"]["layers"]) {
    l.erase("weights");
    l.erase("bias");
  }
  model_json["provenance"]["tflite"] = {{"int8", opt.int8}, {"float_io", opt.float_io},
                                        {"io", "standardised features z = (x - input_mean) / input_scale"}};
  const std::string meta = model_json.dump();
  const uint32_t meta_buf = b.add_buffer(meta.data(), meta.size());
  std::vector<fb::Offset<tfl::Metadata>> metadata{tfl::CreateMetadataDirect(b.fbb, "min_runtime_version", rt_buf),
                                                   tfl::CreateMetadataDirect(b.fbb, "tinyad_model", meta_buf)};
  std::vector<fb::Offset<tfl::SubGraph>> graphs{
      tfl::CreateSubGraphDirect(b.fbb, &b.tensors, &graph_inputs, &graph_outputs, &b.operators, "main")};
  const std::string description = std::string("tinyad ") + TINYAD_VERSION + " autoencoder " + autoencoder_shape(ae) +
                                  (opt.int8 ? " int8" : " float32");
  const auto root = tfl::CreateModelDirect(b.fbb, 3, &b.codes, &graphs, description.c_str(), &b.buffers, nullptr, &metadata);
  tfl::FinishModelBuffer(b.fbb, root);
  bytes->assign(reinterpret_cast<const char*>(b.fbb.GetBufferPointer()), b.fbb.GetSize());
  return true;
}

bool tflite_export_q8_layers(const TfliteNet& net, size_t first, size_t count, std::string* bytes, std::string* err) {
  if (!net.quantized || count == 0 || first + count > net.q8.size()) {
    *err = "tflite_export_q8_layers: needs an int8 network with layers " + std::to_string(first) + ".." +
           std::to_string(first + count - 1);
    return false;
  }
  Builder b;
  const TfliteQ8Layer& q0 = net.q8[first];
  TfliteQuantization in_q{q0.input_scale, q0.input_zero_point};
  int cur = b.add_tensor({1, int32_t(q0.n_in)}, tfl::TensorType_INT8, 0, "input", &in_q);
  const std::vector<int> graph_inputs{cur};
  for (size_t k = first; k < first + count; ++k) {
    const TfliteQ8Layer& q = net.q8[k];
    const int32_t n_out = int32_t(q.n_out), n_in = int32_t(q.n_in);
    const std::string base = "dense_" + std::to_string(k + 1);
    TfliteQuantization wq{q.weight_scale, 0}, bq{float(double(q.input_scale) * double(q.weight_scale)), 0},
        oq{q.output_scale, q.output_zero_point};
    const int w_t = b.add_tensor({n_out, n_in}, tfl::TensorType_INT8, b.add_buffer(q.weights.data(), q.weights.size()),
                                 base + "/weights", &wq);
    std::vector<int32_t> bias = q.bias.empty() ? std::vector<int32_t>(q.n_out, 0) : q.bias;
    const int b_t = b.add_tensor({n_out}, tfl::TensorType_INT32, b.add_buffer(bias.data(), 4 * bias.size()),
                                 base + "/bias", &bq);
    const int out = b.add_tensor({1, n_out}, tfl::TensorType_INT8, 0, base + "/output", &oq);
    const std::vector<int32_t> ins{cur, w_t, b_t}, outs{out};
    const auto act = q.activation == TINYAD_ACT_RELU ? tfl::ActivationFunctionType_RELU : tfl::ActivationFunctionType_NONE;
    b.operators.push_back(tfl::CreateOperatorDirect(b.fbb, b.opcode(kOpFullyConnected, 4), &ins, &outs,
                                                    tfl::BuiltinOptions_FullyConnectedOptions,
                                                    tfl::CreateFullyConnectedOptions(b.fbb, act).Union()));
    cur = out;
  }
  const std::vector<int> graph_outputs{cur};
  std::vector<fb::Offset<tfl::SubGraph>> graphs{
      tfl::CreateSubGraphDirect(b.fbb, &b.tensors, &graph_inputs, &graph_outputs, &b.operators, "main")};
  const std::string description = std::string("tinyad ") + TINYAD_VERSION + " int8 layers " + std::to_string(first + 1) +
                                  ".." + std::to_string(first + count);
  tfl::FinishModelBuffer(b.fbb, tfl::CreateModelDirect(b.fbb, 3, &b.codes, &graphs, description.c_str(), &b.buffers));
  bytes->assign(reinterpret_cast<const char*>(b.fbb.GetBufferPointer()), b.fbb.GetSize());
  return true;
}

}  // namespace tinyad
