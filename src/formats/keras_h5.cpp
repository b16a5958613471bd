// keras_h5.cpp: see keras_h5.h. HDF5 handles are wrapped so every early
// return closes them; HDF5's own error printing is switched off because
// every failure here becomes one message naming the file.
#include "keras_h5.h"

#include <hdf5.h>

#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>

namespace tinyad {
namespace {

using nlohmann::json;

// Closes an HDF5 identifier with the matching close function.
class Handle {
 public:
  Handle(hid_t id, herr_t (*close)(hid_t)) : id_(id), close_(close) {}
  ~Handle() {
    if (id_ >= 0) close_(id_);
  }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  hid_t get() const { return id_; }
  bool ok() const { return id_ >= 0; }

 private:
  hid_t id_;
  herr_t (*close_)(hid_t);
};

// Bounds checked before anything is read or allocated: a model file from a
// colleague or a download is untrusted input. Keras autoencoders over
// vibration features are kilobytes; these leave room for far larger ones.
constexpr uintmax_t kMaxFileBytes = uintmax_t(256) << 20;
constexpr size_t kMaxConfigBytes = size_t(1) << 20;  // model_config JSON
constexpr size_t kMaxNameBytes = 1024;               // one weight name
constexpr hssize_t kMaxWeightNames = 16;             // per layer (kernel, bias)
constexpr size_t kMaxLayers = 64;
constexpr int kMaxUnits = 65536;                     // per Dense layer
constexpr size_t kMaxParameters = size_t(1) << 22;   // all kernels and biases together

// Reads a scalar string attribute, fixed-length or variable-length, of at
// most `max_bytes`. False with *why set when it exists but is not that.
bool read_string_attr(hid_t obj, const char* name, size_t max_bytes, std::string* out, std::string* why) {
  if (H5Aexists(obj, name) <= 0) return false;
  Handle attr(H5Aopen(obj, name, H5P_DEFAULT), H5Aclose);
  if (!attr.ok()) return false;
  Handle type(H5Aget_type(attr.get()), H5Tclose);
  Handle space(H5Aget_space(attr.get()), H5Sclose);
  const std::string what = std::string("attribute '") + name + "'";
  if (H5Tget_class(type.get()) != H5T_STRING) {
    *why = what + " is not a string";
    return false;
  }
  // H5Aread writes one string per element: anything but one would overrun the buffer.
  if (H5Sget_simple_extent_npoints(space.get()) != 1) {
    *why = what + " is not a single string";
    return false;
  }
  if (H5Tis_variable_str(type.get()) > 0) {
    // The string lives in the file's heap, so the file-size bound bounds it;
    // its length is checked once read.
    Handle mem(H5Tcopy(H5T_C_S1), H5Tclose);
    H5Tset_size(mem.get(), H5T_VARIABLE);
    char* s = nullptr;
    if (H5Aread(attr.get(), mem.get(), &s) < 0 || !s) {
      *why = what + " cannot be read (damaged or truncated file?)";
      return false;
    }
    const size_t len = std::strlen(s);
    if (len <= max_bytes) *out = s;
    H5free_memory(s);
    if (len > max_bytes) {
      *why = what + " is " + std::to_string(len) + " bytes, more than the " + std::to_string(max_bytes) + " allowed";
      return false;
    }
    return true;
  }
  const size_t size = H5Tget_size(type.get());
  if (size == 0 || size > max_bytes) {
    *why = what + " is " + std::to_string(size) + " bytes, more than the " + std::to_string(max_bytes) + " allowed";
    return false;
  }
  std::string buf(size, '\0');
  Handle mem(H5Tcopy(H5T_C_S1), H5Tclose);
  H5Tset_size(mem.get(), size);
  // Null-padded in memory too: a null-terminated type would drop the last character.
  H5Tset_strpad(mem.get(), H5T_STR_NULLPAD);
  if (H5Aread(attr.get(), mem.get(), buf.data()) < 0) {
    *why = what + " cannot be read (damaged or truncated file?)";
    return false;
  }
  buf.resize(buf.find('\0') == std::string::npos ? size : buf.find('\0'));
  *out = buf;
  return true;
}

// Reads an attribute holding a list of fixed-length strings (weight_names),
// after checking that it is one, short and of bounded size.
bool read_string_list_attr(hid_t obj, const char* name, std::vector<std::string>* out, std::string* why) {
  out->clear();
  if (H5Aexists(obj, name) <= 0) return false;
  Handle attr(H5Aopen(obj, name, H5P_DEFAULT), H5Aclose);
  if (!attr.ok()) return false;
  Handle type(H5Aget_type(attr.get()), H5Tclose);
  Handle space(H5Aget_space(attr.get()), H5Sclose);
  const hssize_t n = H5Sget_simple_extent_npoints(space.get());
  if (n <= 0) return true;  // an empty list (Dropout) is stored as an empty float array
  if (H5Tget_class(type.get()) != H5T_STRING || H5Tis_variable_str(type.get()) > 0) {
    *why = std::string("attribute '") + name + "' is not a list of fixed-length strings";
    return false;
  }
  const size_t size = H5Tget_size(type.get());
  if (n > kMaxWeightNames || H5Sget_simple_extent_ndims(space.get()) > 1 || size == 0 || size > kMaxNameBytes) {
    *why = std::string("attribute '") + name + "' holds " + std::to_string(n) + " names of " + std::to_string(size) +
           " bytes (expected at most " + std::to_string(kMaxWeightNames) + " of at most " +
           std::to_string(kMaxNameBytes) + ")";
    return false;
  }
  std::string buf(size * size_t(n), '\0');
  Handle mem(H5Tcopy(H5T_C_S1), H5Tclose);
  H5Tset_size(mem.get(), size);
  H5Tset_strpad(mem.get(), H5T_STR_NULLPAD);
  if (H5Aread(attr.get(), mem.get(), buf.data()) < 0) {
    *why = std::string("attribute '") + name + "' cannot be read (damaged or truncated file?)";
    return false;
  }
  for (hssize_t i = 0; i < n; ++i) {
    std::string s = buf.substr(size_t(i) * size, size);
    s.resize(s.find('\0') == std::string::npos ? s.size() : s.find('\0'));
    out->push_back(s);
  }
  return true;
}

std::string shape_text(const std::vector<hsize_t>& dims) {
  std::string s = "(";
  for (size_t i = 0; i < dims.size(); ++i) s += (i ? ", " : "") + (dims[i] ? std::to_string(dims[i]) : "?");
  return s + (dims.size() == 1 ? ",)" : ")");
}

// Reads the float dataset at `path` as doubles after checking, before any
// H5Dread, that its shape is exactly `want` (a 0 there: any size from 1 to
// kMaxUnits) and takes at most `budget` values, that its element type is IEEE float
// of 4 or 8 bytes and, when stored contiguously, that its bytes lie inside
// the file. *why says what is wrong otherwise.
bool read_weights(hid_t file, const std::string& path, uintmax_t file_bytes, const std::vector<hsize_t>& want,
                  size_t budget, std::vector<size_t>* shape, std::vector<double>* data, std::string* why) {
  if (H5Lexists(file, path.c_str(), H5P_DEFAULT) <= 0) {
    *why = path + " is missing";
    return false;
  }
  Handle ds(H5Dopen2(file, path.c_str(), H5P_DEFAULT), H5Dclose);
  if (!ds.ok()) {
    *why = path + " is not a dataset";
    return false;
  }
  Handle space(H5Dget_space(ds.get()), H5Sclose);
  const int rank = H5Sget_simple_extent_ndims(space.get());
  if (rank < 0 || size_t(rank) != want.size()) {
    *why = path + " has rank " + std::to_string(rank) + ", expected shape " + shape_text(want);
    return false;
  }
  std::vector<hsize_t> dims(static_cast<size_t>(rank));
  if (rank > 0) H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr);
  size_t n = 1;
  for (size_t i = 0; i < dims.size(); ++i) {
    const bool fits = want[i] ? dims[i] == want[i] : dims[i] >= 1 && dims[i] <= hsize_t(kMaxUnits);
    if (!fits) {
      *why = path + " has shape " + shape_text(dims) + ", expected " + shape_text(want);
      return false;
    }
    n *= size_t(dims[i]);  // each at most kMaxUnits, rank at most 2: no overflow
  }
  if (n > budget) {
    *why = path + " holds " + std::to_string(n) + " values, more than the " + std::to_string(kMaxParameters) +
           " parameters a model may have";
    return false;
  }
  Handle type(H5Dget_type(ds.get()), H5Tclose);
  const size_t elem = H5Tget_size(type.get());
  if (H5Tget_class(type.get()) != H5T_FLOAT || (elem != 4 && elem != 8)) {
    *why = path + " holds " + std::to_string(elem) + "-byte " +
           (H5Tget_class(type.get()) == H5T_FLOAT ? "floats" : "non-float values") + ", expected float32 or float64";
    return false;
  }
  Handle plist(H5Dget_create_plist(ds.get()), H5Pclose);
  if (H5Pget_layout(plist.get()) == H5D_CONTIGUOUS) {
    // Data never written has no address (HADDR_UNDEF) and reads as fill values.
    const haddr_t at = H5Dget_offset(ds.get());
    if (at != HADDR_UNDEF && (at > file_bytes || n * elem > file_bytes - at)) {
      *why = path + " lies past the end of the file (truncated?)";
      return false;
    }
  }
  shape->assign(dims.begin(), dims.end());
  data->resize(n);
  // HDF5 converts float32 (or float64) on disk to native double.
  if (H5Dread(ds.get(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, data->data()) < 0) {
    *why = path + " cannot be read (damaged or truncated file?)";
    return false;
  }
  return true;
}

bool ends_with(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

struct LayerSpec {
  std::string name, class_name;
  int units = 0;
  std::string activation;
  bool use_bias = true;
  double rate = 0;
  int input_dim = 0;  // from batch_input_shape, when given
};

bool parse_config(const json& config, const std::string& where, std::vector<LayerSpec>* layers, std::string* model_name,
                  std::string* err) {
  const std::string cls = config.value("class_name", std::string());
  if (cls != "Sequential") {
    *err = where + ": a Keras " + (cls.empty() ? std::string("model of unknown class") : "'" + cls + "'") +
           " model; tinyad imports Sequential models only";
    return false;
  }
  const json& cfg = config.at("config");
  // Keras 2.2.4 and later store {"name", "layers"}; older ones a bare list.
  const json& list = cfg.is_array() ? cfg : cfg.at("layers");
  if (cfg.is_object()) *model_name = cfg.value("name", std::string());
  if (!list.is_array() || list.size() > kMaxLayers) {
    *err = where + ": model_config has " + (list.is_array() ? std::to_string(list.size()) : std::string("no list of")) +
           " layers (expected at most " + std::to_string(kMaxLayers) + ")";
    return false;
  }
  for (const json& lj : list) {
    LayerSpec l;
    l.class_name = lj.at("class_name").get<std::string>();
    const json& c = lj.at("config");
    l.name = c.value("name", std::string("?"));
    const std::string what = where + ": layer '" + l.name + "' (" + l.class_name + ")";
    if (c.contains("batch_input_shape") && c["batch_input_shape"].is_array() && !c["batch_input_shape"].empty()) {
      const json& last = c["batch_input_shape"].back();
      if (last.is_number_integer()) {
        const int64_t d = last.get<int64_t>();
        if (d < 1 || d > kMaxUnits) {
          *err = what + " takes " + std::to_string(d) + " inputs (expected 1 to " + std::to_string(kMaxUnits) + ")";
          return false;
        }
        l.input_dim = int(d);
      }
    }
    if (l.class_name == "Dense") {
      const int64_t units = c.at("units").get<int64_t>();
      if (units < 1 || units > kMaxUnits) {
        *err = what + " has " + std::to_string(units) + " units (expected 1 to " + std::to_string(kMaxUnits) + ")";
        return false;
      }
      l.units = int(units);
      l.activation = c.value("activation", std::string("linear"));
      l.use_bias = c.value("use_bias", true);
      if (l.activation != "relu" && l.activation != "linear") {
        *err = what + " has activation '" + l.activation + "'; tinyad supports relu and linear";
        return false;
      }
    } else if (l.class_name == "Dropout") {
      l.rate = c.value("rate", 0.0);
    } else if (l.class_name != "InputLayer") {
      *err = what + " is not supported; tinyad imports Dense, Dropout and InputLayer";
      return false;
    }
    layers->push_back(l);
  }
  return true;
}

}  // namespace

bool keras_h5_read(const std::string& path, KerasImport* out, std::string* err) {
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    *err = path + ": no such file";
    return false;
  }
  const uintmax_t file_bytes = std::filesystem::file_size(path, ec);
  if (ec || file_bytes > kMaxFileBytes) {
    *err = path + ": " + (ec ? "not a regular file" : std::to_string(file_bytes) + " bytes, more than the " +
                                                           std::to_string(kMaxFileBytes >> 20) +
                                                           " MiB a Keras model file may have");
    return false;
  }
  if (H5Fis_hdf5(path.c_str()) <= 0) {
    *err = path + ": not an HDF5 file (expected a Keras model saved with model.save('model.h5'))";
    return false;
  }
  Handle file(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose);
  if (!file.ok()) {
    *err = path + ": cannot open as HDF5 (damaged or truncated?)";
    return false;
  }
  KerasImport imp;
  std::string config_text, why;
  if (!read_string_attr(file.get(), "model_config", kMaxConfigBytes, &config_text, &why)) {
    *err = path + (why.empty() ? ": HDF5 file without a 'model_config' attribute: not a whole Keras model (saved "
                                 "with save_weights()?); tinyad needs model.save() output"
                               : ": " + why);
    return false;
  }
  if (!read_string_attr(file.get(), "keras_version", kMaxNameBytes, &imp.keras_version, &why) && !why.empty()) {
    *err = path + ": " + why;
    return false;
  }
  const json config = json::parse(config_text, nullptr, false);
  if (config.is_discarded() || !config.is_object()) {
    *err = path + ": model_config is not valid JSON";
    return false;
  }
  std::vector<LayerSpec> specs;
  try {
    if (!parse_config(config, path, &specs, &imp.model_name, err)) return false;
  } catch (const json::exception& e) {
    *err = path + ": unexpected model_config layout: " + e.what();
    return false;
  }

  // Weights: model.save() puts them under /model_weights, save_weights() at the root.
  const std::string root = H5Lexists(file.get(), "model_weights", H5P_DEFAULT) > 0 ? "model_weights" : "";
  Handle wgroup(H5Gopen2(file.get(), root.empty() ? "/" : root.c_str(), H5P_DEFAULT), H5Gclose);
  int width = 0;
  size_t budget = kMaxParameters;  // values still allowed to be read
  for (const LayerSpec& s : specs) {
    if (s.input_dim > 0 && width == 0) width = s.input_dim;
    if (s.class_name == "Dropout") {
      imp.model.dropout = std::max(imp.model.dropout, s.rate);
      imp.layers.push_back(s.name + " (Dropout " + std::to_string(s.rate).substr(0, 4) + ")");
      continue;
    }
    if (s.class_name != "Dense") continue;
    const std::string group = (root.empty() ? "" : root + "/") + s.name;
    std::vector<std::string> names;
    Handle lg(H5Lexists(file.get(), group.c_str(), H5P_DEFAULT) > 0 ? H5Gopen2(file.get(), group.c_str(), H5P_DEFAULT)
                                                                     : hid_t(-1),
              H5Gclose);
    if (!lg.ok() || !read_string_list_attr(lg.get(), "weight_names", &names, &why) || names.empty()) {
      *err = path + (why.empty() ? ": no weights for layer '" + s.name + "' (expected " + group +
                                       " with a weight_names attribute): the file holds no model weights"
                                 : ": layer '" + s.name + "': " + why);
      return false;
    }
    std::string kernel_path, bias_path;
    for (const std::string& wn : names) {
      if (ends_with(wn, "kernel:0")) kernel_path = group + "/" + wn;
      else if (ends_with(wn, "bias:0")) bias_path = group + "/" + wn;
    }
    if (kernel_path.empty() || (s.use_bias && bias_path.empty())) {
      *err = path + ": layer '" + s.name + "': weight_names lists no " + (kernel_path.empty() ? "kernel" : "bias");
      return false;
    }
    // Shapes follow from the layer chain: (inputs, units) and (units,); the
    // first layer's inputs come from the file when the config does not say.
    std::vector<size_t> kshape, bshape;
    std::vector<double> kernel, bias;
    if (!read_weights(file.get(), kernel_path, file_bytes, {hsize_t(width), hsize_t(s.units)}, budget, &kshape,
                      &kernel, &why)) {
      *err = path + ": layer '" + s.name + "': kernel " + why;
      return false;
    }
    budget -= kernel.size();
    if (s.use_bias) {
      if (!read_weights(file.get(), bias_path, file_bytes, {hsize_t(s.units)}, budget, &bshape, &bias, &why)) {
        *err = path + ": layer '" + s.name + "': bias " + why;
        return false;
      }
      budget -= bias.size();
    }
    DenseLayer l;
    const Eigen::Index n_in = Eigen::Index(kshape[0]), n_out = Eigen::Index(kshape[1]);
    // Keras kernels are (in, out) row-major; tinyad keeps (out, in).
    l.weights.resize(n_out, n_in);
    for (Eigen::Index i = 0; i < n_in; ++i)
      for (Eigen::Index o = 0; o < n_out; ++o) l.weights(o, i) = kernel[size_t(i * n_out + o)];
    l.bias = Eigen::VectorXd::Zero(n_out);
    if (s.use_bias) l.bias = Eigen::Map<const Eigen::VectorXd>(bias.data(), n_out);
    l.activation = s.activation == "relu" ? TINYAD_ACT_RELU : TINYAD_ACT_LINEAR;
    imp.model.layers.push_back(std::move(l));
    imp.layers.push_back(s.name + " (Dense " + std::to_string(s.units) + ", " + s.activation + ")");
    width = int(n_out);
  }
  if (imp.model.layers.empty()) {
    *err = path + ": the model has no Dense layers";
    return false;
  }
  const size_t n = size_t(imp.model.layers.front().weights.cols());
  autoencoder_set_identity_input(&imp.model, n);
  if (size_t(width) != n) {
    *err = path + ": not an autoencoder: " + std::to_string(n) + " inputs but " + std::to_string(width) + " outputs";
    return false;
  }
  if (!autoencoder_check(imp.model, err)) {
    *err = path + ": " + *err;
    return false;
  }
  *out = std::move(imp);
  return true;
}

}  // namespace tinyad
