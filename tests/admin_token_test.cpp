// admin_token_test.cpp: serve --admin-token-file (the old name of --token-file,
// kept as an alias; serve_access_test.cpp has the rest): everything that reads or
// changes the fleet needs the token (Bearer, or Basic as a browser sends it),
// the device protocol and /healthz do not; and the base64 it decodes.
#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "cli_run.h"
#include "http_auth.h"
#include "raw_http.h"
#include "sample_json.h"
#include "serve_fixture.h"
#include "server_process.h"

namespace tinyad {
namespace {

TEST(Base64, DecodesWhatBrowsersSend) {
  EXPECT_EQ(base64_decode("YWRtaW46czNjcmV0LXRva2Vu"), "admin:s3cret-token");
  EXPECT_EQ(base64_decode("YQ=="), "a");
  EXPECT_EQ(base64_decode("YWI"), "ab");
  EXPECT_EQ(base64_decode("Y*=="), std::nullopt);
}

TEST(AdminToken, BearerAndBasicAreAcceptedAnythingElseIsNot) {
  auto req = [](const std::string& auth) {
    HttpRequest r;
    r.headers = {{"authorization", auth}};
    return r;
  };
  const std::string token = "0123456789abcdef0123";
  EXPECT_TRUE(http_has_token(req("Bearer " + token), token));
  EXPECT_TRUE(http_has_token(req("bearer " + token), token));
  EXPECT_TRUE(http_has_token(req("Basic YW55OjAxMjM0NTY3ODlhYmNkZWYwMTIz"), token));  // any:<token>
  EXPECT_FALSE(http_has_token(req("Bearer " + token + "x"), token));
  EXPECT_FALSE(http_has_token(req("Bearer " + token.substr(1)), token));
  EXPECT_FALSE(http_has_token(req("Basic " + token), token));
  EXPECT_FALSE(http_has_token(HttpRequest{}, token));
}

class ServeAdminToken : public test::SimulatedModelTest<ServeAdminToken> {
 public:
  static constexpr test::SimulatedModelOptions kSimulated{"tinyad-admin-token-test", 12, 4, false};
};

TEST_F(ServeAdminToken, OnlyTheDeviceProtocolIsOpen) {
  const std::string token = "f00dfeedc0ffee1234567890";
  std::ofstream(path("token")) << token << "\n";
  std::ofstream(path("short")) << "abc\n";
  const test::CliRun weak = test::tinyad("serve --model " + path("model.json") +
                                         " -p 0 --host 127.0.0.1 --admin-token-file " + path("short"));
  EXPECT_EQ(weak.status, 1);
  EXPECT_NE(weak.err.find("at least 16 characters"), std::string::npos) << weak.err;

  test::ServerProcess p("serve");
  ASSERT_TRUE(p.start({"--model", path("model.json"), "-p", "0", "--host", "127.0.0.1", "--learn", "128",
                       "--admin-token-file", path("token")}))
      << p.output();
  using test::get_request;
  using test::send_request;
  using test::status_of;
  // Devices: no credentials needed.
  EXPECT_EQ(status_of(send_request(p.port(), get_request("/"))), 200);
  EXPECT_EQ(status_of(send_request(p.port(), get_request("/healthz"))), 200);
  const std::string body = sample_json_format(rows_of(window(test::kNormal, 0)));
  EXPECT_EQ(status_of(send_request(p.port(), test::post_request(body, "X-Device-Id: fan-1\r\n"))), 200);
  // Everything else: 401 with a login prompt, unless the token comes along.
  for (const std::string target : {"/metrics", "/devices", "/dashboard", "/events"}) {
    const std::string reply = send_request(p.port(), get_request(target));
    EXPECT_EQ(status_of(reply), 401) << target;
    EXPECT_NE(reply.find("WWW-Authenticate: Basic realm=\"tinyad\""), std::string::npos) << reply;
    EXPECT_EQ(status_of(send_request(p.port(), get_request(target, "Authorization: Bearer wrong-token-123456\r\n"))),
              401)
        << target;
  }
  EXPECT_EQ(status_of(send_request(p.port(), get_request("/metrics", "Authorization: Bearer " + token + "\r\n"))),
            200);
  // Basic, as a browser sends it after the prompt: "admin:<token>".
  EXPECT_EQ(status_of(send_request(p.port(), get_request("/dashboard",
                                                         "Authorization: Basic YWRtaW46ZjAwZGZlZWRjMGZmZWUxMjM0NTY3ODkw\r\n"))),
            200);
  const std::string reset = "DELETE /devices/fan-1/baseline HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";
  EXPECT_EQ(status_of(send_request(p.port(), reset)), 401);
  const std::string reset_ok = "DELETE /devices/fan-1/baseline HTTP/1.1\r\nHost: t\r\nConnection: close\r\n"
                               "Authorization: Bearer " + token + "\r\n\r\n";
  EXPECT_EQ(status_of(send_request(p.port(), reset_ok)), 200);
  p.stop(SIGTERM);
}

}  // namespace
}  // namespace tinyad
