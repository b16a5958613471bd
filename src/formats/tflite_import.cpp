// tflite_import.cpp: see tflite_import.h. The flatbuffer is verified before
// anything is read from it, so a truncated or hostile file is an error, not
// a crash.
#include "tflite_import.h"

#include <algorithm>
#include <cstring>

#include "atomic_file.h"
#include "tflite_subset_generated.h"

namespace tinyad {
namespace {

namespace tfl = tinyad::tfl;

constexpr int kOpDequantize = 6;
constexpr int kOpFullyConnected = 9;
constexpr int kOpQuantize = 114;

std::string op_name(int code) {
  switch (code) {
    case 0: return "ADD";
    case 3: return "CONV_2D";
    case kOpDequantize: return "DEQUANTIZE";
    case kOpFullyConnected: return "FULLY_CONNECTED";
    case 14: return "LOGISTIC";
    case 18: return "MUL";
    case 19: return "RELU";
    case 22: return "RESHAPE";
    case 25: return "SOFTMAX";
    case 28: return "TANH";
    case kOpQuantize: return "QUANTIZE";
  }
  return "builtin operator " + std::to_string(code);
}

std::string type_name(tfl::TensorType t) {
  const char* n = tfl::EnumNameTensorType(t);
  return n && *n ? n : "type " + std::to_string(int(t));
}

struct Reader {
  const tfl::Model* model;
  const tfl::SubGraph* graph;
  std::string where;  // "path"
  std::string* err;

  bool fail(const std::string& msg) {
    *err = where + ": " + msg;
    return false;
  }

  const tfl::Tensor* tensor(int index) {
    const auto* ts = graph->tensors();
    if (!ts || index < 0 || size_t(index) >= ts->size()) return nullptr;
    return ts->Get(flatbuffers::uoffset_t(index));
  }

  // The constant data of a tensor, or null when it has none.
  const flatbuffers::Vector<uint8_t>* data(const tfl::Tensor* t) {
    const auto* bufs = model->buffers();
    if (!bufs || t->buffer() >= bufs->size()) return nullptr;
    const auto* d = bufs->Get(t->buffer())->data();
    return d && d->size() ? d : nullptr;
  }

  size_t elements(const tfl::Tensor* t) {
    size_t n = 1;
    if (t->shape())
      for (int d : *t->shape()) n *= size_t(std::max(d, 0));
    return n;
  }

  // Last dimension of an activation tensor ([1, n] or [n]).
  int width(const tfl::Tensor* t) { return t->shape() && t->shape()->size() ? t->shape()->Get(t->shape()->size() - 1) : 0; }

  bool scale_zp(const tfl::Tensor* t, const std::string& what, float* scale, int32_t* zp) {
    const auto* q = t->quantization();
    if (!q || !q->scale() || q->scale()->size() == 0)
      return fail(what + " is " + type_name(t->type()) + " without quantisation parameters");
    if (q->scale()->size() != 1)
      return fail(what + " has per-channel quantisation (" + std::to_string(q->scale()->size()) +
                  " scales); tinyad reads per-tensor int8");
    *scale = q->scale()->Get(0);
    *zp = 0;
    if (q->zero_point() && q->zero_point()->size()) {
      // The verifier checks a vector's length field for 4-byte alignment, not
      // its int64 elements for 8 (the file fuzzer found one at 4 mod 8): copy
      // the little-endian bytes instead of loading a misaligned int64.
      int64_t z = 0;
      std::memcpy(&z, q->zero_point()->Data(), sizeof z);
      *zp = int32_t(flatbuffers::EndianScalar(z));
    }
    if (!(*scale > 0.0f)) return fail(what + " has a non-positive scale");
    return true;
  }
};

int builtin_code(const tfl::OperatorCode* oc) {
  // Files before the extended codes have only the byte; newer ones both.
  return std::max<int>(oc->deprecated_builtin_code(), oc->builtin_code());
}

bool read_fc(Reader& r, const tfl::Operator* op, size_t k, int in_tensor, TfliteNet* net, int* out_tensor) {
  const std::string what = "operator " + std::to_string(k) + " (FULLY_CONNECTED)";
  const auto* ins = op->inputs();
  const auto* outs = op->outputs();
  if (!ins || ins->size() < 2 || !outs || outs->size() != 1)
    return r.fail(what + " must have input, weights, optional bias and one output");
  if (ins->Get(0) != in_tensor) return r.fail(what + " does not take the previous operator's output: not a chain");
  const tfl::Tensor* x = r.tensor(ins->Get(0));
  const tfl::Tensor* w = r.tensor(ins->Get(1));
  const tfl::Tensor* b = ins->size() > 2 && ins->Get(2) >= 0 ? r.tensor(ins->Get(2)) : nullptr;
  const tfl::Tensor* y = r.tensor(outs->Get(0));
  if (!x || !w || !y || (ins->size() > 2 && ins->Get(2) >= 0 && !b)) return r.fail(what + " names a missing tensor");
  const auto* wd = r.data(w);
  if (!wd || !w->shape() || w->shape()->size() != 2) return r.fail(what + ": weights must be a constant 2-D tensor");
  const size_t n_out = size_t(w->shape()->Get(0)), n_in = size_t(w->shape()->Get(1));
  if (size_t(r.width(x)) != n_in || size_t(r.width(y)) != n_out)
    return r.fail(what + ": weights are " + std::to_string(n_out) + "x" + std::to_string(n_in) +
                  " but input/output widths are " + std::to_string(r.width(x)) + "/" + std::to_string(r.width(y)));
  uint8_t act = TINYAD_ACT_LINEAR;
  if (const auto* o = op->builtin_options_as_FullyConnectedOptions()) {
    if (o->weights_format() != 0) return r.fail(what + " uses a shuffled weights format; tinyad reads DEFAULT");
    switch (o->fused_activation_function()) {
      case tfl::ActivationFunctionType_NONE: act = TINYAD_ACT_LINEAR; break;
      case tfl::ActivationFunctionType_RELU: act = TINYAD_ACT_RELU; break;
      default:
        return r.fail(what + " has fused activation " +
                      std::string(tfl::EnumNameActivationFunctionType(o->fused_activation_function())) +
                      "; tinyad supports NONE and RELU");
    }
  }
  const auto* bd = b ? r.data(b) : nullptr;
  if (b && (!bd || r.elements(b) != n_out)) return r.fail(what + ": bias must be a constant of " + std::to_string(n_out) + " values");

  DenseLayer l;
  l.activation = act;
  l.weights.resize(Eigen::Index(n_out), Eigen::Index(n_in));
  l.bias = Eigen::VectorXd::Zero(Eigen::Index(n_out));
  if (w->type() == tfl::TensorType_FLOAT32) {
    if (net->quantized) return r.fail(what + " mixes float32 and int8 layers");
    if (x->type() != tfl::TensorType_FLOAT32 || y->type() != tfl::TensorType_FLOAT32)
      return r.fail(what + ": float32 weights need float32 input and output");
    if (wd->size() != 4 * n_in * n_out) return r.fail(what + ": weight buffer has the wrong size");
    const float* wf = reinterpret_cast<const float*>(wd->data());
    for (size_t o = 0; o < n_out; ++o)
      for (size_t i = 0; i < n_in; ++i) l.weights(Eigen::Index(o), Eigen::Index(i)) = wf[o * n_in + i];
    if (b) {
      if (b->type() != tfl::TensorType_FLOAT32 || bd->size() != 4 * n_out) return r.fail(what + ": bias must be float32");
      const float* bf = reinterpret_cast<const float*>(bd->data());
      for (size_t o = 0; o < n_out; ++o) l.bias[Eigen::Index(o)] = bf[o];
    }
  } else if (w->type() == tfl::TensorType_INT8) {
    if (x->type() != tfl::TensorType_INT8 || y->type() != tfl::TensorType_INT8)
      return r.fail(what + ": int8 weights need int8 input and output (full-integer model)");
    if (!net->layers.empty() && !net->quantized) return r.fail(what + " mixes float32 and int8 layers");
    net->quantized = true;
    TfliteQ8Layer q;
    q.n_in = n_in;
    q.n_out = n_out;
    q.activation = act;
    int32_t wzp = 0;
    if (!r.scale_zp(x, what + " input", &q.input_scale, &q.input_zero_point) ||
        !r.scale_zp(w, what + " weights", &q.weight_scale, &wzp) ||
        !r.scale_zp(y, what + " output", &q.output_scale, &q.output_zero_point))
      return false;
    if (wzp != 0) return r.fail(what + ": int8 weights must be symmetric (zero point 0), per the TFLite int8 spec");
    if (wd->size() != n_in * n_out) return r.fail(what + ": weight buffer has the wrong size");
    q.weights.assign(reinterpret_cast<const int8_t*>(wd->data()), reinterpret_cast<const int8_t*>(wd->data()) + wd->size());
    if (b) {
      if (b->type() != tfl::TensorType_INT32 || bd->size() != 4 * n_out) return r.fail(what + ": int8 layers need an int32 bias");
      const int32_t* bi = reinterpret_cast<const int32_t*>(bd->data());
      q.bias.assign(bi, bi + n_out);
    }
    // TFLite: real multiplier = input_scale * weight_scale / output_scale, in double.
    const double real = double(q.input_scale) * double(q.weight_scale) / double(q.output_scale);
    tinyad_quantize_multiplier(real, &q.multiplier, &q.shift);
    if (act == TINYAD_ACT_RELU) q.act_min = std::max<int32_t>(-128, q.output_zero_point);
    for (size_t o = 0; o < n_out; ++o) {
      for (size_t i = 0; i < n_in; ++i)
        l.weights(Eigen::Index(o), Eigen::Index(i)) = double(q.weight_scale) * q.weights[o * n_in + i];
      if (!q.bias.empty()) l.bias[Eigen::Index(o)] = double(q.input_scale) * double(q.weight_scale) * q.bias[o];
    }
    net->q8.push_back(std::move(q));
  } else {
    return r.fail(what + " has " + type_name(w->type()) + " weights; tinyad reads FLOAT32 and INT8");
  }
  net->layers.push_back(std::move(l));
  net->ops.push_back(std::string("FULLY_CONNECTED (") + activation_name(act) + ")");
  *out_tensor = outs->Get(0);
  return true;
}

}  // namespace

bool tflite_parse(const std::string& bytes, const std::string& path, TfliteNet* out, std::string* err) {
  if (bytes.size() < 8) {
    *err = path + ": " + std::to_string(bytes.size()) + " bytes: too short for a TensorFlow Lite file";
    return false;
  }
  if (!flatbuffers::BufferHasIdentifier(bytes.data(), tfl::ModelIdentifier())) {
    std::string id = bytes.substr(4, 4);
    for (char& c : id)
      if (c < 32 || c > 126) c = '?';
    *err = path + ": file identifier '" + id + "', expected 'TFL3': not a TensorFlow Lite model";
    return false;
  }
  flatbuffers::Verifier verifier(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  if (!tfl::VerifyModelBuffer(verifier)) {
    *err = path + ": damaged or truncated TensorFlow Lite flatbuffer (" + std::to_string(bytes.size()) +
           " bytes failed verification)";
    return false;
  }
  const tfl::Model* model = tfl::GetModel(bytes.data());
  if (model->version() != 3) {
    *err = path + ": TFLite schema version " + std::to_string(model->version()) + ", tinyad reads version 3";
    return false;
  }
  if (!model->subgraphs() || model->subgraphs()->size() != 1) {
    *err = path + ": expected exactly one subgraph";
    return false;
  }
  Reader r{model, model->subgraphs()->Get(0), path, err};
  const auto* ops = r.graph->operators();
  const auto* codes = model->operator_codes();
  if (!ops || ops->size() == 0 || !r.graph->inputs() || r.graph->inputs()->size() != 1 || !r.graph->outputs() ||
      r.graph->outputs()->size() != 1)
    return r.fail("expected a graph with one input, one output and at least one operator");

  TfliteNet net;
  if (model->description()) net.description = model->description()->str();
  int cur = r.graph->inputs()->Get(0);
  const tfl::Tensor* in_t = r.tensor(cur);
  if (!in_t) return r.fail("graph input names a missing tensor");
  net.float_input = in_t->type() == tfl::TensorType_FLOAT32;
  bool dequantized = false;
  for (flatbuffers::uoffset_t k = 0; k < ops->size(); ++k) {
    const tfl::Operator* op = ops->Get(k);
    if (!codes || op->opcode_index() >= codes->size()) return r.fail("operator " + std::to_string(k) + " has no operator code");
    const tfl::OperatorCode* oc = codes->Get(op->opcode_index());
    const int code = builtin_code(oc);
    if (oc->custom_code()) return r.fail("operator " + std::to_string(k) + " is custom op '" + oc->custom_code()->str() + "'");
    if (dequantized) return r.fail("operator " + std::to_string(k) + " (" + op_name(code) + ") follows DEQUANTIZE; tinyad reads DEQUANTIZE only as the last op");
    if (code == kOpFullyConnected) {
      if (!read_fc(r, op, k, cur, &net, &cur)) return false;
    } else if (code == kOpQuantize || code == kOpDequantize) {
      const bool quantize = code == kOpQuantize;
      const std::string what = "operator " + std::to_string(k) + " (" + op_name(code) + ")";
      if (!op->inputs() || op->inputs()->size() != 1 || !op->outputs() || op->outputs()->size() != 1 || op->inputs()->Get(0) != cur)
        return r.fail(what + " must take the previous output and have one output");
      if (quantize && k != 0) return r.fail(what + ": tinyad reads QUANTIZE only as the first op");
      const tfl::Tensor* a = r.tensor(op->inputs()->Get(0));
      const tfl::Tensor* b = r.tensor(op->outputs()->Get(0));
      if (!a || !b) return r.fail(what + " names a missing tensor");
      const tfl::Tensor* fl = quantize ? a : b;
      const tfl::Tensor* q = quantize ? b : a;
      if (fl->type() != tfl::TensorType_FLOAT32 || q->type() != tfl::TensorType_INT8)
        return r.fail(what + " must convert between FLOAT32 and INT8");
      net.ops.push_back(op_name(code));
      if (!quantize) dequantized = true;
      cur = op->outputs()->Get(0);
    } else {
      return r.fail("operator " + std::to_string(k) + " is " + op_name(code) +
                    "; tinyad reads FULLY_CONNECTED, QUANTIZE and DEQUANTIZE");
    }
  }
  if (net.layers.empty()) return r.fail("no FULLY_CONNECTED operator");
  if (r.graph->outputs()->Get(0) != cur) return r.fail("the graph output is not the last operator's output");
  const tfl::Tensor* out_t = r.tensor(cur);
  net.float_output = out_t->type() == tfl::TensorType_FLOAT32;
  if (net.quantized) {
    net.input_scale = net.q8.front().input_scale;
    net.input_zero_point = net.q8.front().input_zero_point;
    net.output_scale = net.q8.back().output_scale;
    net.output_zero_point = net.q8.back().output_zero_point;
  } else if (net.ops.size() != net.layers.size()) {
    return r.fail("QUANTIZE/DEQUANTIZE in a float32 network");
  }
  for (size_t k = 1; k < net.layers.size(); ++k)
    if (net.layers[k].weights.cols() != net.layers[k - 1].weights.rows()) return r.fail("layer widths do not chain");
  if (const auto* md = model->metadata()) {
    for (const tfl::Metadata* m : *md) {
      if (!m->name() || m->name()->str() != "tinyad_model") continue;
      const auto* bufs = model->buffers();
      if (!bufs || m->buffer() >= bufs->size() || !bufs->Get(m->buffer())->data()) return r.fail("tinyad_model metadata names a missing buffer");
      const auto* d = bufs->Get(m->buffer())->data();
      net.tinyad_metadata = nlohmann::json::parse(std::string(reinterpret_cast<const char*>(d->data()), d->size()), nullptr, false);
      if (net.tinyad_metadata.is_discarded()) return r.fail("tinyad_model metadata is not valid JSON");
    }
  }
  *out = std::move(net);
  return true;
}

bool tflite_load(const std::string& path, TfliteNet* out, std::string* err) {
  std::string bytes;
  if (!read_file(path, &bytes, err)) return false;
  return tflite_parse(bytes, path, out, err);
}

size_t tflite_n_inputs(const TfliteNet& net) { return net.layers.empty() ? 0 : size_t(net.layers.front().weights.cols()); }

bool tflite_run_q8(const TfliteNet& net, const int8_t* in, int8_t* out) {
  std::vector<int8_t> a(in, in + net.q8.front().n_in), b;
  for (const TfliteQ8Layer& q : net.q8) {
    const tinyad_dense_layer_q8 l{q.n_in, q.n_out, q.weights.data(), q.bias.empty() ? nullptr : q.bias.data(),
                                  q.input_zero_point, q.output_zero_point, q.multiplier, q.shift, q.act_min, q.act_max};
    b.resize(q.n_out);
    if (tinyad_dense_forward_q8(&l, a.data(), a.size(), b.data(), b.size()) != TINYAD_STATUS_OK) return false;
    a.swap(b);
  }
  std::copy(a.begin(), a.end(), out);
  return true;
}

Eigen::MatrixXd tflite_run(const TfliteNet& net, const Eigen::MatrixXd& X) {
  const size_t n_in = tflite_n_inputs(net), n_out = size_t(net.layers.back().weights.rows());
  Eigen::MatrixXd Y(X.rows(), Eigen::Index(n_out));
  if (net.quantized) {
    std::vector<int8_t> qi(n_in), qo(n_out);
    for (Eigen::Index r = 0; r < X.rows(); ++r) {
      for (size_t i = 0; i < n_in; ++i)
        qi[i] = tinyad_quantize_int8<float>(float(X(r, Eigen::Index(i))), net.input_scale, net.input_zero_point);
      tflite_run_q8(net, qi.data(), qo.data());
      for (size_t o = 0; o < n_out; ++o)
        Y(r, Eigen::Index(o)) = tinyad_dequantize_int8<float>(qo[o], net.output_scale, net.output_zero_point);
    }
    return Y;
  }
  // float32, as a .tflite interpreter computes it: the core's float kernel,
  // layer by layer (any chain runs, not only autoencoders).
  AutoencoderModel m;
  m.layers = net.layers;
  const auto v = autoencoder_view<float>(m);
  std::vector<float> a, b;
  for (Eigen::Index r = 0; r < X.rows(); ++r) {
    a.resize(n_in);
    for (size_t i = 0; i < n_in; ++i) a[i] = float(X(r, Eigen::Index(i)));
    for (const tinyad_dense_layer<float>& l : v->layers) {
      b.resize(l.n_out);
      tinyad_dense_forward(&l, a.data(), a.size(), b.data(), b.size());
      a.swap(b);
    }
    for (size_t o = 0; o < n_out; ++o) Y(r, Eigen::Index(o)) = a[o];
  }
  return Y;
}

Eigen::VectorXd tflite_scores(const TfliteNet& net, const AutoencoderModel& s, const Eigen::MatrixXd& X) {
  const Eigen::MatrixXd Z =
      ((X.rowwise() - s.input_mean.transpose()).array().rowwise() / s.input_scale.transpose().array()).matrix();
  const Eigen::MatrixXd Y = tflite_run(net, Z);
  return (Z - Y).rowwise().squaredNorm() / double(Z.cols());
}

bool tflite_to_model(const TfliteNet& net, const std::string& path, double threshold, Model* out, std::string* err) {
  Model m;
  const size_t n = tflite_n_inputs(net);
  if (size_t(net.layers.back().weights.rows()) != n) {
    *err = path + ": not an autoencoder: " + std::to_string(n) + " inputs, " +
           std::to_string(net.layers.back().weights.rows()) + " outputs";
    return false;
  }
  if (!net.tinyad_metadata.is_null()) {
    // A tinyad export: everything but the layers comes back from the metadata.
    nlohmann::json j = net.tinyad_metadata;
    try {
      auto& layers = j.at("detector").at("layers");
      if (!layers.is_array() || layers.size() != net.layers.size()) {
        *err = path + ": tinyad_model metadata lists " + std::to_string(layers.size()) + " layers, the graph has " +
               std::to_string(net.layers.size());
        return false;
      }
      for (size_t k = 0; k < net.layers.size(); ++k) {
        const DenseLayer& l = net.layers[k];
        nlohmann::json rows = nlohmann::json::array();
        for (Eigen::Index o = 0; o < l.weights.rows(); ++o) {
          std::vector<double> row(size_t(l.weights.cols()));
          for (Eigen::Index i = 0; i < l.weights.cols(); ++i) row[size_t(i)] = l.weights(o, i);
          rows.push_back(row);
        }
        layers[k]["weights"] = rows;
        layers[k]["bias"] = std::vector<double>(l.bias.data(), l.bias.data() + l.bias.size());
        layers[k]["activation"] = activation_name(l.activation);
      }
    } catch (const nlohmann::json::exception& e) {
      *err = path + ": tinyad_model metadata: " + e.what();
      return false;
    }
    if (!model_from_json(j, &m, err)) {
      *err = path + ": tinyad_model metadata: " + *err;
      return false;
    }
    const AutoencoderModel* described = std::get_if<AutoencoderModel>(&m.detector);
    if (!described || autoencoder_n_features(*described) != n) {
      *err = path + ": tinyad_model metadata does not describe this network";
      return false;
    }
  } else {
    if (!recipe_named("original", &m.recipe, err)) return false;
    if (n != tinyad_recipe_n_features(&m.recipe.core)) {
      *err = path + ": " + std::to_string(n) + " inputs, but the original recipe (per-axis MAD) makes 3 features";
      return false;
    }
    autoencoder_set_identity_input(&m.detector.emplace<AutoencoderModel>(), n);
    m.threshold.method = "fixed";
    m.threshold.param = m.threshold.value = threshold;
    m.provenance = {{"tool", std::string("tinyad ") + TINYAD_VERSION}, {"imported_from", path}};
    if (!net.description.empty()) m.provenance["description"] = net.description;
  }
  AutoencoderModel& ae = std::get<AutoencoderModel>(m.detector);  // both branches above made it one
  ae.layers = net.layers;
  if (net.quantized) m.provenance["dequantized_from_int8"] = true;
  if (!autoencoder_check(ae, err)) {
    *err = path + ": " + *err;
    return false;
  }
  *out = std::move(m);
  return true;
}

}  // namespace tinyad
