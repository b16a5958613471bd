// report_html.cpp: see report_html.h. The template has, in this order,
// TINYAD_TITLE in the <title> and three HTML comments that the assets replace:
// <!--TINYAD_PLOTLY_JS-->, <!--TINYAD_REPORT_JS-->, <!--TINYAD_REPORT_DATA-->.
#include "report_html.h"

#include <initializer_list>

#include "atomic_file.h"

extern "C" {
extern const char tinyad_asset_plotly_js[], tinyad_asset_plotly_js_end[];
extern const char tinyad_asset_report_html[], tinyad_asset_report_html_end[];
extern const char tinyad_asset_report_js[], tinyad_asset_report_js_end[];
}

namespace tinyad {
namespace {

std::string_view blob(const char* begin, const char* end) { return {begin, size_t(end - begin)}; }

std::string html_escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

struct Slot {
  std::string_view key, value;
};

// Fills the template's placeholders in one pass, in the order they appear,
// so nothing inserted (plotly.js, the data) is ever searched for a
// placeholder. The template is ours: a missing one is a build mistake that
// the tests catch.
std::string fill_template(std::string_view tpl, std::initializer_list<Slot> slots) {
  std::string out;
  size_t reserve = tpl.size();
  for (const Slot& s : slots) reserve += s.value.size();
  out.reserve(reserve);
  size_t pos = 0;
  for (const Slot& s : slots) {
    const size_t at = tpl.find(s.key, pos);
    if (at == std::string_view::npos) continue;
    out.append(tpl.substr(pos, at - pos));
    out.append(s.value);
    pos = at + s.key.size();
  }
  out.append(tpl.substr(pos));
  return out;
}

}  // namespace

std::string_view report_asset_plotly_js() { return blob(tinyad_asset_plotly_js, tinyad_asset_plotly_js_end); }
std::string_view report_asset_template() { return blob(tinyad_asset_report_html, tinyad_asset_report_html_end); }
std::string_view report_asset_script() { return blob(tinyad_asset_report_js, tinyad_asset_report_js_end); }

std::string report_json_for_script(const nlohmann::json& data) {
  // Non-finite numbers become null (nlohmann's choice). '<' can only occur
  // inside a JSON string, where \u003c reads back as the same character and
  // no "</script" or "<!--" can end or confuse the element.
  const std::string text = data.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c == '<') out += "\\u003c";
    else out += c;
  }
  return out;
}

std::string report_render_html(const nlohmann::json& data) {
  const std::string title = html_escape(data.value("title", std::string("tinyad report")));
  const std::string json = report_json_for_script(data);
  return fill_template(report_asset_template(), {{"TINYAD_TITLE", title},
                                                  {"<!--TINYAD_PLOTLY_JS-->", report_asset_plotly_js()},
                                                  {"<!--TINYAD_REPORT_JS-->", report_asset_script()},
                                                  {"<!--TINYAD_REPORT_DATA-->", json}});
}

bool report_write_html(const std::string& path, const nlohmann::json& data, std::string* err) {
  return write_file_atomic(path, report_render_html(data), err);
}

bool report_extract_data(std::string_view html, nlohmann::json* data, std::string* err) {
  const std::string open = std::string("<script type=\"application/json\" id=\"") + kReportDataId + "\">";
  const size_t begin = html.find(open);
  const size_t end = begin == std::string_view::npos ? begin : html.find("</script>", begin);
  if (end == std::string_view::npos) {
    *err = "no report data element (<script id=\"" + std::string(kReportDataId) + "\">) in the page";
    return false;
  }
  const std::string_view text = html.substr(begin + open.size(), end - begin - open.size());
  *data = nlohmann::json::parse(text, nullptr, false);
  if (data->is_discarded()) {
    *err = "the report data is not valid JSON";
    return false;
  }
  return true;
}

}  // namespace tinyad
