// report_html.h: turns report data (one JSON document) into one self-contained
// HTML file: the template web/report.html with web/report.js, plotly.min.js
// and the data inlined, so the file opens offline and loads nothing.
// The assets are embedded into the binary at build time (cmake/report_assets.cmake);
// no chart is drawn here: web/report.js draws every chart from the JSON.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace tinyad {

/// The embedded assets (plotly.min.js, the HTML template, the report script).
std::string_view report_asset_plotly_js();
std::string_view report_asset_template();
std::string_view report_asset_script();

/// The id of the <script type="application/json"> element that holds the data.
inline constexpr const char* kReportDataId = "tinyad-data";

/// JSON text safe inside a <script> element ("</" written as "<\/", which
/// JSON reads back as the same string).
std::string report_json_for_script(const nlohmann::json& data);

/// The whole HTML page. `data["kind"]` ("analysis", "train", "eval") tells
/// report.js which charts to draw; `data["title"]` is the page title.
std::string report_render_html(const nlohmann::json& data);

/// Renders and writes the page atomically (never a half-written report).
bool report_write_html(const std::string& path, const nlohmann::json& data, std::string* err);

/// Extracts the data JSON back from a rendered page (for tests and tools).
bool report_extract_data(std::string_view html, nlohmann::json* data, std::string* err);

}  // namespace tinyad
