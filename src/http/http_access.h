// http_access.h: who may do what on serve (issue 12, roles). Devices post
// windows; operators read and change state.
//   - GET / (the ready flag) and GET /healthz: always open.
//   - POST / (a window): open, unless a device token is set: then the
//     header X-Device-Token must carry it (401 without it, 403 with a wrong
//     one: a board with a stale token is a configuration error, said plainly).
//   - GET /metrics: the operator token, unless metrics are open.
//   - everything else (/devices and its changes, /events, /dashboard): the
//     operator token, as Authorization: Bearer TOKEN or HTTP Basic with the
//     token as the password (the browser's login prompt for the dashboard).
//     Missing or wrong: 401 with WWW-Authenticate, so a browser asks again.
// The tokens can be swapped while requests run (serve re-reads them on
// SIGHUP). Refusals are counted for /metrics. Tokens are compared in
// constant time (http_auth.h) and never appear in a reason or a log line.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "http_request.h"

namespace tinyad {

struct HttpAccessPolicy {
  std::string operator_token;  // "" = operator endpoints open
  std::string device_token;    // "" = window posts open
  bool open_metrics = false;   // /metrics without the operator token
};

class HttpAccess {
 public:
  explicit HttpAccess(HttpAccessPolicy policy = {});

  /// Replaces the policy; requests already checked keep their answer.
  void set(HttpAccessPolicy policy);

  /// nullopt when `req` may go on; else the 401/403 answer, *reason its
  /// one-line text (for the refusal log).
  std::optional<HttpResponse> check(const HttpRequest& req, std::string* reason);

  uint64_t unauthorized() const { return unauthorized_.load(std::memory_order_relaxed); }
  uint64_t forbidden() const { return forbidden_.load(std::memory_order_relaxed); }
  /// Prometheus text: tinyad_auth_refused_total{code="401"|"403"}.
  std::string metrics_text() const;

 private:
  std::atomic<std::shared_ptr<const HttpAccessPolicy>> policy_;
  std::atomic<uint64_t> unauthorized_{0}, forbidden_{0};
};

}  // namespace tinyad
