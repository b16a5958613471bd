// split.h: the original protocol's split of normal files: shuffle (seeded),
// 20 % validation, 20 % test, the rest for training; and the record of it a
// model keeps (ModelSplit), which says which windows eval must not score.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "dataset.h"

namespace tinyad {

struct Split {
  uint64_t seed = 0;
  std::vector<size_t> train, validation, test;  // indices into the input list
};

/// Splits n items; fractions are rounded down. Deterministic for a seed.
Split split_make(size_t n, uint64_t seed, double validation_fraction = 0.2, double test_fraction = 0.2);

/// Splits items by group: item i belongs to group `groups[i]` (the file a
/// window was cut from, DatasetFile::file_id()), and all items of a group go
/// to the same part, so windows of one recording, which are strongly
/// correlated, never sit in training and test both. split_make deals out the
/// distinct groups in the order they first appear (fractions count groups,
/// not items), and each group brings its items in input order. When every
/// group has one item the result is exactly split_make(groups.size(), seed,
/// ...), so datasets of one-window files keep the split they had.
Split split_make_grouped(const std::vector<std::string>& groups, uint64_t seed, double validation_fraction = 0.2,
                         double test_fraction = 0.2);

/// The unit a split (or a cv fold) deals out, per window: its file
/// ("label/name") when the windows come from at least `min_units` files;
/// otherwise a contiguous stretch of its file ("label/name@b", each file cut
/// into ceil(min_units / files) stretches of consecutive windows, in the
/// order the windows are given). A few long recordings then still split into
/// training, validation and test parts, each part whole stretches of time,
/// so a test window has training neighbours only at a stretch's edge. With
/// one-window files (or enough files) the units are the files, as before.
std::vector<std::string> contiguous_units(const std::vector<DatasetFile>& windows, size_t min_units);

/// Which files a model was trained and calibrated on, so eval can skip them.
///
/// The split follows the window, not the folder: a file is one of the
/// model's when its "label/name" is in a list AND its content hash equals
/// the one recorded for it. The name alone is not enough: the simulator and
/// the collector both name files 0000.csv, 0001.csv, ... in every label
/// folder, so another recording session (or another dataset) with the same
/// label names would otherwise lose 80 % of its normal files to a split it
/// never took part in. The hash alone is not used either: identical
/// recordings under another label are a different window for the user.
/// Models written before hashes were recorded (`hashes` empty) keep the old
/// rule: same canonical dataset folder and same "label/name".
struct ModelSplit {
  std::string dataset;                     // canonical path of the dataset folder when trained (informative)
  uint64_t seed = 0;
  std::vector<std::string> normal_labels;  // labels whose files were split
  std::vector<std::string> train, validation, test;  // "label/NNNN.csv"
  std::map<std::string, std::string> hashes;  // "label/NNNN.csv" -> file_content_hash() of every file above
};

/// The content hash recorded per split file: FNV-1a (64 bit) of the file's
/// bytes, as 16 hex digits. Not cryptographic: it tells a copied window from
/// a different recording that happens to have the same name.
bool file_content_hash(const std::string& path, std::string* hash, std::string* err);

/// True when the file `id` ("label/name") at `path` of the dataset at
/// `canonical_root` is one of the split's training or validation files (the
/// rule above). Reads the file only when its name is in those lists.
bool split_used_file(const ModelSplit& split, const std::string& canonical_root, const std::string& id,
                     const std::string& path);

}  // namespace tinyad
