// fuzz_h5.cpp: libFuzzer target for Keras .h5 models. libhdf5's own parser
// is not ours to fuzz (and would mostly be what mutated bytes reach), so the
// input describes a file instead: a valid 3-2-3 autoencoder in Keras's
// layout (an all-zero input gives exactly that) changed by up to eight
// mutations chosen by the input: layer sizes, ranks and dims of kernels and
// biases (huge ones declared but never written, so the file stays small),
// element types, missing datasets and names, odd weight_names and
// model_config attributes. The file is written with the HDF5 C API and read
// through model_import; tinyad's size checks must refuse every bad one with
// a reason naming the file, before any read or allocation the file could
// make unbounded.
#include <fuzzer/FuzzedDataProvider.h>
#include <hdf5.h>

#include <string>
#include <vector>

#include "fuzz_model_file.h"

namespace {

// Sizes the checks must tell apart: fitting, off by one, past the bounds.
constexpr long long kSizes[] = {3, 2, 1, 0, -1, 4, 65536, 65537, 1 << 20, 1000000000LL, 1LL << 40};

long long pick_size(FuzzedDataProvider& p) {
  return kSizes[p.ConsumeIntegralInRange<size_t>(0, sizeof kSizes / sizeof kSizes[0] - 1)];
}

struct Layer {
  std::string name = "dense", cls = "Dense", activation = "relu";
  long long units = 2, input = 0;
  bool use_bias = true, has_kernel = true, has_bias = true;
  std::vector<long long> kernel, bias;  // dims as written
  int type = 0;                         // 0 f32, 1 f64, 2 i32, 3 i8, 4 string
  int names = 0;                        // weight_names: 0 normal, 1 absent, 2 no kernel, 3 twenty, 4 long, 5 vlen
};

hid_t file_type(int t) {
  switch (t) {
    case 1: return H5Tcopy(H5T_IEEE_F64LE);
    case 2: return H5Tcopy(H5T_STD_I32LE);
    case 3: return H5Tcopy(H5T_STD_I8LE);
    case 4: {
      hid_t s = H5Tcopy(H5T_C_S1);
      H5Tset_size(s, 8);
      return s;
    }
    default: return H5Tcopy(H5T_IEEE_F32LE);
  }
}

void write_dataset(hid_t f, const std::string& path, const std::vector<long long>& dims, int type,
                   FuzzedDataProvider& p) {
  std::vector<hsize_t> d;
  hsize_t n = 1;
  bool big = false;  // declared only: written data would make the file as large
  for (long long x : dims) {
    if (x < 0) return;  // not a shape HDF5 can write: the dataset is missing
    d.push_back(hsize_t(x));
    if (x > 4096 || n * hsize_t(x) > 4096) big = true;
    else n *= hsize_t(x);
  }
  hid_t space = d.empty() ? H5Screate(H5S_SCALAR) : H5Screate_simple(int(d.size()), d.data(), nullptr);
  hid_t t = file_type(type);
  hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
  H5Pset_create_intermediate_group(lcpl, 1);
  hid_t ds = H5Dcreate2(f, path.c_str(), t, space, lcpl, H5P_DEFAULT, H5P_DEFAULT);
  if (ds >= 0 && !big && type <= 1) {  // small float data is written; the rest reads as fill values
    std::vector<double> v(n);
    for (double& x : v) x = p.remaining_bytes() ? p.ConsumeFloatingPointInRange<double>(-4, 4) : 0.1;
    H5Dwrite(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data());
  }
  if (ds >= 0) H5Dclose(ds);
  H5Pclose(lcpl);
  H5Tclose(t);
  H5Sclose(space);
}

void string_attr(hid_t obj, const char* name, const std::string& value, bool vlen, hsize_t count = 1) {
  hid_t t = H5Tcopy(H5T_C_S1);
  H5Tset_size(t, vlen ? H5T_VARIABLE : std::max<size_t>(1, value.size()));
  hid_t space = count == 1 ? H5Screate(H5S_SCALAR) : H5Screate_simple(1, &count, nullptr);
  hid_t a = H5Acreate2(obj, name, t, space, H5P_DEFAULT, H5P_DEFAULT);
  if (vlen) {
    std::vector<const char*> ptrs(count, value.c_str());
    H5Awrite(a, t, ptrs.data());
  } else {
    std::string buf;
    for (hsize_t i = 0; i < count; ++i) buf += value.empty() ? std::string(1, '\0') : value;
    H5Awrite(a, t, buf.data());
  }
  H5Aclose(a);
  H5Sclose(space);
  H5Tclose(t);
}

void weight_names(hid_t g, const Layer& l) {
  if (l.names == 1) return;
  const std::string k = l.name + "/kernel:0", b = l.name + "/bias:0";
  std::vector<std::string> names = {l.names == 2 ? l.name + "/other:0" : k, b};
  if (l.names == 3) names.resize(20, b);
  if (l.names == 4) names[0] = std::string(3000, 'x') + "/kernel:0";
  if (l.names == 5) {
    string_attr(g, "weight_names", k, true, 2);
    return;
  }
  size_t width = 1;
  for (const auto& s : names) width = std::max(width, s.size());
  std::string buf(width * names.size(), '\0');
  for (size_t i = 0; i < names.size(); ++i) buf.replace(i * width, names[i].size(), names[i]);
  hid_t t = H5Tcopy(H5T_C_S1);
  H5Tset_size(t, width);
  H5Tset_strpad(t, H5T_STR_NULLPAD);
  const hsize_t n = names.size();
  hid_t space = H5Screate_simple(1, &n, nullptr);
  hid_t a = H5Acreate2(g, "weight_names", t, space, H5P_DEFAULT, H5P_DEFAULT);
  H5Awrite(a, t, buf.data());
  H5Aclose(a);
  H5Sclose(space);
  H5Tclose(t);
}

std::string layer_json(const Layer& l) {
  std::string c = "{\"name\": \"" + l.name + "\"";
  if (l.cls == "Dense") {
    c += ", \"units\": " + std::to_string(l.units) + ", \"activation\": \"" + l.activation +
         "\", \"use_bias\": " + (l.use_bias ? "true" : "false");
  } else if (l.cls == "Dropout") {
    c += ", \"rate\": 0.2";
  }
  if (l.input) c += ", \"batch_input_shape\": [null, " + std::to_string(l.input) + "]";
  return "{\"class_name\": \"" + l.cls + "\", \"config\": " + c + "}}";
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  FuzzedDataProvider p(data, size);
  std::vector<Layer> layers(3);
  layers[0] = Layer{};
  layers[0].name = "enc", layers[0].input = 3, layers[0].kernel = {3, 2}, layers[0].bias = {2};
  layers[1].name = "drop", layers[1].cls = "Dropout", layers[1].has_kernel = layers[1].has_bias = false;
  layers[2].name = "dec", layers[2].units = 3, layers[2].activation = "linear", layers[2].kernel = {2, 3},
  layers[2].bias = {3};
  int config = 0;  // 0 normal, 1 random text, 2 two strings, 3 variable-length, 4 absent
  std::string random_config;
  const int n_mutations = p.ConsumeIntegralInRange(0, 8);
  for (int m = 0; m < n_mutations; ++m) {
    Layer& l = layers[p.ConsumeIntegralInRange<size_t>(0, layers.size() - 1)];
    switch (p.ConsumeIntegralInRange(0, 10)) {
      case 0: l.units = pick_size(p); break;
      case 1: l.input = pick_size(p); break;
      case 2:
      case 3: {
        std::vector<long long>& dims = (p.ConsumeBool() ? l.kernel : l.bias);
        dims.resize(p.ConsumeIntegralInRange(0, 3), 1);
        for (long long& d : dims) d = pick_size(p);
        break;
      }
      case 4: l.type = p.ConsumeIntegralInRange(0, 4); break;
      case 5: (p.ConsumeBool() ? l.has_kernel : l.has_bias) = false; break;
      case 6: l.names = p.ConsumeIntegralInRange(0, 5); break;
      case 7:
        config = p.ConsumeIntegralInRange(0, 4);
        random_config = p.ConsumeRandomLengthString(4000);
        break;
      case 8: l.activation = p.ConsumeBool() ? "sigmoid" : p.ConsumeRandomLengthString(16); break;
      case 9: l.use_bias = p.ConsumeBool(); break;
      case 10: {
        Layer extra;
        extra.name = "extra" + std::to_string(layers.size());
        extra.cls = p.ConsumeBool() ? "Dense" : "Conv1D";
        extra.units = pick_size(p);
        extra.kernel = {3, extra.units};
        extra.bias = {extra.units};
        layers.push_back(extra);
        break;
      }
    }
  }
  const std::string path = tinyad::fuzz::scratch_path("model.h5");
  hid_t f = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  if (f < 0) return 0;
  std::string list;
  for (const Layer& l : layers) list += (list.empty() ? "" : ", ") + layer_json(l);
  const std::string text = config == 1 ? random_config
                                       : "{\"class_name\": \"Sequential\", \"config\": {\"name\": \"s\", \"layers\": [" +
                                             list + "]}}";
  if (config != 4) string_attr(f, "model_config", text, config == 3, config == 2 ? 2 : 1);
  string_attr(f, "keras_version", "2.2.4-tf", false);
  hid_t mw = H5Gcreate2(f, "model_weights", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  for (const Layer& l : layers) {
    hid_t g = H5Gcreate2(mw, l.name.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (g < 0) continue;
    if (l.has_kernel || l.has_bias) weight_names(g, l);
    H5Gclose(g);
    const std::string base = "model_weights/" + l.name + "/" + l.name;
    if (l.has_kernel) write_dataset(f, base + "/kernel:0", l.kernel, l.type, p);
    if (l.has_bias) write_dataset(f, base + "/bias:0", l.bias, l.type, p);
  }
  H5Gclose(mw);
  H5Fclose(f);
  tinyad::fuzz::import_and_score(path);
  return 0;
}
