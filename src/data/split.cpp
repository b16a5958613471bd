// split.cpp: see split.h.
#include "split.h"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <numeric>
#include <utility>

#include "dataset.h"
#include "rng.h"

namespace tinyad {

Split split_make(size_t n, uint64_t seed, double validation_fraction, double test_fraction) {
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), size_t(0));
  Rng rng(seed);
  for (size_t i = n; i > 1; --i) std::swap(order[i - 1], order[rng.below(i)]);  // Fisher-Yates
  const size_t n_val = size_t(double(n) * validation_fraction);
  const size_t n_test = size_t(double(n) * test_fraction);
  Split s;
  s.seed = seed;
  s.validation.assign(order.begin(), order.begin() + long(n_val));
  s.test.assign(order.begin() + long(n_val), order.begin() + long(n_val + n_test));
  s.train.assign(order.begin() + long(n_val + n_test), order.end());
  return s;
}

Split split_make_grouped(const std::vector<std::string>& groups, uint64_t seed, double validation_fraction,
                         double test_fraction) {
  std::map<std::string, size_t> index;          // group -> its position among the distinct groups
  std::vector<std::vector<size_t>> members;     // per distinct group, its items in input order
  for (size_t i = 0; i < groups.size(); ++i) {
    const auto [it, added] = index.emplace(groups[i], members.size());
    if (added) members.emplace_back();
    members[it->second].push_back(i);
  }
  const Split by_group = split_make(members.size(), seed, validation_fraction, test_fraction);
  auto expand = [&](const std::vector<size_t>& gs) {
    std::vector<size_t> items;
    for (size_t g : gs) items.insert(items.end(), members[g].begin(), members[g].end());
    return items;
  };
  Split s;
  s.seed = seed;
  s.train = expand(by_group.train);
  s.validation = expand(by_group.validation);
  s.test = expand(by_group.test);
  return s;
}

std::vector<std::string> contiguous_units(const std::vector<DatasetFile>& windows, size_t min_units) {
  std::map<std::string, size_t> per_file;  // windows of each file among those given
  for (const DatasetFile& w : windows) per_file[w.file_id()]++;
  std::vector<std::string> units;
  units.reserve(windows.size());
  if (per_file.size() >= min_units) {
    for (const DatasetFile& w : windows) units.push_back(w.file_id());
    return units;
  }
  const size_t stretches = (min_units + per_file.size() - 1) / per_file.size();
  std::map<std::string, size_t> seen;  // windows of each file passed so far
  for (const DatasetFile& w : windows) {
    const std::string file = w.file_id();
    const size_t rank = seen[file]++;
    units.push_back(file + "@" + std::to_string(rank * stretches / per_file[file]));
  }
  return units;
}

bool file_content_hash(const std::string& path, std::string* hash, std::string* err) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    *err = path + ": cannot open to hash";
    return false;
  }
  uint64_t h = 0xcbf29ce484222325ull;  // FNV-1a offset basis and prime (64 bit)
  for (std::istreambuf_iterator<char> it(in), end; it != end; ++it) {
    h ^= uint8_t(*it);
    h *= 0x100000001b3ull;
  }
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  *hash = buf;
  return true;
}

bool split_used_file(const ModelSplit& split, const std::string& canonical_root, const std::string& id,
                     const std::string& path) {
  auto listed = [&](const std::vector<std::string>& v) { return std::find(v.begin(), v.end(), id) != v.end(); };
  if (!listed(split.train) && !listed(split.validation)) return false;
  if (split.hashes.empty()) return split.dataset == canonical_root;  // a model from before hashes
  const auto it = split.hashes.find(id);
  std::string hash, err;
  return it != split.hashes.end() && file_content_hash(path, &hash, &err) && hash == it->second;
}

}  // namespace tinyad
