// dataset.cpp: see dataset.h.
#include "dataset.h"

#include "window_file.h"

#include <algorithm>
#include <filesystem>
#include <system_error>

namespace fs = std::filesystem;

namespace tinyad {

bool dataset_open(const std::string& root, Dataset* ds, std::string* err) {
  std::error_code ec;
  if (!fs::is_directory(root, ec)) {
    *err = root + ": not a dataset folder (expected DATASET/<label>/<NNNN>.csv)";
    return false;
  }
  ds->root = root;
  ds->canonical_root = fs::canonical(root, ec).string();
  if (ec) ds->canonical_root = fs::absolute(root).string();
  ds->labels.clear();
  for (const auto& entry : fs::directory_iterator(root, ec)) {
    if (entry.is_directory()) ds->labels.push_back(entry.path().filename().string());
  }
  if (ec) {
    *err = root + ": " + ec.message();
    return false;
  }
  std::sort(ds->labels.begin(), ds->labels.end());
  if (ds->labels.empty()) {
    *err = root + ": no label folders (expected DATASET/<label>/<NNNN>.csv)";
    return false;
  }
  return true;
}

bool dataset_files(const Dataset& ds, const std::vector<std::string>& labels,
                   std::vector<DatasetFile>* files, std::string* err, std::vector<DatasetFile>* unknown) {
  files->clear();
  if (unknown) unknown->clear();
  for (const std::string& label : labels) {
    if (std::find(ds.labels.begin(), ds.labels.end(), label) == ds.labels.end()) {
      std::string known;
      for (const auto& l : ds.labels) known += (known.empty() ? "" : ", ") + l;
      *err = ds.root + ": no label '" + label + "' (labels: " + known + ")";
      return false;
    }
    std::vector<DatasetFile> found;
    std::error_code ec;
    const fs::path dir = fs::path(ds.root) / label;
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
      const std::string name = entry.path().filename().string();
      if (!entry.is_regular_file() || name.rfind('.', 0) == 0) continue;
      if (window_file_known(name)) {
        found.push_back({label, name, entry.path().string()});
      } else if (unknown) {
        unknown->push_back({label, name, entry.path().string()});
      }
    }
    if (ec) {
      *err = dir.string() + ": " + ec.message();
      return false;
    }
    std::sort(found.begin(), found.end(),
              [](const DatasetFile& a, const DatasetFile& b) { return a.name < b.name; });
    files->insert(files->end(), found.begin(), found.end());
  }
  return true;
}

bool labels_disjoint(const std::vector<std::string>& normal, const std::vector<std::string>& anomaly,
                     std::string* err) {
  return labels_disjoint(normal, "--normal", anomaly, "--anomaly", err);
}

bool labels_disjoint(const std::vector<std::string>& a, const char* a_flag, const std::vector<std::string>& b,
                     const char* b_flag, std::string* err) {
  for (const auto& l : b) {
    if (std::find(a.begin(), a.end(), l) != a.end()) {
      *err = "label '" + l + "' is given as both " + a_flag + " and " + b_flag;
      return false;
    }
  }
  return true;
}

std::vector<std::string> split_list(const std::string& csv) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= csv.size()) {
    size_t comma = csv.find(',', start);
    if (comma == std::string::npos) comma = csv.size();
    std::string item = csv.substr(start, comma - start);
    item.erase(0, item.find_first_not_of(" \t"));
    item.erase(item.find_last_not_of(" \t") + 1);
    if (!item.empty()) out.push_back(item);
    start = comma + 1;
  }
  return out;
}

}  // namespace tinyad
