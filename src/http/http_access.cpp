// http_access.cpp: see http_access.h.
#include "http_access.h"

#include "http_auth.h"

namespace tinyad {

HttpAccess::HttpAccess(HttpAccessPolicy policy) { set(std::move(policy)); }

void HttpAccess::set(HttpAccessPolicy policy) {
  policy_.store(std::make_shared<const HttpAccessPolicy>(std::move(policy)));
}

std::optional<HttpResponse> HttpAccess::check(const HttpRequest& req, std::string* reason) {
  const std::shared_ptr<const HttpAccessPolicy> p = policy_.load();
  const std::string_view path = req.path();
  if ((path == "/" || path == "/healthz") && req.method == "GET") return std::nullopt;
  if (path == "/" && req.method == "POST") {
    if (p->device_token.empty()) return std::nullopt;
    const std::string* sent = req.header("x-device-token");
    if (sent && http_same_secret(*sent, p->device_token)) return std::nullopt;
    const int code = sent ? 403 : 401;
    *reason = sent ? "wrong device token in X-Device-Token" : "a window needs the device token: X-Device-Token";
    (code == 401 ? unauthorized_ : forbidden_).fetch_add(1, std::memory_order_relaxed);
    return HttpResponse::text(code, *reason + "\n");
  }
  if (path == "/metrics" && p->open_metrics) return std::nullopt;
  if (p->operator_token.empty() || http_has_token(req, p->operator_token)) return std::nullopt;
  *reason = std::string(req.header("authorization") ? "wrong operator token" : "no operator token") + " for " +
            req.method + " " + std::string(path);
  unauthorized_.fetch_add(1, std::memory_order_relaxed);
  return http_unauthorized();
}

std::string HttpAccess::metrics_text() const {
  return "# HELP tinyad_auth_refused_total Requests refused for a missing or wrong token (401) or a wrong device "
         "token (403).\n# TYPE tinyad_auth_refused_total counter\n"
         "tinyad_auth_refused_total{code=\"401\"} " + std::to_string(unauthorized()) + "\n"
         "tinyad_auth_refused_total{code=\"403\"} " + std::to_string(forbidden()) + "\n";
}

}  // namespace tinyad
