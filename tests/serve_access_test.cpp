// serve_access_test.cpp: issue 12 parts 1 and 3 against a real `tinyad
// serve`: who may do what (--token-file, --device-token-file, --open-metrics,
// 401/403 counted in /metrics, tokens re-read on SIGHUP, never printed), the
// collect sketch sending its device token, and the address actually bound
// (IPv4 loopback, IPv6 loopback, dual-stack `--host ::`).
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <string>
#include <thread>

#include "raw_http.h"
#include "serve_fixture.h"
#include "server_process.h"

namespace tinyad {
namespace {

using test::get_request;
using test::post_request;
using test::send_request;
using test::status_of;

class ServeAccess : public test::SimulatedModelTest<ServeAccess> {
 public:
  static constexpr test::SimulatedModelOptions kSimulated{"tinyad-access-test", 12, 5, false};

 protected:
  std::string body() { return sample_json_format(rows_of(window(test::kNormal, 0))); }
  // Waits up to 5 s for `what` in the server's output.
  static bool printed(test::ServerProcess& p, const std::string& what) {
    for (int i = 0; i < 500; ++i) {
      if (p.output().find(what) != std::string::npos) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }
};

const std::string kOperator = "operator-token-0123456789";
const std::string kDevice = "device-token-abcdef012345";

TEST_F(ServeAccess, OperatorAndDeviceTokensRefusalsCountedReReadOnSighup) {
  std::ofstream(path("op")) << kOperator << "\n";
  std::ofstream(path("dev")) << kDevice << "\n";
  test::ServerProcess p("serve");
  ASSERT_TRUE(p.start({"--model", path("model.json"), "-p", "0", "--host", "127.0.0.1", "--token-file", path("op"),
                       "--device-token-file", path("dev")}))
      << p.output();
  const std::string bearer = "Authorization: Bearer " + kOperator + "\r\n";
  // The ready flag and health stay open: a board asks before it has anything to send.
  EXPECT_EQ(status_of(send_request(p.port(), get_request("/"))), 200);
  EXPECT_EQ(status_of(send_request(p.port(), get_request("/healthz"))), 200);
  // Windows: 401 without the device token, 403 with a wrong one, 200 with it.
  const std::string none = send_request(p.port(), post_request(body(), "X-Device-Id: fan-1\r\n"));
  EXPECT_EQ(status_of(none), 401) << none;
  EXPECT_NE(test::body_of(none).find("X-Device-Token"), std::string::npos) << none;
  const std::string wrong =
      send_request(p.port(), post_request(body(), "X-Device-Id: fan-1\r\nX-Device-Token: device-token-abcdef012346\r\n"));
  EXPECT_EQ(status_of(wrong), 403) << wrong;
  EXPECT_EQ(status_of(send_request(p.port(), post_request(body(), "X-Device-Id: fan-1\r\nX-Device-Token: " + kDevice +
                                                                       "\r\n"))),
            200);
  // The operator token does not stand in for the device token, nor the other way round.
  EXPECT_EQ(status_of(send_request(p.port(), post_request(body(), bearer))), 401);
  EXPECT_EQ(status_of(send_request(p.port(), get_request("/metrics", "Authorization: Bearer " + kDevice + "\r\n"))),
            401);
  for (const std::string target : {"/metrics", "/devices", "/dashboard"}) {
    const std::string reply = send_request(p.port(), get_request(target));
    EXPECT_EQ(status_of(reply), 401) << target;
    EXPECT_NE(test::body_of(reply).find("operator token"), std::string::npos) << reply;
  }
  const std::string reset = "DELETE /devices/fan-1/baseline HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";
  EXPECT_EQ(status_of(send_request(p.port(), reset)), 401);
  // Refusals counted: 401s are the 2 window posts, 1 device-token-as-operator, 3 reads, 1 reset.
  const std::string metrics = send_request(p.port(), get_request("/metrics", bearer));
  ASSERT_EQ(status_of(metrics), 200) << metrics;
  EXPECT_EQ(test::metric(metrics, "tinyad_auth_refused_total{code=\"401\"}"), 7) << metrics;
  EXPECT_EQ(test::metric(metrics, "tinyad_auth_refused_total{code=\"403\"}"), 1) << metrics;
  EXPECT_EQ(test::metric(metrics, "tinyad_windows_scored_total"), 1);

  // SIGHUP: new tokens take over; the old ones stop working.
  const std::string op2 = "operator-token-second-98765";
  std::ofstream(path("op")) << op2 << "\n";
  p.signal(SIGHUP);
  ASSERT_TRUE(printed(p, "SIGHUP: token files re-read")) << p.output();
  EXPECT_EQ(status_of(send_request(p.port(), get_request("/devices", bearer))), 401);
  EXPECT_EQ(status_of(send_request(p.port(), get_request("/devices", "Authorization: Bearer " + op2 + "\r\n"))), 200);
  // A re-read that fails (too short) keeps the tokens in force and says why.
  std::ofstream(path("op")) << "short\n";
  p.signal(SIGHUP);
  ASSERT_TRUE(printed(p, "the tokens in force stay")) << p.output();
  EXPECT_EQ(status_of(send_request(p.port(), get_request("/devices", "Authorization: Bearer " + op2 + "\r\n"))), 200);
  const std::string out = p.stop(SIGTERM);
  EXPECT_EQ(WEXITSTATUS(p.status()), 0) << out;
  // Tokens are never logged, refusals are (one line each, with the reason).
  EXPECT_EQ(out.find(kOperator), std::string::npos) << out;
  EXPECT_EQ(out.find(op2), std::string::npos) << out;
  EXPECT_EQ(out.find(kDevice), std::string::npos) << out;
  EXPECT_NE(out.find("401 no operator token for GET /metrics"), std::string::npos) << out;
  EXPECT_NE(out.find("403 wrong device token"), std::string::npos) << out;
}

TEST_F(ServeAccess, OpenMetricsLeavesOnlyMetricsOpen) {
  std::ofstream(path("op")) << kOperator << "\n";
  test::ServerProcess p("serve");
  ASSERT_TRUE(p.start({"--model", path("model.json"), "-p", "0", "--host", "127.0.0.1", "--token-file", path("op"),
                       "--open-metrics"}))
      << p.output();
  EXPECT_EQ(status_of(send_request(p.port(), get_request("/metrics"))), 200);
  EXPECT_EQ(status_of(send_request(p.port(), get_request("/devices"))), 401);
  EXPECT_EQ(status_of(send_request(p.port(), get_request("/events"))), 401);
  // No device token configured: windows stay open (the original firmware sends none).
  EXPECT_EQ(status_of(send_request(p.port(), post_request(body(), "X-Device-Id: fan-2\r\n"))), 200);
  p.stop(SIGTERM);
}

// The collect sketch built with TINYAD_DEVICE_TOKEN posts to a serve that
// wants that token; the same sketch without one is refused.
TEST_F(ServeAccess, SketchSendsItsDeviceToken) {
  std::ofstream(path("sketch-token")) << "sketch-token-0123456789abcdef\n";
  test::ServerProcess p("serve");
  ASSERT_TRUE(p.start({"--model", path("model.json"), "-p", "0", "--host", "127.0.0.1", "--open-metrics",
                       "--device-token-file", path("sketch-token")}))
      << p.output();
  const std::string env = "TINYAD_STUB_SERVER_PORT=" + std::to_string(p.port()) + " TINYAD_STUB_WINDOWS=2 ";
  ASSERT_EQ(std::system((env + TINYAD_FIRMWARE_COLLECT_HOST_TOKEN " > /dev/null").c_str()), 0);
  std::string metrics = send_request(p.port(), get_request("/metrics"));
  EXPECT_EQ(test::metric(metrics, "tinyad_windows_scored_total"), 2) << p.output();
  EXPECT_EQ(test::metric(metrics, "tinyad_auth_refused_total{code=\"401\"}"), 0);
  const std::string one = "TINYAD_STUB_SERVER_PORT=" + std::to_string(p.port()) + " TINYAD_STUB_WINDOWS=1 ";
  std::system((one + TINYAD_FIRMWARE_COLLECT_HOST " > /dev/null").c_str());  // no token: refused
  metrics = send_request(p.port(), get_request("/metrics"));
  EXPECT_EQ(test::metric(metrics, "tinyad_windows_scored_total"), 2);
  EXPECT_GE(test::metric(metrics, "tinyad_auth_refused_total{code=\"401\"}"), 1);
  p.stop(SIGTERM);
}

// A TCP connection to `address` (IPv4 or IPv6 literal); -1 if refused.
int connect_to(const std::string& address, int port) {
  sockaddr_storage ss{};
  socklen_t len;
  if (address.find(':') != std::string::npos) {
    auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
    a->sin6_family = AF_INET6;
    a->sin6_port = htons(uint16_t(port));
    if (::inet_pton(AF_INET6, address.c_str(), &a->sin6_addr) != 1) return -1;
    len = sizeof *a;
  } else {
    auto* a = reinterpret_cast<sockaddr_in*>(&ss);
    a->sin_family = AF_INET;
    a->sin_port = htons(uint16_t(port));
    if (::inet_pton(AF_INET, address.c_str(), &a->sin_addr) != 1) return -1;
    len = sizeof *a;
  }
  const int fd = ::socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// GET /healthz over `address`; the status, or -1 when nothing listens there.
int healthz_over(const std::string& address, int port) {
  const int fd = connect_to(address, port);
  if (fd < 0) return -1;
  const std::string req = get_request("/healthz");
  if (::send(fd, req.data(), req.size(), MSG_NOSIGNAL) != ssize_t(req.size())) {
    ::close(fd);
    return -1;
  }
  std::string reply;
  test::read_to_close(fd, &reply);
  ::close(fd);
  return status_of(reply);
}

TEST_F(ServeAccess, PrintsTheAddressBoundAndServesIpv6) {
  struct Case {
    std::string host, bound;
    int v4, v6;  // /healthz status over 127.0.0.1 and ::1 (-1: refused)
  };
  for (const Case& c : {Case{"127.0.0.1", "bound to 127.0.0.1:%d (this machine only)", 200, -1},
                        Case{"::1", "bound to [::1]:%d (this machine only)", -1, 200},
                        Case{"::", "bound to [::]:%d (every interface, IPv6 and IPv4)", 200, 200},
                        Case{"0.0.0.0", "bound to 0.0.0.0:%d (every IPv4 interface)", 200, -1}}) {
    test::ServerProcess p("serve");
    ASSERT_TRUE(p.start({"--model", path("model.json"), "-p", "0", "--host", c.host})) << p.output();
    char want[96];
    std::snprintf(want, sizeof want, c.bound.c_str(), p.port());
    ASSERT_TRUE(printed(p, "live dashboard")) << p.output();
    EXPECT_NE(p.output().find(want), std::string::npos) << c.host << "\n" << p.output();
    if (c.host == "127.0.0.1") EXPECT_NE(p.output().find("http://127.0.0.1:" + std::to_string(p.port())), std::string::npos);
    if (c.host == "::1") EXPECT_NE(p.output().find("http://[::1]:" + std::to_string(p.port())), std::string::npos);
    EXPECT_EQ(healthz_over("127.0.0.1", p.port()), c.v4) << c.host;
    EXPECT_EQ(healthz_over("::1", p.port()), c.v6) << c.host;
    p.stop(SIGTERM);
  }
}

}  // namespace
}  // namespace tinyad
