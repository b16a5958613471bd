// device_id_test.cpp: device ids from clients (src/data/device_id.h): cut at
// a character boundary, refused when not UTF-8 or with control characters,
// escaped for log lines; and serve refusing such an id instead of storing it.
#include <gtest/gtest.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "device_id.h"
#include "inference_service.h"
#include "raw_http.h"
#include "sample_json.h"
#include "serve_fixture.h"
#include "server_process.h"

using tinyad::device_id_cut;
using tinyad::device_id_printable;
using tinyad::device_id_valid;

TEST(DeviceId, CutNeverSplitsACharacter) {
  // 63 ASCII bytes then a 2-byte character: 64 would cut it in half.
  const std::string id = std::string(63, 'a') + "\xC3\xA9" + "b";
  EXPECT_EQ(device_id_cut(id), std::string(63, 'a'));
  // 62 + a 2-byte character fits exactly.
  const std::string fits = std::string(62, 'a') + "\xC3\xA9" + "b";
  EXPECT_EQ(device_id_cut(fits), std::string(62, 'a') + "\xC3\xA9");
  // 72 bytes of 3-byte characters (the case): 63 bytes, 21 characters.
  std::string euro;
  for (int i = 0; i < 24; ++i) euro += "\xE2\x82\xAC";
  const std::string cut = device_id_cut(euro);
  EXPECT_EQ(cut.size(), 63u);
  std::string why;
  EXPECT_TRUE(device_id_valid(cut, &why)) << why;
  EXPECT_EQ(device_id_cut("fan-1"), "fan-1");
}

TEST(DeviceId, RefusesWhatIsNotUtf8OrHasControls) {
  std::string why;
  EXPECT_TRUE(device_id_valid("fan-1", &why));
  EXPECT_TRUE(device_id_valid("caf\xC3\xA9 \xF0\x9F\x8C\x80", &why)) << why;  // é, a 4-byte emoji
  EXPECT_FALSE(device_id_valid("caf\xE9", &why));                            // Latin-1 é
  EXPECT_EQ(why, "is not valid UTF-8 at byte 3");
  EXPECT_FALSE(device_id_valid("\xC0\xAF", &why));          // overlong '/'
  EXPECT_FALSE(device_id_valid("\xED\xA0\x80", &why));      // a UTF-16 surrogate
  EXPECT_FALSE(device_id_valid("\xF4\x90\x80\x80", &why));  // past U+10FFFF
  EXPECT_FALSE(device_id_valid("a\nstored 9999.csv", &why));
  EXPECT_EQ(why, "has a control character at byte 1");
  EXPECT_FALSE(device_id_valid("a\x7F", &why));
  EXPECT_FALSE(device_id_valid("a\xC2\x85", &why));  // U+0085, a C1 control (NEL)
}

TEST(DeviceId, PrintableKeepsTextOnOneLine) {
  EXPECT_EQ(device_id_printable("caf\xE9"), "caf\\xE9");
  EXPECT_EQ(device_id_printable("a\nb"), "a\\x0Ab");
  EXPECT_EQ(device_id_printable("caf\xC3\xA9"), "caf\xC3\xA9");
  // The result is always valid, whatever went in.
  std::string why;
  EXPECT_TRUE(device_id_valid(device_id_printable("\xFF\xFE\x01 ok \xC3"), &why)) << why;
}

// Through serve's handler: a non-UTF-8 or control-character id is refused
// (400, one line, nothing tracked), a long UTF-8 id is cut whole, and a web
// page of another site cannot post or reset.

namespace tinyad {
namespace {

class ServeDeviceIds : public test::SimulatedModelTest<ServeDeviceIds> {
 public:
  static constexpr test::SimulatedModelOptions kSimulated{"tinyad-device-id-test", 12, 3, false};
};

TEST_F(ServeDeviceIds, RefusedCutAndCrossSite) {
  Model m;
  std::string err;
  ASSERT_TRUE(model_load(path("model.json"), &m, &err)) << err;
  std::vector<std::string> log;
  InferenceService svc(m, {}, nullptr, [&](const std::string& l) { log.push_back(l); });
  svc.set_ready(true);
  const HttpPeer peer{"10.0.0.9:4000"};
  const std::string body = sample_json_format(rows_of(window(test::kNormal, 0)));

  HttpResponse r = svc.handle(test::request("POST", "/", body, {{"x-device-id", "caf\xE9"}}), peer);
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(r.body, "the device id is not valid UTF-8 at byte 3\n");
  r = svc.handle(test::request("POST", "/", body, {{"x-device-id", "fan\nrefused forged: 200 ok"}}), peer);
  EXPECT_EQ(r.status, 400) << r.body;
  ASSERT_EQ(log.size(), 2u);
  for (const std::string& l : log) EXPECT_EQ(l.find('\n'), std::string::npos) << l;
  EXPECT_NE(log[0].find("caf\\xE9"), std::string::npos) << log[0];

  std::string euro;
  for (int i = 0; i < 24; ++i) euro += "\xE2\x82\xAC";  // 72 bytes
  const std::string with_device = "{\"device\":\"" + euro + "\"," + body.substr(1);
  r = svc.handle(test::request("POST", "/", with_device), peer);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(nlohmann::json::parse(r.body)["device"].get<std::string>().size(), 63u);
  // The metrics text stays valid UTF-8 (Prometheus refuses a target otherwise).
  std::istringstream metrics(svc.metrics_text());
  for (std::string line; std::getline(metrics, line);) {
    std::string why;
    EXPECT_TRUE(device_id_valid(line, &why)) << why << ": " << line;
  }

  // A page on another site: Origin names another host, or Sec-Fetch-Site says so.
  const std::vector<std::pair<std::string, std::string>> cross = {{"host", "10.0.0.1:8080"},
                                                                  {"origin", "http://evil.example"}};
  EXPECT_EQ(svc.handle(test::request("POST", "/", body, cross), peer).status, 403);
  EXPECT_EQ(svc.handle(test::request("POST", "/", body, {{"sec-fetch-site", "cross-site"}}), peer).status, 403);
  EXPECT_EQ(svc.handle(test::request("DELETE", "/devices/x/baseline", "", cross), peer).status, 403);
  // The same origin (the dashboard's own page) and devices (no Origin) may.
  EXPECT_EQ(svc.handle(test::request("POST", "/", body, {{"host", "h:1"}, {"origin", "http://h:1"}}), peer).status,
            200);
  EXPECT_EQ(svc.handle(test::request("GET", "/metrics", "", cross), peer).status, 200);
}

}  // namespace
}  // namespace tinyad

namespace tinyad {
namespace {

// Ids come from clients: `serve --max-devices` bounds the one device table
// (default 10000); a known device keeps being served when it is full.
TEST_F(ServeDeviceIds, MaxDevicesBoundsTheTable) {
  test::ServerProcess p("serve");
  ASSERT_TRUE(p.start({"--model", path("model.json"), "-p", "0", "--host", "127.0.0.1", "--max-devices", "2"}))
      << p.output();
  const std::string body = sample_json_format(rows_of(window(test::kNormal, 0)));
  auto post_as = [&](const std::string& id) {
    return test::status_of(test::send_request(p.port(), test::post_request(body, "X-Device-Id: " + id + "\r\n")));
  };
  EXPECT_EQ(post_as("fan-1"), 200);
  EXPECT_EQ(post_as("fan-2"), 200);
  EXPECT_EQ(post_as("fan-3"), 429);
  EXPECT_EQ(post_as("fan-1"), 200);
  auto raw = [&](const std::string& method, const std::string& target, const std::string& extra = "") {
    return test::send_request(p.port(), method + " " + target + " HTTP/1.1\r\nHost: t\r\n" + extra +
                                            "Connection: close\r\n\r\n");
  };
  std::string metrics = raw("GET", "/metrics");
  EXPECT_NE(metrics.find("\ntinyad_devices_refused_total 1\n"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("\ntinyad_devices 2\n"), std::string::npos) << metrics;
  // DELETE /devices/<id> frees the slot: the new device gets in. Guarded like
  // the other device changes (a page of another site is refused).
  EXPECT_EQ(test::status_of(raw("DELETE", "/devices/fan-2", "Origin: http://evil.example\r\n")), 403);
  EXPECT_EQ(test::status_of(raw("DELETE", "/devices/fan-2")), 200);
  EXPECT_EQ(test::status_of(raw("DELETE", "/devices/fan-2")), 404);
  EXPECT_EQ(post_as("fan-3"), 200);
  metrics = raw("GET", "/metrics");
  EXPECT_NE(metrics.find("\ntinyad_devices_forgotten_total 1\n"), std::string::npos) << metrics;
  EXPECT_EQ(metrics.find("device=\"fan-2\""), std::string::npos) << metrics;
  p.stop(SIGTERM);
}

// --forget-after: a device that sends nothing is forgotten (its slot freed).
TEST_F(ServeDeviceIds, IdleDevicesAreForgotten) {
  test::ServerProcess p("serve");
  ASSERT_TRUE(p.start({"--model", path("model.json"), "-p", "0", "--host", "127.0.0.1", "--max-devices", "1",
                       "--forget-after", "1"}))
      << p.output();
  const std::string body = sample_json_format(rows_of(window(test::kNormal, 0)));
  auto post_as = [&](const std::string& id) {
    return test::status_of(test::send_request(p.port(), test::post_request(body, "X-Device-Id: " + id + "\r\n")));
  };
  EXPECT_EQ(post_as("fan-1"), 200);
  EXPECT_EQ(post_as("fan-2"), 429);
  int status = 429;
  for (int i = 0; i < 40 && status == 429; ++i) {  // forgotten within 1 s idle + the 1 s sweep
    ::usleep(100000);
    status = post_as("fan-2");
  }
  EXPECT_EQ(status, 200);
  p.stop(SIGTERM);
  EXPECT_NE(p.output().find("devices forgotten: no window for 1 s"), std::string::npos) << p.output();
}

}  // namespace
}  // namespace tinyad
