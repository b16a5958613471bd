// fuzz_seeds.cpp: writes the seed files of the file fuzzers (tests/fuzz/files)
// at test time, so no copy of a model is committed: `fuzz_seeds DIR` makes
// DIR/{model_json,npz,tflite,baselines,h5}/ with valid files of each kind made
// by tinyad's own writers (a Mahalanobis and an autoencoder model, their
// .npz/.tflite forms, --learn and --commission baselines tables in every
// phase). The fuzz tests add the reference models when TINYAD_REFERENCE is set.
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "device_baselines.h"
#include "model.h"
#include "npz.h"
#include "recipe.h"
#include "tflite_export.h"

namespace fs = std::filesystem;
using namespace tinyad;

namespace {

void write(const fs::path& p, const std::string& bytes) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary | std::ios::trunc) << bytes;
}

Model base_model() {
  Model m;
  std::string err;
  if (!recipe_named("original", &m.recipe, &err)) std::fprintf(stderr, "%s\n", err.c_str());
  m.threshold.method = "fixed";
  m.threshold.value = 3;
  return m;
}

Model mahalanobis_model() {
  Model m = base_model();
  MahalanobisModel md;
  md.mean = Eigen::Vector3d(0.1, 0.2, 0.3);
  md.covariance = Eigen::Matrix3d{{0.04, 0.01, 0}, {0.01, 0.05, 0.002}, {0, 0.002, 0.03}};
  md.precision = md.covariance.inverse();
  m.detector = md;
  return m;
}

Model autoencoder_model() {
  Model m = base_model();
  AutoencoderModel ae;
  ae.input_mean = Eigen::Vector3d::Zero();
  ae.input_scale = Eigen::Vector3d::Ones();
  DenseLayer enc{Eigen::MatrixXd{{0.5, -0.2, 0.1}, {0.3, 0.4, -0.6}}, Eigen::Vector2d(0.01, -0.02), TINYAD_ACT_RELU};
  DenseLayer dec{Eigen::MatrixXd{{0.2, 0.1}, {-0.3, 0.5}, {0.4, 0.4}}, Eigen::Vector3d(0.1, 0, -0.1), TINYAD_ACT_RELU};
  ae.layers = {enc, dec};
  m.detector = ae;
  return m;
}

std::string npy(std::vector<size_t> shape, std::vector<double> data) {
  NpyArray a;
  a.shape = std::move(shape);
  a.data = std::move(data);
  return npy_format(a);
}

std::string baselines(bool commission, std::string* err) {
  BaselineOptions o;
  o.max_devices = 64;
  if (commission) {
    o.commission = 5;
    o.fleet_sd = {1, 1, 1};
  } else {
    o.learn = 8;
    o.calibrate = 4;
  }
  DeviceBaselines t(base_model().recipe, o);
  // One device per phase: 3, 10 and 20 windows.
  const char* names[] = {"fan-a", "fan-b", "fan-c"};
  const int windows[] = {3, 10, 20};
  for (int d = 0; d < 3; ++d) {
    for (int i = 0; i < windows[d]; ++i) {
      BaselineStep s;
      const double k = 0.37 * i + d;
      if (!t.add(names[d], {1 + 0.1 * std::sin(k), 2 + 0.1 * std::cos(1.3 * k), 0.5 + 0.05 * std::sin(2.1 * k)}, &s, err))
        return "";
    }
  }
  return t.to_json_text();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: fuzz_seeds DIR\n");
    return 2;
  }
  const fs::path dir = argv[1];
  std::string err;
  for (const auto& [name, m] : {std::pair{"mahalanobis.json", mahalanobis_model()},
                                std::pair{"autoencoder.json", autoencoder_model()}}) {
    fs::create_directories(dir / "model_json");
    if (!model_save(m, (dir / "model_json" / name).string(), &err)) {
      std::fprintf(stderr, "fuzz_seeds: %s\n", err.c_str());
      return 1;
    }
  }
  // .npz: the archive, and its two members as fuzz_npz.cpp packs them.
  const std::string mu = npy({3}, {0.1, 0.2, 0.3});
  const std::string cov = npy({3, 3}, {0.04, 0.01, 0, 0.01, 0.05, 0.002, 0, 0.002, 0.03});
  const fs::path npz = dir / "md.npz";
  if (!npz_write(npz.string(), {{"model_mu", NpyArray{{3}, {0.1, 0.2, 0.3}, "<f8"}},
                                {"model_cov", NpyArray{{3, 3}, {0.04, 0.01, 0, 0.01, 0.05, 0.002, 0, 0.002, 0.03}, "<f8"}}},
                 &err)) {
    std::fprintf(stderr, "fuzz_seeds: %s\n", err.c_str());
    return 1;
  }
  std::ifstream in(npz, std::ios::binary);
  const std::string archive((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  write(dir / "npz" / "archive", archive);
  write(dir / "npz" / "members", mu + "\n--\n" + cov);
  // .tflite: float and int8 exports of the autoencoder.
  const Eigen::MatrixXd representative = Eigen::MatrixXd::Random(32, 3).cwiseAbs();
  for (const bool int8 : {false, true}) {
    std::string bytes;
    TfliteExportOptions opt;
    opt.int8 = int8;
    opt.float_io = int8;
    if (!tflite_export(autoencoder_model(), opt, representative, &bytes, &err)) {
      std::fprintf(stderr, "fuzz_seeds: tflite: %s\n", err.c_str());
      return 1;
    }
    write(dir / "tflite" / (int8 ? "ae-int8.tflite" : "ae-float.tflite"), bytes);
  }
  // Baselines tables: first byte 0 --learn, 1 --commission (fuzz_baselines.cpp).
  for (const bool commission : {false, true}) {
    const std::string text = baselines(commission, &err);
    if (text.empty()) {
      std::fprintf(stderr, "fuzz_seeds: baselines: %s\n", err.c_str());
      return 1;
    }
    write(dir / "baselines" / (commission ? "commission.json" : "learn.json"), std::string(1, char(commission)) + text);
  }
  // .h5: fuzz_h5.cpp describes a file; all zero bytes describe the valid one.
  write(dir / "h5" / "valid", std::string(64, '\0'));
  return 0;
}
