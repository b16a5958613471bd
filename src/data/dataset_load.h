// dataset_load.h: dataset -> feature table, the one way every command reads
// labelled windows (train, eval, analyze, export, convert): list the labels'
// files, keep the ones a selection asks for, read them and extract features
// in parallel (feature_table.h), and fail with one error that says, label
// by label, why nothing was readable.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "dataset.h"
#include "feature_table.h"
#include "recipe.h"
#include "split.h"

namespace tinyad {

/// Which files of the labels are read.
struct DatasetSelection {
  enum class Kind {
    ALL,            // every CSV file of the labels
    EXCLUDE_SPLIT,  // all but a model's training and validation files (split.h: split_used_file)
    ONLY_LISTED,    // only the files named in `ids`, in the listing's order
  };
  Kind kind = Kind::ALL;
  const ModelSplit* split = nullptr;  // EXCLUDE_SPLIT; not owned, must outlive dataset_load()
  std::vector<std::string> ids;       // ONLY_LISTED: "label/name"
};

DatasetSelection selection_all();
DatasetSelection selection_excluding(const ModelSplit& split);
DatasetSelection selection_only(std::vector<std::string> ids);

struct DatasetLoadOptions {
  // Labels that must give at least one readable window between them; empty:
  // the labels read. With `each_needed`, every one of them must give one.
  std::vector<std::string> needed;
  bool each_needed = false;
  bool keep_readings = false;  // keep FeatureTable::readings (reports, C export)
  bool progress = false;       // a progress line on stderr; also prints the table's notes there
  WindowReadOptions read;      // which columns are x, y, z (--columns)
};

struct LoadedDataset {
  struct LabelFiles {
    std::string label;
    size_t listed = 0, selected = 0;  // window files found; kept by the selection
    size_t unknown = 0;               // files of a kind tinyad does not read (window_file.h)
  };
  Dataset dataset;
  DatasetSelection::Kind selection = DatasetSelection::Kind::ALL;
  FeatureTable table;     // the selected readable files, their features, and why others were skipped
  size_t n_excluded = 0;  // windows left out as the model's training/validation windows
  std::vector<LabelFiles> per_label;  // in the order of the labels given
};

/// Reads the selected files of `labels` (in label order, then file name).
/// Fails on a missing dataset or label folder and when the needed labels
/// give no readable window (dataset_empty_error); malformed or short files
/// otherwise only go to table.skipped.
bool dataset_load(const std::string& root, const std::vector<std::string>& labels, const tinyad_recipe& recipe,
                  const DatasetSelection& selection, const DatasetLoadOptions& options, LoadedDataset* out,
                  std::string* err);

/// The error when `needed` gives no readable window: per label, why (no
/// window files, naming files of an unknown kind; every window was left out
/// by the selection; every file malformed or short, with the first reason).
std::string dataset_empty_error(const LoadedDataset& loaded, const std::vector<std::string>& needed,
                                const tinyad_recipe& recipe);

/// The windows of one list of a model's split (`which`: &ModelSplit::train,
/// ::validation or ::test), read again from the dataset the split recorded.
/// A model without a split (imported) is an error that says what to give.
bool dataset_load_split(const std::optional<ModelSplit>& split, std::vector<std::string> ModelSplit::*which,
                        const tinyad_recipe& recipe, FeatureTable* out, std::string* err);

}  // namespace tinyad
