// dataset.h: the folder-of-folders layout DATASET/<label>/<NNNN>.csv.
// Listing only; reading and feature extraction live in feature_table.h.
#pragma once

#include <string>
#include <vector>

namespace tinyad {

struct DatasetFile {
  std::string label;  // folder name, e.g. "fan_0_low_1_weight"
  std::string name;   // file name, e.g. "0042.csv"
  std::string path;   // root/label/name
  int part = -1;      // window k of a file cut into several (feature_table.h); -1: the file is one window
  /// The window's id, what a model's split lists: "label/name", or
  /// "label/name#k" for the k-th window of a file holding two windows or more.
  std::string id() const { return label + "/" + name + (part >= 0 ? "#" + std::to_string(part) : ""); }
  /// The file's id, "label/name", whichever window of it this is.
  std::string file_id() const { return label + "/" + name; }
};

struct Dataset {
  std::string root;                 // as given by the user
  std::string canonical_root;       // absolute, symlinks resolved: identifies the dataset
  std::vector<std::string> labels;  // sorted folder names
};

/// Lists the labels (sub-folders) of a dataset folder.
bool dataset_open(const std::string& root, Dataset* ds, std::string* err);

/// Lists the window files (window_file.h: .csv, .tsv, .txt... by name) of the
/// given labels, sorted by label order given, then file name. Other regular
/// files, but hidden ones (".name", e.g. a writer's temporary file), go to
/// `unknown` when given, so the caller can name them instead of leaving them
/// out unseen. Unknown labels are an error that lists the known ones.
bool dataset_files(const Dataset& ds, const std::vector<std::string>& labels,
                   std::vector<DatasetFile>* files, std::string* err,
                   std::vector<DatasetFile>* unknown = nullptr);

/// Refuses a label given both as normal and as anomaly (its windows would
/// be scored as both).
bool labels_disjoint(const std::vector<std::string>& normal, const std::vector<std::string>& anomaly,
                     std::string* err);

/// The same for any two label flags, e.g. ("--other-normal", "--normal"):
/// false with "label 'L' is given as both --a and --b" when a label is in both.
bool labels_disjoint(const std::vector<std::string>& a, const char* a_flag, const std::vector<std::string>& b,
                     const char* b_flag, std::string* err);

/// Splits "a,b,c" into {"a","b","c"}, dropping empty items and spaces.
std::vector<std::string> split_list(const std::string& csv);

}  // namespace tinyad
