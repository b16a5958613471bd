// verdict_reply.h: reads the verdict out of what a board printed of `serve`'s
// reply to its POST, so `tinyad device -v` can show score and verdict per
// window. A collect server's reply holds no verdict; that is not an error.
#pragma once

#include <string>

namespace tinyad {

struct VerdictReply {
  bool has_score = false, has_threshold = false;  // null while a device learns its baseline
  double score = 0, threshold = 0;
  bool anomaly = false;
  std::string baseline;  // "" unless serve runs with --learn/--commission
};

/// Finds the reply body's JSON object (the last line starting with '{') and
/// reads "score", "threshold", "anomaly" and "baseline" from it. Returns false
/// when there is no such object or it has no boolean "anomaly".
bool verdict_reply_parse(const std::string& printed, VerdictReply* out);

/// "score 812.417 (threshold 115.848): anomaly", with ", baseline own" when
/// the reply names one and "score -" while there is no score yet.
std::string verdict_reply_text(const VerdictReply& v);

}  // namespace tinyad
