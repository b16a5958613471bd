// http_auth.h: one shared secret for the endpoints that read or change the
// fleet (serve's --token-file; who needs it is in http_access.h): `Authorization: Bearer TOKEN`, or HTTP
// Basic with the token as the password (any user name), so a browser can open
// the dashboard after its login prompt and its event stream rides along.
// The device protocol (GET / and POST /) and /healthz stay open: the firmware
// sends no credentials. Over plain HTTP the token crosses the network in the
// clear: put serve behind a TLS proxy where that matters.
#pragma once

#include <optional>
#include <string>

#include "http_request.h"

namespace tinyad {

/// True when `req` carries `token` (Bearer or Basic password). The compare
/// takes the same time wherever the first difference is.
bool http_has_token(const HttpRequest& req, const std::string& token);

/// True when a and b are equal; the time taken depends on their lengths
/// only, not on where they first differ.
bool http_same_secret(const std::string& a, const std::string& b);

/// The 401 answer asking for credentials (WWW-Authenticate: Basic).
HttpResponse http_unauthorized();

/// Decodes standard base64 (RFC 4648, padding optional); nullopt on a bad character.
std::optional<std::string> base64_decode(const std::string& in);

}  // namespace tinyad
