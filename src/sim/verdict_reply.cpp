// verdict_reply.cpp: see verdict_reply.h.
#include "verdict_reply.h"

#include <cstdio>
#include <nlohmann/json.hpp>

namespace tinyad {

bool verdict_reply_parse(const std::string& printed, VerdictReply* out) {
  // The printed reply is the status line, headers, a blank line and the body.
  size_t start = std::string::npos;
  for (size_t pos = 0; pos < printed.size();) {
    const size_t end = printed.find('\n', pos);
    if (printed[pos] == '{') start = pos;
    if (end == std::string::npos) break;
    pos = end + 1;
  }
  if (start == std::string::npos) return false;
  const size_t end = printed.find('\n', start);
  const auto j = nlohmann::json::parse(printed.substr(start, end == std::string::npos ? end : end - start), nullptr,
                                       /*allow_exceptions=*/false);
  if (!j.is_object() || !j.contains("anomaly") || !j["anomaly"].is_boolean()) return false;
  VerdictReply v;
  v.anomaly = j["anomaly"].get<bool>();
  if (j.contains("score") && j["score"].is_number()) v.has_score = true, v.score = j["score"].get<double>();
  if (j.contains("threshold") && j["threshold"].is_number())
    v.has_threshold = true, v.threshold = j["threshold"].get<double>();
  if (j.contains("baseline") && j["baseline"].is_string()) v.baseline = j["baseline"].get<std::string>();
  *out = v;
  return true;
}

std::string verdict_reply_text(const VerdictReply& v) {
  char buf[128];
  std::string s = "score ";
  if (v.has_score) {
    std::snprintf(buf, sizeof buf, "%.6g", v.score);
    s += buf;
  } else {
    s += "-";
  }
  if (v.has_threshold) {
    std::snprintf(buf, sizeof buf, " (threshold %.6g)", v.threshold);
    s += buf;
  }
  s += v.anomaly ? ": anomaly" : ": normal";
  if (!v.baseline.empty()) s += ", baseline " + v.baseline;
  return s;
}

}  // namespace tinyad
