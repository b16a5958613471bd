// dataset_load.cpp: see dataset_load.h.
#include "dataset_load.h"

#include <algorithm>
#include <cstdio>
#include <set>
#include <utility>

namespace tinyad {

DatasetSelection selection_all() { return {}; }

DatasetSelection selection_excluding(const ModelSplit& split) {
  DatasetSelection s;
  s.kind = DatasetSelection::Kind::EXCLUDE_SPLIT;
  s.split = &split;
  return s;
}

DatasetSelection selection_only(std::vector<std::string> ids) {
  DatasetSelection s;
  s.kind = DatasetSelection::Kind::ONLY_LISTED;
  s.ids = std::move(ids);
  return s;
}

namespace {

// The listed files the selection keeps; counts per label and exclusions.
// Ids are per window: a file cut into windows is kept when any of its
// windows "label/name#k" is asked for, and its windows are picked after
// reading (select_windows).
std::vector<DatasetFile> select_files(const std::vector<DatasetFile>& listed, const DatasetSelection& sel,
                                      LoadedDataset* out) {
  std::set<std::string> only;
  for (const std::string& id : sel.ids) only.insert(id.substr(0, id.rfind('#')));
  std::vector<DatasetFile> kept;
  for (const DatasetFile& f : listed) {
    auto count = std::find_if(out->per_label.begin(), out->per_label.end(),
                              [&](const LoadedDataset::LabelFiles& l) { return l.label == f.label; });
    count->listed++;
    bool keep = true;
    if (sel.kind == DatasetSelection::Kind::ONLY_LISTED) {
      keep = only.count(f.file_id()) > 0;
    } else if (sel.kind == DatasetSelection::Kind::EXCLUDE_SPLIT && sel.split &&
               split_used_file(*sel.split, out->dataset.canonical_root, f.id(), f.path)) {
      keep = false;
      out->n_excluded++;
    }
    if (!keep) continue;
    count->selected++;
    kept.push_back(f);
  }
  return kept;
}

// Drops the windows of cut files the selection does not keep (whole files
// were handled by select_files).
void select_windows(const DatasetSelection& sel, LoadedDataset* out) {
  if (sel.kind == DatasetSelection::Kind::ALL) return;
  const std::set<std::string> only(sel.ids.begin(), sel.ids.end());
  FeatureTable& t = out->table;
  std::vector<Eigen::Index> keep;
  for (size_t i = 0; i < t.files.size(); ++i) {
    const DatasetFile& f = t.files[i];
    bool kept = true;
    if (f.part >= 0 && sel.kind == DatasetSelection::Kind::ONLY_LISTED) {
      kept = only.count(f.id()) > 0;
    } else if (f.part >= 0 && sel.kind == DatasetSelection::Kind::EXCLUDE_SPLIT && sel.split &&
               split_used_file(*sel.split, out->dataset.canonical_root, f.id(), f.path)) {
      kept = false;
      out->n_excluded++;
    }
    if (kept) keep.push_back(Eigen::Index(i));
  }
  if (keep.size() == t.files.size()) return;
  std::vector<DatasetFile> files;
  std::vector<std::vector<double>> readings;
  for (Eigen::Index i : keep) {
    files.push_back(t.files[size_t(i)]);
    if (!t.readings.empty()) readings.push_back(std::move(t.readings[size_t(i)]));
  }
  t.X = Eigen::MatrixXd(t.X(keep, Eigen::all));
  t.files = std::move(files);
  t.readings = std::move(readings);
}

}  // namespace

std::string dataset_empty_error(const LoadedDataset& loaded, const std::vector<std::string>& needed,
                                const tinyad_recipe& recipe) {
  std::string why;
  for (const std::string& label : needed) {
    const auto l = std::find_if(loaded.per_label.begin(), loaded.per_label.end(),
                                [&](const LoadedDataset::LabelFiles& c) { return c.label == label; });
    const size_t listed = l == loaded.per_label.end() ? 0 : l->listed;
    const size_t selected = l == loaded.per_label.end() ? 0 : l->selected;
    std::string reason;
    if (listed == 0) {
      reason = "no CSV files (nor .tsv or .json)";
      const size_t unknown = l == loaded.per_label.end() ? 0 : l->unknown;
      if (unknown > 0) {
        reason += "; " + std::to_string(unknown) + " of an unknown kind, e.g. ";
        for (const std::string& note : loaded.table.warnings)
          if (note.rfind(label + "/", 0) == 0) {
            reason += note.substr(0, note.find(':'));
            break;
          }
      }
    } else if (selected == 0 && loaded.selection == DatasetSelection::Kind::EXCLUDE_SPLIT) {
      reason = "all " + std::to_string(listed) + " files are the model's training/validation files";
    } else if (selected == 0) {
      reason = "none of its " + std::to_string(listed) + " files is in the list asked for";
    } else {
      reason = std::to_string(selected) + " files, none readable";
      for (size_t i = 0; i < loaded.table.skipped.size(); ++i) {
        if (loaded.table.skipped_files[i].file.label != label) continue;
        reason += " (first: " + loaded.table.skipped[i] + ")";
        break;
      }
    }
    why += (why.empty() ? "" : "; ") + label + ": " + reason;
  }
  return loaded.dataset.root + ": no readable window of at least " + std::to_string(recipe.window) +
         " rows (" + why + ")";
}

bool dataset_load(const std::string& root, const std::vector<std::string>& labels, const tinyad_recipe& recipe,
                  const DatasetSelection& selection, const DatasetLoadOptions& options, LoadedDataset* out,
                  std::string* err) {
  if (labels.empty()) {
    *err = root + ": no labels given to read (--normal)";
    return false;
  }
  LoadedDataset r;
  std::vector<DatasetFile> listed, unknown;
  if (!dataset_open(root, &r.dataset, err) || !dataset_files(r.dataset, labels, &listed, err, &unknown))
    return false;
  r.selection = selection.kind;
  for (const std::string& l : labels)
    if (std::none_of(r.per_label.begin(), r.per_label.end(), [&](const auto& c) { return c.label == l; }))
      r.per_label.push_back({l, 0, 0});
  const std::vector<DatasetFile> files = select_files(listed, selection, &r);
  r.table = feature_table_load(files, recipe, options.progress, options.keep_readings, options.read);
  select_windows(selection, &r);
  for (const DatasetFile& f : unknown) {
    for (auto& c : r.per_label) c.unknown += c.label == f.label;
    r.table.warnings.push_back(f.id() + ": not a window file (tinyad reads .csv, .tsv and .json); left out");
  }
  if (options.progress) {
    for (const std::string& note : r.table.notes) std::fprintf(stderr, "tinyad: note: %s\n", note.c_str());
    for (const std::string& w : r.table.warnings) std::fprintf(stderr, "tinyad: warning: %s\n", w.c_str());
  }

  const std::vector<std::string>& needed = options.needed.empty() ? labels : options.needed;
  if (options.each_needed) {
    for (const std::string& l : needed) {
      if (rows_with_labels(r.table, {l}).empty()) {
        *err = dataset_empty_error(r, {l}, recipe);
        return false;
      }
    }
  } else if (!needed.empty() && rows_with_labels(r.table, needed).empty()) {
    *err = dataset_empty_error(r, needed, recipe);
    return false;
  }
  *out = std::move(r);
  return true;
}

bool dataset_load_split(const std::optional<ModelSplit>& split, std::vector<std::string> ModelSplit::*which,
                        const tinyad_recipe& recipe, FeatureTable* out, std::string* err) {
  if (!split) {
    *err = "the model records no training split (imported?): give --data and --normal";
    return false;
  }
  LoadedDataset loaded;
  if (!dataset_load(split->dataset, split->normal_labels, recipe, selection_only((*split).*which), {}, &loaded,
                    err)) {
    *err = "cannot read the model's split files again: " + *err + " (give --data and --normal instead)";
    return false;
  }
  *out = std::move(loaded.table);
  return true;
}

}  // namespace tinyad
