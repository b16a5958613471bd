// cmd_convert.cpp: `tinyad convert IN OUT`, chosen by the file extensions:
//   .npz  -> .json   the original's Mahalanobis model (model_mu, model_cov)
//   .json -> .npz    back to numpy, for the original's scripts
#include <cstdio>
#include <filesystem>
#include <memory>

#include "commands.h"
#include "model.h"
#include "npz.h"

namespace tinyad::app {
namespace {

std::string extension(const std::string& path) { return std::filesystem::path(path).extension().string(); }

bool import_npz(const std::string& in, const std::string& threshold, Model* m, std::string* err) {
  std::map<std::string, NpyArray> arrays;
  if (!npz_read(in, &arrays, err)) return false;
  for (const char* key : {"model_mu", "model_cov"}) {
    if (!arrays.count(key)) {
      std::string have;
      for (const auto& [k, v] : arrays) have += (have.empty() ? "" : ", ") + k;
      *err = in + ": no '" + key + "' array (has: " + (have.empty() ? "nothing" : have) +
             "); expected the original's Mahalanobis model";
      return false;
    }
  }
  const NpyArray& mu = arrays["model_mu"];
  const NpyArray& cov = arrays["model_cov"];
  const size_t n = mu.size();
  if (mu.shape.size() != 1 || cov.shape != std::vector<size_t>{n, n}) {
    *err = in + ": model_mu must have shape (n,) and model_cov (n, n)";
    return false;
  }
  if (!recipe_named("original", &m->recipe, err)) return false;
  if (n != tinyad_recipe_n_features(&m->recipe.core)) {
    *err = in + ": " + std::to_string(n) + " features, but the original recipe (per-axis MAD) has 3";
    return false;
  }
  const Eigen::VectorXd mean = Eigen::Map<const Eigen::VectorXd>(mu.data.data(), Eigen::Index(n));
  const Eigen::MatrixXd c =
      Eigen::Map<const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(
          cov.data.data(), Eigen::Index(n), Eigen::Index(n));
  if (!mahalanobis_from_covariance(mean, c, &m->mahalanobis, err)) {
    *err = in + ": " + *err;
    return false;
  }
  if (!threshold_parse(threshold, &m->threshold, err)) return false;
  if (m->threshold.method != "fixed") {
    *err = "an imported model has no validation windows: give --threshold as a number";
    return false;
  }
  m->provenance = {{"tool", std::string("tinyad ") + TINYAD_VERSION}, {"imported_from", in},
                   {"dtype", mu.dtype}};
  return true;
}

bool export_npz(const Model& m, const std::string& out, std::string* err) {
  const auto n = size_t(m.mahalanobis.mean.size());
  NpyArray mu{{n}, std::vector<double>(m.mahalanobis.mean.begin(), m.mahalanobis.mean.end()), "<f8"};
  NpyArray cov{{n, n}, {}, "<f8"};
  for (size_t i = 0; i < n; ++i)
    for (size_t j = 0; j < n; ++j) cov.data.push_back(m.mahalanobis.covariance(Eigen::Index(i), Eigen::Index(j)));
  return npz_write(out, {{"model_mu", mu}, {"model_cov", cov}}, err);
}

}  // namespace

RunFn attach_convert(CLI::App* cmd) {
  struct Args {
    std::string in, out, threshold = "3.0";
  };
  auto a = std::make_shared<Args>();
  cmd->add_option("input", a->in, "Model to read: .npz (original) or .json (tinyad)")->required();
  cmd->add_option("output", a->out, "Model to write: .json (tinyad) or .npz")->required();
  cmd->add_option("--threshold", a->threshold,
                  "Threshold for an imported .npz model (default 3.0, the original notebook's)");
  return [a] {
    const std::string from = extension(a->in), to = extension(a->out);
    std::string err;
    if (from == ".npz" && to == ".json") {
      Model m;
      if (!import_npz(a->in, a->threshold, &m, &err) || !model_save(m, a->out, &err)) return fail(err);
      std::printf("imported %s (original recipe, %zu features, threshold %g) -> %s\n", a->in.c_str(),
                  size_t(m.mahalanobis.mean.size()), m.threshold.value, a->out.c_str());
      return 0;
    }
    if (from == ".json" && to == ".npz") {
      Model m;
      if (!model_load(a->in, &m, &err) || !export_npz(m, a->out, &err)) return fail(err);
      if (m.recipe.name != "original")
        warn("the .npz holds only mean and covariance: the recipe '" + m.recipe.name +
             "' and the threshold stay in " + a->in);
      std::printf("exported %s -> %s (model_mu, model_cov)\n", a->in.c_str(), a->out.c_str());
      return 0;
    }
    return fail("cannot convert " + (from.empty() ? std::string("(no extension)") : from) + " to " +
                (to.empty() ? std::string("(no extension)") : to) + "; supported: .npz -> .json, .json -> .npz");
  };
}

}  // namespace tinyad::app
