// keras_h5.cpp: see keras_h5.h. HDF5 handles are wrapped so every early
// return closes them; HDF5's own error printing is switched off because
// every failure here becomes one message naming the file.
#include "keras_h5.h"

#include <hdf5.h>

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

// Reads a string attribute, fixed-length or variable-length.
bool read_string_attr(hid_t obj, const char* name, std::string* out) {
  if (H5Aexists(obj, name) <= 0) return false;
  Handle attr(H5Aopen(obj, name, H5P_DEFAULT), H5Aclose);
  if (!attr.ok()) return false;
  Handle type(H5Aget_type(attr.get()), H5Tclose);
  if (H5Tget_class(type.get()) != H5T_STRING) return false;
  if (H5Tis_variable_str(type.get()) > 0) {
    Handle mem(H5Tcopy(H5T_C_S1), H5Tclose);
    H5Tset_size(mem.get(), H5T_VARIABLE);
    char* s = nullptr;
    if (H5Aread(attr.get(), mem.get(), &s) < 0 || !s) return false;
    *out = s;
    H5free_memory(s);
    return true;
  }
  const size_t size = H5Tget_size(type.get());
  std::string buf(size, '\0');
  Handle mem(H5Tcopy(H5T_C_S1), H5Tclose);
  H5Tset_size(mem.get(), size);
  // Null-padded in memory too: a null-terminated type would drop the last character.
  H5Tset_strpad(mem.get(), H5T_STR_NULLPAD);
  if (H5Aread(attr.get(), mem.get(), buf.data()) < 0) return false;
  buf.resize(buf.find('\0') == std::string::npos ? size : buf.find('\0'));
  *out = buf;
  return true;
}

// Reads an attribute holding a list of fixed-length strings (weight_names).
bool read_string_list_attr(hid_t obj, const char* name, std::vector<std::string>* out) {
  out->clear();
  if (H5Aexists(obj, name) <= 0) return false;
  Handle attr(H5Aopen(obj, name, H5P_DEFAULT), H5Aclose);
  Handle type(H5Aget_type(attr.get()), H5Tclose);
  Handle space(H5Aget_space(attr.get()), H5Sclose);
  const hssize_t n = H5Sget_simple_extent_npoints(space.get());
  if (n <= 0) return true;  // an empty list (Dropout) is stored as an empty float array
  if (H5Tget_class(type.get()) != H5T_STRING || H5Tis_variable_str(type.get()) > 0) return false;
  const size_t size = H5Tget_size(type.get());
  std::string buf(size * size_t(n), '\0');
  Handle mem(H5Tcopy(H5T_C_S1), H5Tclose);
  H5Tset_size(mem.get(), size);
  H5Tset_strpad(mem.get(), H5T_STR_NULLPAD);
  if (H5Aread(attr.get(), mem.get(), buf.data()) < 0) return false;
  for (hssize_t i = 0; i < n; ++i) {
    std::string s = buf.substr(size_t(i) * size, size);
    s.resize(s.find('\0') == std::string::npos ? s.size() : s.find('\0'));
    out->push_back(s);
  }
  return true;
}

// Reads a float dataset of rank 1 or 2 as doubles, with its shape.
bool read_dataset(hid_t file, const std::string& path, std::vector<size_t>* shape, std::vector<double>* data) {
  if (H5Lexists(file, path.c_str(), H5P_DEFAULT) <= 0) return false;
  Handle ds(H5Dopen2(file, path.c_str(), H5P_DEFAULT), H5Dclose);
  if (!ds.ok()) return false;
  Handle space(H5Dget_space(ds.get()), H5Sclose);
  const int rank = H5Sget_simple_extent_ndims(space.get());
  if (rank < 1 || rank > 2) return false;
  hsize_t dims[2] = {0, 0};
  H5Sget_simple_extent_dims(space.get(), dims, nullptr);
  shape->assign(dims, dims + rank);
  size_t n = 1;
  for (int i = 0; i < rank; ++i) n *= size_t(dims[i]);
  data->resize(n);
  // HDF5 converts float32 (or float64) on disk to native double.
  return H5Dread(ds.get(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, data->data()) >= 0;
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
  for (const json& lj : list) {
    LayerSpec l;
    l.class_name = lj.at("class_name").get<std::string>();
    const json& c = lj.at("config");
    l.name = c.value("name", std::string("?"));
    const std::string what = where + ": layer '" + l.name + "' (" + l.class_name + ")";
    if (c.contains("batch_input_shape") && c["batch_input_shape"].is_array() && !c["batch_input_shape"].empty()) {
      const json& last = c["batch_input_shape"].back();
      if (last.is_number_integer()) l.input_dim = last.get<int>();
    }
    if (l.class_name == "Dense") {
      l.units = c.at("units").get<int>();
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
  if (!std::filesystem::exists(path)) {
    *err = path + ": no such file";
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
  std::string config_text;
  if (!read_string_attr(file.get(), "model_config", &config_text)) {
    *err = path + ": HDF5 file without a 'model_config' attribute: not a whole Keras model (saved with "
                  "save_weights()?); tinyad needs model.save() output";
    return false;
  }
  read_string_attr(file.get(), "keras_version", &imp.keras_version);
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
    if (!lg.ok() || !read_string_list_attr(lg.get(), "weight_names", &names) || names.empty()) {
      *err = path + ": no weights for layer '" + s.name + "' (expected " + group +
             " with a weight_names attribute): the file holds no model weights";
      return false;
    }
    std::vector<size_t> kshape, bshape;
    std::vector<double> kernel, bias;
    bool have_kernel = false, have_bias = false;
    for (const std::string& wn : names) {
      const std::string dpath = group + "/" + wn;
      if (ends_with(wn, "kernel:0")) have_kernel = read_dataset(file.get(), dpath, &kshape, &kernel);
      else if (ends_with(wn, "bias:0")) have_bias = read_dataset(file.get(), dpath, &bshape, &bias);
    }
    if (!have_kernel || kshape.size() != 2 || int(kshape[1]) != s.units) {
      *err = path + ": layer '" + s.name + "': missing or malformed kernel (expected a (inputs, " +
             std::to_string(s.units) + ") dataset under " + group + ")";
      return false;
    }
    if (s.use_bias && (!have_bias || bshape.size() != 1 || int(bshape[0]) != s.units)) {
      *err = path + ": layer '" + s.name + "': missing or malformed bias (expected " + std::to_string(s.units) +
             " values under " + group + ")";
      return false;
    }
    if (width != 0 && int(kshape[0]) != width) {
      *err = path + ": layer '" + s.name + "' takes " + std::to_string(kshape[0]) + " inputs but receives " +
             std::to_string(width);
      return false;
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
