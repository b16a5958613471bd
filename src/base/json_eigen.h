// json_eigen.h: Eigen vectors and matrices in model files, as JSON lists
// (a matrix is a list of rows), with size checks that name what was wrong.
#pragma once

#include <Eigen/Dense>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace tinyad {

nlohmann::json matrix_to_json(const Eigen::MatrixXd& m);
std::vector<double> vector_to_std(const Eigen::VectorXd& v);

/// Reads a (rows, cols) matrix; rows < 0 accepts any non-zero number of rows.
bool matrix_from_json(const nlohmann::json& j, Eigen::Index rows, Eigen::Index cols, const std::string& what,
                      Eigen::MatrixXd* out, std::string* err);

bool vector_from_json(const nlohmann::json& j, size_t n, const std::string& what, Eigen::VectorXd* out,
                      std::string* err);

}  // namespace tinyad
