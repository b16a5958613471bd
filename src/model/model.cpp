// model.cpp: see model.h.
#include "model.h"

#include <optional>
#include <utility>

#include "atomic_file.h"
#include "json_eigen.h"

namespace tinyad {
namespace {

using nlohmann::json;

json split_to_json(const ModelSplit& s) {
  json j = {{"dataset", s.dataset}, {"seed", s.seed}, {"normal_labels", s.normal_labels},
            {"train", s.train},     {"validation", s.validation}, {"test", s.test}};
  if (!s.hashes.empty()) j["hashes"] = s.hashes;  // absent in models from before (split.h)
  return j;
}

ModelSplit split_from_json(const json& j) {
  ModelSplit s;
  s.dataset = j.at("dataset").get<std::string>();
  s.seed = j.at("seed").get<uint64_t>();
  s.normal_labels = j.at("normal_labels").get<std::vector<std::string>>();
  s.train = j.at("train").get<std::vector<std::string>>();
  s.validation = j.at("validation").get<std::vector<std::string>>();
  s.test = j.at("test").get<std::vector<std::string>>();
  if (j.contains("hashes")) s.hashes = j.at("hashes").get<std::map<std::string, std::string>>();
  return s;
}

// Every alternative of Detector, default-constructed, in the variant's order.
template <size_t... I>
std::vector<Detector> all_detector_kinds(std::index_sequence<I...>) {
  return {Detector(std::in_place_index<I>)...};
}
std::vector<Detector> all_detector_kinds() {
  return all_detector_kinds(std::make_index_sequence<std::variant_size_v<Detector>>());
}

std::string known_detectors() {
  std::string s;
  for (const std::string& n : detector_names()) s += (s.empty() ? "" : ", ") + n;
  return s;
}

}  // namespace

const char* detector_name(const Detector& d) {
  return std::visit(overloaded{[](const MahalanobisModel&) { return "mahalanobis"; },
                               [](const AutoencoderModel&) { return "autoencoder"; }},
                    d);
}

std::vector<std::string> detector_names() {
  std::vector<std::string> names;
  for (const Detector& d : all_detector_kinds()) names.push_back(detector_name(d));
  return names;
}

bool detector_from_name(const std::string& name, Detector* out, std::string* err) {
  for (const Detector& d : all_detector_kinds()) {
    if (name == detector_name(d)) {
      *out = d;
      return true;
    }
  }
  *err = "unknown detector '" + name + "' (known: " + known_detectors() + ")";
  return false;
}

json model_to_json(const Model& m) {
  json j;
  j["format"] = kModelFormat;
  j["version"] = kModelVersion;
  j["recipe"] = recipe_to_json(m.recipe);
  j["detector"] = std::visit(overloaded{[](const MahalanobisModel& md) { return mahalanobis_to_json(md); },
                                        [](const AutoencoderModel& ae) { return autoencoder_to_json(ae); }},
                             m.detector);
  j["detector"]["type"] = detector_name(m);
  const Threshold& t = m.threshold;
  auto opt = [](const std::optional<double>& v) { return v ? json(*v) : json(nullptr); };
  // n_calibration and the two rates say what the threshold means: the share
  // of the calibration windows above it, and (conformal) the promised rate.
  j["threshold"] = {{"value", t.value},
                    {"method", t.method},
                    {"param", t.param},
                    {"n_calibration", t.n_calibration},
                    {"calibration_false_alarms", opt(t.calibration_rate)},
                    {"expected_false_alarms", opt(t.expected_false_alarms)}};
  if (m.split) j["split"] = split_to_json(*m.split);
  j["provenance"] = m.provenance;
  return j;
}

bool model_from_json(const json& j, Model* out, std::string* err) {
  // Types are checked before values: json::value() throws on a type mismatch
  // (e.g. "format": 1), and these checks sit outside the try below.
  const auto format = j.is_object() ? j.find("format") : j.end();
  if (format == j.end() || !format->is_string() || *format != kModelFormat) {
    *err = "not a tinyad model (expected a JSON object with \"format\": \"tinyad-model\")";
    return false;
  }
  const auto version_it = j.find("version");
  if (version_it != j.end() && !version_it->is_number_integer()) {
    *err = "tinyad model version must be an integer, got " + version_it->dump();
    return false;
  }
  const int64_t version = version_it == j.end() ? 0 : version_it->get<int64_t>();
  if (version != kModelVersion) {
    *err = "tinyad model format version " + std::to_string(version) + ", this tinyad reads version " +
           std::to_string(kModelVersion) + (version > kModelVersion ? " (made by a newer tinyad)" : "");
    return false;
  }
  try {
    Model m;
    if (!recipe_from_json(j.at("recipe"), &m.recipe, err)) return false;
    const json& d = j.at("detector");
    const std::string type = d.at("type").get<std::string>();
    if (!detector_from_name(type, &m.detector, err)) {
      *err = "detector type '" + type + "' is not supported by this tinyad (known: " + known_detectors() + ")";
      return false;
    }
    const bool read = std::visit(
        overloaded{[&](MahalanobisModel& md) { return mahalanobis_from_json(d, tinyad_recipe_n_features(&m.recipe.core), &md, err); },
                   [&](AutoencoderModel& ae) {
                     return autoencoder_from_json(d, tinyad_recipe_n_features(&m.recipe.core), &ae, err);
                   }},
        m.detector);
    if (!read) return false;
    const json& t = j.at("threshold");
    m.threshold.value = t.at("value").get<double>();
    m.threshold.method = t.value("method", std::string("fixed"));
    m.threshold.param = t.value("param", m.threshold.value);
    // Files written before the calibration was recorded have none of these.
    m.threshold.n_calibration = t.value("n_calibration", size_t(0));
    auto opt = [&](const char* key) -> std::optional<double> {
      const auto it = t.find(key);
      if (it == t.end() || it->is_null()) return std::nullopt;
      return it->get<double>();
    };
    m.threshold.calibration_rate = opt("calibration_false_alarms");
    m.threshold.expected_false_alarms = opt("expected_false_alarms");
    if (j.contains("split")) m.split = split_from_json(j.at("split"));
    m.provenance = j.value("provenance", json::object());
    *out = std::move(m);
    return true;
  } catch (const json::exception& e) {
    *err = std::string("damaged tinyad model: ") + e.what();
    return false;
  }
}

bool model_save(const Model& m, const std::string& path, std::string* err) {
  return write_file_atomic(path, model_to_json(m).dump(1) + "\n", err);
}

bool model_load(const std::string& path, Model* m, std::string* err) {
  std::string text;
  if (!read_file(path, &text, err)) return false;
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) {
    *err = path + ": not a tinyad model (not valid JSON)";
    return false;
  }
  if (!model_from_json(j, m, err)) {
    *err = path + ": " + *err;
    return false;
  }
  return true;
}

Eigen::VectorXd model_scores(const Model& m, const Eigen::MatrixXd& features) {
  return std::visit(overloaded{[&](const MahalanobisModel& md) { return mahalanobis_scores(md, features); },
                               [&](const AutoencoderModel& ae) { return autoencoder_scores(ae, features); }},
                    m.detector);
}

}  // namespace tinyad
