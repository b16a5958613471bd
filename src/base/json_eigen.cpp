// json_eigen.cpp: see json_eigen.h.
#include "json_eigen.h"

namespace tinyad {

using nlohmann::json;

json matrix_to_json(const Eigen::MatrixXd& m) {
  json rows = json::array();
  for (Eigen::Index i = 0; i < m.rows(); ++i) {
    json row = json::array();
    for (Eigen::Index j = 0; j < m.cols(); ++j) row.push_back(m(i, j));
    rows.push_back(std::move(row));
  }
  return rows;
}

std::vector<double> vector_to_std(const Eigen::VectorXd& v) { return std::vector<double>(v.data(), v.data() + v.size()); }

bool matrix_from_json(const json& j, Eigen::Index rows, Eigen::Index cols, const std::string& what,
                      Eigen::MatrixXd* out, std::string* err) {
  if (!j.is_array() || j.empty() || (rows >= 0 && Eigen::Index(j.size()) != rows)) {
    *err = rows >= 0 ? what + " must be a " + std::to_string(rows) + "x" + std::to_string(cols) + " matrix"
                     : what + " must be a list of rows of " + std::to_string(cols) + " values";
    return false;
  }
  out->resize(Eigen::Index(j.size()), cols);
  for (Eigen::Index i = 0; i < out->rows(); ++i) {
    const json& row = j[size_t(i)];
    if (!row.is_array() || Eigen::Index(row.size()) != cols) {
      *err = what + " row " + std::to_string(i) + " must have " + std::to_string(cols) + " values";
      return false;
    }
    for (Eigen::Index k = 0; k < cols; ++k) (*out)(i, k) = row[size_t(k)].get<double>();
  }
  return true;
}

bool vector_from_json(const json& j, size_t n, const std::string& what, Eigen::VectorXd* out, std::string* err) {
  if (!j.is_array() || j.size() != n) {
    *err = what + " must be a list of " + std::to_string(n) + " numbers";
    return false;
  }
  out->resize(Eigen::Index(n));
  for (size_t i = 0; i < n; ++i) (*out)[Eigen::Index(i)] = j[i].get<double>();
  return true;
}

}  // namespace tinyad
