// cmd_export.cpp: `tinyad export MODEL DIR --to c`: what a microcontroller
// needs from a model file, as headers: DIR/tinyad_model.h (recipe, detector
// constants, threshold, the .tflite for TFLM users) and
// DIR/tinyad_test_windows.h (windows from the dataset with the host's scores,
// for the device's self-test). Each file is written atomically.
#include <cstdio>
#include <filesystem>
#include <memory>

#include "atomic_file.h"
#include "c_export.h"
#include "commands.h"
#include "dataset.h"
#include "dataset_load.h"
#include "model.h"
#include "tflite_export.h"
#include "tflite_import.h"

namespace tinyad::app {
namespace {

// Up to `limit` readable windows of `labels` in `root`, in file order: the
// selected ones (a model's test split) or every file. Malformed and short
// files are skipped as everywhere else (dataset_load.h), and warned about.
bool read_windows(const std::string& root, const std::vector<std::string>& labels, const DatasetSelection& selection,
                  const Model& m, size_t limit, std::vector<ExportWindow>* out, std::string* err) {
  DatasetLoadOptions load;
  load.keep_readings = true;
  LoadedDataset loaded;
  if (!dataset_load(root, labels, m.recipe.core, selection, load, &loaded, err)) return false;
  warn_skipped(loaded.table.skipped);
  for (size_t i = 0; i < loaded.table.files.size() && i < limit; ++i)
    out->push_back({loaded.table.files[i].id(), std::move(loaded.table.readings[i])});
  return true;
}

}  // namespace

RunFn attach_export(CLI::App* cmd) {
  struct Args {
    std::string model, dir, to = "c", data, normal, anomaly;
    size_t windows = 8;
    uint32_t commission = 0;
    bool no_tflite = false, int8 = false;
  };
  auto a = std::make_shared<Args>();
  cmd->add_option("model", a->model, "Model file (tinyad .json)")->required();
  cmd->add_option("dir", a->dir, "Output folder (created): tinyad_model.h, tinyad_test_windows.h")->required();
  cmd->add_option("--to", a->to, "Target: c (headers for core/ on a microcontroller)")->check(CLI::IsMember({"c"}));
  cmd->add_option("--windows", a->windows, "Normal test windows to include (default 8)")->check(CLI::Range(1, 1000));
  cmd->add_option("--data", a->data, "Dataset for the test windows (default: the model's, its held-out test split)");
  cmd->add_option("--normal", a->normal, "Normal label(s) in --data, comma-separated");
  cmd->add_option("--anomaly", a->anomaly, "Also include as many windows of these label(s)");
  cmd->add_option("--commission", a->commission,
                  "Mahalanobis: the self-test also commissions a device baseline on the first K normal test windows "
                  "(core/tinyad_commission.h, as serve --commission) and checks the later windows' scores against "
                  "the host's (K >= 3, fewer than --windows; docs/commissioning.md)")
      ->check(CLI::Range(3, 1000));
  cmd->add_flag("--no-tflite", a->no_tflite, "Autoencoder: leave the .tflite array out");
  cmd->add_flag("--int8", a->int8,
                "Autoencoder: also the int8 network (calibrated on the training windows) and its int8 .tflite");
  return [a] {
    Model m;
    std::string err;
    if (!model_load(a->model, &m, &err)) return fail(err);
    CExportOptions o;
    o.generated_by = "tinyad export " + std::filesystem::path(a->model).filename().string() + " DIR --to c";
    if (a->windows != 8) o.generated_by += " --windows " + std::to_string(a->windows);
    if (!a->anomaly.empty()) o.generated_by += " --anomaly " + a->anomaly;
    if (a->commission > 0) {
      if (!std::holds_alternative<MahalanobisModel>(m.detector))
        return fail("--commission needs a Mahalanobis model (its covariance scales the sd floor); " + a->model + " is " +
                    detector_name(m));
      o.commission = a->commission;
      o.generated_by += " --commission " + std::to_string(a->commission);
    }
    o.with_tflite = !a->no_tflite;
    TfliteNet q8;
    if (a->int8) {
      if (!std::holds_alternative<AutoencoderModel>(m.detector))
        return fail("--int8 needs an autoencoder model; " + a->model + " is " + detector_name(m));
      FeatureTable rep;
      TfliteExportOptions to;
      to.int8 = true;
      if (!dataset_load_split(m.split, &ModelSplit::train, m.recipe.core, &rep, &err))
        return fail("int8 export needs the training windows: " + err);
      if (!tflite_export(m, to, rep.X, &o.int8_tflite, &err) || !tflite_parse(o.int8_tflite, "int8", &q8, &err))
        return fail(err);
      o.int8_net = &q8;
      o.generated_by += " --int8";
    }

    std::vector<ExportWindow> windows;
    std::string root = a->data;
    if (!a->data.empty() || !m.split) {
      if (a->data.empty() || a->normal.empty())
        return fail(a->model + " records no training split: give --data and --normal for the test windows");
      if (!read_windows(a->data, split_list(a->normal), selection_all(), m, a->windows, &windows, &err))
        return fail(err);
    } else {
      root = m.split->dataset;
      if (!read_windows(root, m.split->normal_labels, selection_only(m.split->test), m, a->windows, &windows, &err))
        return fail("reading the model's test split: " + err);
    }
    if (o.commission >= windows.size())  // commission on normal windows only, and score at least one more
      return fail("--commission " + std::to_string(o.commission) + " needs more normal test windows than that; " +
                  std::to_string(windows.size()) + " were read (raise --windows)");
    if (!a->anomaly.empty() &&
        !read_windows(root, split_list(a->anomaly), selection_all(), m, a->windows, &windows, &err))
      return fail(err);

    std::string model_h, windows_h;
    if (!c_export_model(m, o, &model_h, &err) || !c_export_test_windows(m, windows, o, &windows_h, &err))
      return fail(err);
    std::error_code ec;
    std::filesystem::create_directories(a->dir, ec);
    if (ec) return fail(a->dir + ": cannot create folder: " + ec.message());
    const std::string model_path = (std::filesystem::path(a->dir) / "tinyad_model.h").string();
    const std::string windows_path = (std::filesystem::path(a->dir) / "tinyad_test_windows.h").string();
    if (!write_file_atomic(model_path, model_h, &err) || !write_file_atomic(windows_path, windows_h, &err))
      return fail(err);
    std::printf("exported %s (%s, recipe %s) -> %s, %s (%zu test windows)\n", a->model.c_str(), detector_name(m),
                m.recipe.name.c_str(), model_path.c_str(), windows_path.c_str(), windows.size());
    return 0;
  };
}

}  // namespace tinyad::app
