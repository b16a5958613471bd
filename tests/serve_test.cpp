// serve_test.cpp: `tinyad serve`. Unit tests of the alarm debouncer, the
// handler and the metrics text (no sockets), and an end-to-end run: a model
// trained here on a small simulated dataset, the real process on a free port,
// windows posted over plain sockets and checked against `tinyad score --json`
// on the same files, the firmware's flag bytes, /healthz, /metrics counters,
// refused requests counted, SIGTERM exiting 0 with the event log complete.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli_run.h"
#include "feature_table.h"
#include "window_features.h"
#include "inference_service.h"
#include "model.h"
#include "raw_http.h"
#include "sample_json.h"
#include "serve_fixture.h"
#include "server_process.h"

namespace tinyad {
namespace {

using test::kFault;
using test::kNormal;
using test::metric;
using test::request;
using test::tinyad;
using Change = AlarmDebouncer::Change;

TEST(AlarmRule, ParsesAndRefuses) {
  AlarmRule r;
  std::string err;
  ASSERT_TRUE(alarm_rule_parse("2/7", &r, &err)) << err;
  EXPECT_EQ(r.k, 2);
  EXPECT_EQ(r.n, 7);
  for (const char* bad : {"", "3", "0/5", "6/5", "3/65", "3/5x", "a/b", "-1/5"}) {
    EXPECT_FALSE(alarm_rule_parse(bad, &r, &err)) << bad;
    EXPECT_NE(err.find("expected k/n"), std::string::npos) << err;
  }
}

TEST(AlarmDebouncer, RaisesOnKOfNAnomalousAndClearsOnKOfNNormal) {
  AlarmDebouncer d(AlarmRule{3, 5});
  // The last five verdicts after each push, oldest first, in the comments.
  EXPECT_EQ(d.push(true), Change::kNone);   // A
  EXPECT_EQ(d.push(false), Change::kNone);  // A N
  EXPECT_EQ(d.push(true), Change::kNone);   // A N A
  EXPECT_FALSE(d.active());
  EXPECT_EQ(d.push(true), Change::kRaised);  // A N A A: 3 anomalous
  EXPECT_TRUE(d.active());
  EXPECT_EQ(d.anomalous(), 3);
  EXPECT_EQ(d.seen(), 4);
  EXPECT_EQ(d.push(true), Change::kNone);   // A N A A A
  EXPECT_EQ(d.push(false), Change::kNone);  // N A A A N: one normal window does not clear it
  EXPECT_EQ(d.push(false), Change::kNone);  // A A A N N
  EXPECT_TRUE(d.active());
  EXPECT_EQ(d.push(false), Change::kCleared);  // A A N N N: 3 normal
  EXPECT_FALSE(d.active());
  EXPECT_EQ(d.push(true), Change::kNone);    // A N N N A
  EXPECT_EQ(d.push(true), Change::kNone);    // N N N A A: only 2 anomalous in the last 5
  EXPECT_EQ(d.push(true), Change::kRaised);  // N N A A A
  EXPECT_EQ(d.anomalous(), 3);
  EXPECT_EQ(d.seen(), 5);
}

TEST(AlarmDebouncer, OneOfOneFollowsEveryVerdict) {
  AlarmDebouncer d(AlarmRule{1, 1});
  EXPECT_EQ(d.push(false), Change::kNone);
  EXPECT_EQ(d.push(true), Change::kRaised);
  EXPECT_EQ(d.push(true), Change::kNone);
  EXPECT_EQ(d.push(false), Change::kCleared);
}

// A small simulated dataset, a model and an autoencoder trained on it, once for the suite.
class Serve : public test::SimulatedModelTest<Serve> {
 public:
  static constexpr test::SimulatedModelOptions kSimulated{"tinyad-serve-test", 25, 11, true};
};

TEST_F(Serve, HandlerScoresCountsAndRefuses) {
  Model m;
  std::string err;
  ASSERT_TRUE(model_load(path("model.json"), &m, &err)) << err;
  std::vector<std::string> events;
  InferenceOptions io;
  io.alarm = AlarmRule{2, 3};
  InferenceService svc(m, io, [&](const FleetEvent& e) { events.push_back(e.json); });
  const HttpPeer peer{"10.0.0.7:40000"};
  // Not ready yet: flag 0, healthz 503, posts refused.
  EXPECT_EQ(svc.handle(request("GET", "/"), peer).body, "0");
  EXPECT_EQ(svc.handle(request("GET", "/healthz"), peer).status, 503);
  const std::string body = sample_json_format(rows_of(window(kFault, 0)));
  EXPECT_EQ(svc.handle(request("POST", "/", body), peer).status, 503);
  svc.set_ready(true);
  EXPECT_EQ(svc.handle(request("GET", "/"), peer).body, "1");
  EXPECT_EQ(svc.handle(request("GET", "/healthz"), peer).status, 200);

  const nlohmann::json ref = reference(window(kFault, 0));
  ASSERT_TRUE(ref["anomaly"].get<bool>()) << "the simulated fault must score as anomalous: " << ref;
  HttpResponse r = svc.handle(request("POST", "/", body), peer);  // no id anywhere: the peer's host
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.content_type, "application/json");
  nlohmann::json v = nlohmann::json::parse(r.body);
  EXPECT_EQ(v["device"], "10.0.0.7");
  EXPECT_EQ(r.body.rfind("{\"device\":\"10.0.0.7\",\"score\":", 0), 0u) << "fields in the contract's order: " << r.body;
  EXPECT_DOUBLE_EQ(v["score"].get<double>(), ref["score"].get<double>());
  EXPECT_EQ(v["threshold"].get<double>(), ref["threshold"].get<double>());
  EXPECT_TRUE(v["anomaly"].get<bool>());
  // Second anomalous window of that device: 2 of the last 3 -> raised.
  r = svc.handle(request("POST", "/", body), peer);
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(svc.alarms_raised(), 1u);
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(nlohmann::json::parse(events[2])["event"], "alarm_raised");
  EXPECT_EQ(nlohmann::json::parse(events[2])["device"], "10.0.0.7");

  // Refusals: each a 4xx with one line, each counted.
  EXPECT_EQ(svc.handle(request("POST", "/", "{\"x\":[1,2"), peer).status, 400);
  EXPECT_EQ(svc.handle(request("POST", "/", "{\"x\":[1],\"y\":[2],\"z\":[3]}"), peer).status, 422);
  EXPECT_EQ(svc.handle(request("POST", "/", body, {{"content-type", "text/html"}}), peer).status, 415);
  // None at all: what a web page's no-cors fetch of a Blob sends (issue 12).
  const HttpResponse untyped = svc.handle(request("POST", "/", body, {{"content-type", ""}}), peer);
  EXPECT_EQ(untyped.status, 415);
  EXPECT_EQ(untyped.body, "expected Content-Type: application/json, got none\n");
  EXPECT_EQ(svc.handle(request("GET", "/nope"), peer).status, 404);
  EXPECT_EQ(svc.handle(request("PUT", "/"), peer).status, 405);
  HttpResponse nan = svc.handle(request("POST", "/", "{\"x\":[NaN],\"y\":[0],\"z\":[1]}"), peer);
  EXPECT_EQ(nan.status, 400);
  EXPECT_EQ(std::count(nan.body.begin(), nan.body.end(), '\n'), 1) << nan.body;
  svc.on_rejected(peer, 408, "timed out");
  EXPECT_EQ(svc.bad_requests(), 1u + 8u);  // the 503 while not ready, seven above, one from the server

  const std::string text = svc.handle(request("GET", "/metrics"), peer).body;
  EXPECT_EQ(metric(text, "tinyad_windows_scored_total"), 2);
  EXPECT_EQ(metric(text, "tinyad_anomalies_total"), 2);
  EXPECT_EQ(metric(text, "tinyad_bad_requests_total"), 9);
  EXPECT_EQ(metric(text, "tinyad_alarms_raised_total"), 1);
  EXPECT_EQ(metric(text, "tinyad_alarms_cleared_total"), 0);
  EXPECT_DOUBLE_EQ(metric(text, "tinyad_device_last_score{device=\"10.0.0.7\"}"), ref["score"].get<double>());
  EXPECT_EQ(metric(text, "tinyad_device_alarm{device=\"10.0.0.7\"}"), 1);
  // Every request before this one is in the histogram, buckets cumulative.
  EXPECT_EQ(metric(text, "tinyad_request_duration_seconds_count"), 14);
  EXPECT_EQ(metric(text, "tinyad_request_duration_seconds_bucket{le=\"+Inf\"}"), 14);
  EXPECT_LE(metric(text, "tinyad_request_duration_seconds_bucket{le=\"0.0005\"}"),
            metric(text, "tinyad_request_duration_seconds_bucket{le=\"1\"}"));
}

TEST_F(Serve, DeviceLabelsAreEscaped) {
  Model m;
  std::string err;
  ASSERT_TRUE(model_load(path("model.json"), &m, &err)) << err;
  InferenceService svc(m, {});
  svc.set_ready(true);
  const std::string body = sample_json_format(rows_of(window(kNormal, 0)));
  ASSERT_EQ(svc.handle(request("POST", "/", body, {{"x-device-id", "a\"b\\c"}}), HttpPeer{"1.2.3.4:5"}).status, 200);
  const std::string text = svc.metrics_text();
  EXPECT_NE(text.find("# TYPE tinyad_device_last_score gauge"), std::string::npos) << text;
  EXPECT_NE(text.find("# TYPE tinyad_request_duration_seconds histogram"), std::string::npos) << text;
  EXPECT_NE(text.find("tinyad_device_last_score{device=\"a\\\"b\\\\c\"} "), std::string::npos) << text;
}

TEST_F(Serve, NewDevicesPastTheLimitAreRefused) {
  Model m;
  std::string err;
  ASSERT_TRUE(model_load(path("model.json"), &m, &err)) << err;
  InferenceOptions o;
  o.max_devices = 1;
  InferenceService svc(m, o);
  svc.set_ready(true);
  const std::string body = sample_json_format(rows_of(window(kNormal, 1)));
  const HttpPeer peer{"127.0.0.1:1"};
  EXPECT_EQ(svc.handle(request("POST", "/", body, {{"x-device-id", "a"}}), peer).status, 200);
  const HttpResponse r = svc.handle(request("POST", "/", body, {{"x-device-id", "b"}}), peer);
  EXPECT_EQ(r.status, 429);
  EXPECT_NE(r.body.find("too many devices"), std::string::npos) << r.body;
  EXPECT_EQ(svc.handle(request("POST", "/", body, {{"x-device-id", "a"}}), peer).status, 200);
  EXPECT_EQ(svc.windows(), 2u);
  EXPECT_EQ(svc.bad_requests(), 1u);
}

TEST_F(Serve, AutoencoderModelsAreServedToo) {
  Model m;
  std::string err;
  ASSERT_TRUE(model_load(path("ae.json"), &m, &err)) << err;
  ASSERT_STREQ(detector_name(m), "autoencoder");
  InferenceService svc(m, {});
  svc.set_ready(true);
  for (const std::string& file : {window(kNormal, 3), window(kFault, 3)}) {
    const nlohmann::json ref = reference(file, "ae.json");
    const HttpResponse r = svc.handle(request("POST", "/", sample_json_format(rows_of(file)), {{"x-device-id", "ae"}}),
                                      HttpPeer{"127.0.0.1:1"});
    ASSERT_EQ(r.status, 200) << r.body;
    const nlohmann::json v = nlohmann::json::parse(r.body);
    EXPECT_DOUBLE_EQ(v["score"].get<double>(), ref["score"].get<double>()) << file;
    EXPECT_EQ(v["threshold"].get<double>(), ref["threshold"].get<double>());
    EXPECT_EQ(v["anomaly"].get<bool>(), ref["anomaly"].get<bool>()) << file;
  }
}

using test::ServerProcess;

using test::body_of;
using test::send_request;
using test::status_of;
std::string post(const std::string& body, const std::string& extra_headers = "") {
  return test::post_request(body, extra_headers);
}
std::string get(const std::string& target) { return test::get_request(target); }

TEST_F(Serve, EndToEndOverHttp) {
  const std::string events = path("events.jsonl");
  ServerProcess p("serve");
  ASSERT_TRUE(p.start({"--model", path("model.json"), "-p", "0", "--host", "127.0.0.1", "--threads", "2",
                       "--alarm", "3/5", "--events", events}));

  // The firmware's GET: status line, exactly two header lines, blank line, "1".
  EXPECT_EQ(send_request(p.port(), get("/")), "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 1\r\n\r\n1");
  EXPECT_EQ(status_of(send_request(p.port(), get("/healthz"))), 200);

  // fan-a (header id): 5 normal windows; fan-b (body field): 5 faults then 3
  // normal (raised on the 3rd fault, cleared on the 3rd normal); one window
  // with no id at all (the peer's address).
  struct Post {
    std::string device, file;
    bool in_header;
  };
  std::vector<Post> posts;
  for (int i = 0; i < 5; ++i) posts.push_back({"fan-a", window(kNormal, i), true});
  for (int i = 0; i < 5; ++i) posts.push_back({"fan-b", window(kFault, i), false});
  for (int i = 5; i < 8; ++i) posts.push_back({"fan-b", window(kNormal, i), false});
  posts.push_back({"", window(kNormal, 8), false});
  std::map<std::string, double> last_score;
  int anomalies = 0;
  for (const Post& q : posts) {
    const nlohmann::json ref = reference(q.file);
    const bool fault = q.file.find(kFault) != std::string::npos;
    ASSERT_EQ(ref["anomaly"].get<bool>(), fault) << "the simulated data must separate: " << q.file << " " << ref;
    const std::vector<double> rows = rows_of(q.file);
    std::string body = sample_json_format(rows);
    if (!q.in_header && !q.device.empty()) body = "{\"device\":\"" + q.device + "\"," + body.substr(1);
    const std::string reply =
        send_request(p.port(), post(body, q.in_header ? "X-Device-Id: " + q.device + "\r\n" : ""));
    ASSERT_EQ(status_of(reply), 200) << reply;
    const nlohmann::json v = nlohmann::json::parse(body_of(reply));
    const std::string device = q.device.empty() ? "127.0.0.1" : q.device;
    EXPECT_EQ(v["device"], device);
    EXPECT_DOUBLE_EQ(v["score"].get<double>(), ref["score"].get<double>()) << q.file;
    EXPECT_EQ(v["threshold"].get<double>(), ref["threshold"].get<double>());
    EXPECT_EQ(v["anomaly"].get<bool>(), ref["anomaly"].get<bool>()) << q.file;
    std::vector<double> features;
    std::string err;
    Model m;
    ASSERT_TRUE(model_load(path("model.json"), &m, &err)) << err;
    ASSERT_TRUE(window_features(m.recipe.core, rows, q.file, &features, &err)) << err;
    ASSERT_EQ(v["features"].size(), features.size());
    for (size_t i = 0; i < features.size(); ++i) EXPECT_DOUBLE_EQ(v["features"][i].get<double>(), features[i]);
    last_score[device] = v["score"].get<double>();
    anomalies += fault;
  }

  // Refused, counted, and the service keeps answering.
  EXPECT_EQ(status_of(send_request(p.port(), post("{\"x\":[1,2,"))), 400);
  EXPECT_EQ(status_of(send_request(p.port(), get("/nope"))), 404);
  EXPECT_EQ(status_of(send_request(p.port(), "BROKEN\r\n\r\n")), 400);
  const std::string metrics = body_of(send_request(p.port(), get("/metrics")));
  EXPECT_EQ(metric(metrics, "tinyad_windows_scored_total"), double(posts.size()));
  EXPECT_EQ(metric(metrics, "tinyad_anomalies_total"), anomalies);
  EXPECT_EQ(metric(metrics, "tinyad_bad_requests_total"), 3);
  EXPECT_EQ(metric(metrics, "tinyad_alarms_raised_total"), 1);
  EXPECT_EQ(metric(metrics, "tinyad_alarms_cleared_total"), 1);
  for (const auto& [device, score] : last_score) {
    EXPECT_DOUBLE_EQ(metric(metrics, "tinyad_device_last_score{device=\"" + device + "\"}"), score) << device;
  }
  // GET /, /healthz, the posts, the bad post and /nope, each timed (the
  // server's own 400 for the broken request line never reaches the handler).
  EXPECT_EQ(metric(metrics, "tinyad_request_duration_seconds_count"), double(2 + posts.size() + 2));

  // Every event is in the file while the server runs (a kill -9 now loses none).
  {
    std::ifstream live(events);
    size_t n_live = 0;
    for (std::string line; std::getline(live, line);) n_live += !line.empty();
    EXPECT_EQ(n_live, posts.size() + 2);
  }
  const std::string out = p.stop(SIGTERM);
  ASSERT_TRUE(WIFEXITED(p.status())) << out;
  EXPECT_EQ(WEXITSTATUS(p.status()), 0) << out;
  EXPECT_NE(out.find("stopped: 14 windows scored"), std::string::npos) << out;

  // The event log: every verdict in order, the alarm lines right after the
  // verdict that caused them.
  std::ifstream in(events);
  std::vector<nlohmann::json> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(nlohmann::json::parse(line));
  ASSERT_EQ(lines.size(), posts.size() + 2);
  std::vector<std::string> kinds;
  for (const auto& e : lines) kinds.push_back(e["event"].get<std::string>() + ":" + e["device"].get<std::string>());
  std::vector<std::string> expected;
  for (int i = 0; i < 5; ++i) expected.push_back("verdict:fan-a");
  for (int i = 0; i < 8; ++i) {
    expected.push_back("verdict:fan-b");
    if (i == 2) expected.push_back("alarm_raised:fan-b");
    if (i == 7) expected.push_back("alarm_cleared:fan-b");
  }
  expected.push_back("verdict:127.0.0.1");
  EXPECT_EQ(kinds, expected);
  EXPECT_DOUBLE_EQ(lines[0]["score"].get<double>(), reference(posts[0].file)["score"].get<double>());
}

TEST_F(Serve, RefusesABadAlarmRuleAndAMissingModel) {
  test::CliRun r = tinyad("serve --model " + path("model.json") + " -p 0 --alarm 6/5");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("--alarm: expected k/n"), std::string::npos) << r.err;
  r = tinyad("serve --model " + path("missing.json") + " -p 0");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("missing.json"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace tinyad
