// dashboard_test.cpp: the live dashboard's state and event stream (no
// sockets: Dashboard driven with event-log lines turned into the monitor's
// typed events, as a replay of an event log would), then `tinyad serve` end to end:
// /dashboard served, /events giving a snapshot and then each verdict as it is
// scored, and SIGTERM while a window is half sent: the window is still scored
// and answered in full, the stream is ended, and the process exits 0.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <future>
#include <nlohmann/json.hpp>
#include <thread>

#include "dashboard.h"
#include "raw_http.h"
#include "report_html.h"
#include "serve_fixture.h"
#include "server_process.h"

namespace tinyad {
namespace {

using namespace std::chrono_literals;
using test::request;

std::string verdict_line(const std::string& device, double time, double score, bool anomaly) {
  return nlohmann::ordered_json{{"time", time},   {"event", "verdict"},   {"device", device},
                                {"score", score}, {"threshold", 2.5}, {"anomaly", anomaly}}
      .dump();
}

std::string alarm_line(const std::string& device, bool raised) {
  return nlohmann::ordered_json{{"time", 1.0},
                                {"event", raised ? "alarm_raised" : "alarm_cleared"},
                                {"device", device},
                                {"anomalous", 3},
                                {"of", 5}}
      .dump();
}

// An event-log line as the typed event the monitor made it from; lines that
// are no event (not JSON, another "event", no device) are not fed at all.
// Fields of the wrong type read as missing, as event readers default them.
void feed(Dashboard& d, const std::string& line) {
  const nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
  if (!j.is_object() || !j.contains("device") || !j["device"].is_string() || !j.contains("event")) return;
  FleetEvent e;
  const std::string kind = j["event"].is_string() ? j["event"].get<std::string>() : "";
  if (kind == "verdict") e.kind = FleetEventKind::kVerdict;
  else if (kind == "alarm_raised") e.kind = FleetEventKind::kAlarmRaised;
  else if (kind == "alarm_cleared") e.kind = FleetEventKind::kAlarmCleared;
  else return;
  e.device = j["device"].get<std::string>();
  e.time = j.contains("time") && j["time"].is_number() ? j["time"].get<double>() : 0;
  e.has_score = j.contains("score") && j["score"].is_number();
  e.score = e.has_score ? j["score"].get<double>() : 0;
  e.has_threshold = j.contains("threshold") && j["threshold"].is_number();
  e.threshold = e.has_threshold ? j["threshold"].get<double>() : 0;
  e.anomaly = j.contains("anomaly") && j["anomaly"].is_boolean() && j["anomaly"].get<bool>();
  e.baseline = j.contains("baseline") && j["baseline"].is_string() ? j["baseline"].get<std::string>() : "";
  e.json = line;
  d.on_event(e);
}

// What the stream will send: its shared first part (a snapshot), then the rest.
std::string pending_of(const HttpStream& s) {
  std::lock_guard<std::mutex> lock(const_cast<HttpStream&>(s).mutex);
  return (s.first ? *s.first : std::string()) + s.pending;
}

TEST(Dashboard, PageIsOneSelfContainedFile) {
  Dashboard d(DashboardInfo{"m.json", "mahalanobis", 2.5, "3/5"});
  const std::string& page = d.page();
  EXPECT_EQ(page.find("<!--TINYAD_"), std::string::npos) << "every placeholder filled";
  EXPECT_NE(page.find("<title>tinyad live</title>"), std::string::npos);
  EXPECT_NE(page.find(std::string(report_asset_plotly_js().substr(0, 200))), std::string::npos) << "plotly.js inlined";
  EXPECT_NE(page.find(std::string(dashboard_asset_script())), std::string::npos) << "dashboard.js inlined";
  EXPECT_NE(page.find("new EventSource(\"/events\")"), std::string::npos);
  EXPECT_EQ(page.find("<script src="), std::string::npos);
  EXPECT_EQ(page.find("<link"), page.find("<link rel=\"icon\" href=\"data:,\">")) << "only the empty icon";
  EXPECT_EQ(page.find("<link", page.find("<link") + 1), std::string::npos);
  std::optional<HttpResponse> r = d.handle(request("GET", "/dashboard"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->content_type, "text/html; charset=utf-8");
  EXPECT_EQ(r->body_text(), page);
  // Shared, not copied per client: 300 browsers must not hold 300 copies.
  const std::optional<HttpResponse> again = d.handle(request("GET", "/dashboard"));
  ASSERT_TRUE(again && r->shared_body);
  EXPECT_EQ(again->shared_body.get(), r->shared_body.get());
  r = d.handle(request("POST", "/dashboard"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 405);
  EXPECT_FALSE(d.handle(request("GET", "/")));
  EXPECT_FALSE(d.handle(request("GET", "/metrics")));
}

TEST(Dashboard, KeepsTheLastScoresAndTheAlarmStatePerDevice) {
  DashboardOptions o;
  o.history = 120;
  o.max_devices = 2;
  Dashboard d(DashboardInfo{"m.json", "mahalanobis", 2.5, "3/5"}, o);
  for (int i = 0; i < 130; ++i) feed(d, verdict_line("fan-a", 1000 + i, i, i % 10 == 0));
  feed(d, verdict_line("fan-b", 2000, 9, true));
  feed(d, alarm_line("fan-b", true));
  feed(d, verdict_line("fan-c", 3000, 1, false));  // past max_devices: counted only
  feed(d, "not json");
  feed(d, "{\"event\":\"something_else\",\"device\":\"fan-a\"}");
  const nlohmann::json s = d.snapshot();
  EXPECT_EQ(s["model"], "m.json");
  EXPECT_EQ(s["alarm"], "3/5");
  EXPECT_EQ(s["untracked_events"], 1);
  ASSERT_EQ(s["devices"].size(), 2u);
  const nlohmann::json& a = s["devices"][0];
  EXPECT_EQ(a["device"], "fan-a");
  EXPECT_EQ(a["windows"], 130);
  EXPECT_EQ(a["anomalies"], 13);
  EXPECT_FALSE(a["alarm"].get<bool>());
  ASSERT_EQ(a["points"].size(), 120u) << "the ring keeps the last 120";
  EXPECT_EQ(a["points"][0], nlohmann::json::array({1010.0, 10.0, 1}));
  EXPECT_EQ(a["points"][119], nlohmann::json::array({1129.0, 129.0, 0}));
  const nlohmann::json& b = s["devices"][1];
  EXPECT_TRUE(b["alarm"].get<bool>());
  EXPECT_EQ(b["threshold"], 2.5);
  feed(d, alarm_line("fan-b", false));
  EXPECT_FALSE(d.snapshot()["devices"][1]["alarm"].get<bool>());
}

TEST(Dashboard, VerdictsWithoutAScoreAreGapsNotErrors) {
  // A device learning its own baseline: "score" and "threshold" are null.
  Dashboard d(DashboardInfo{"m.json", "mahalanobis", 2.5, "3/5"});
  feed(d, "{\"time\":5,\"event\":\"verdict\",\"device\":\"new\",\"score\":null,\"threshold\":null,"
             "\"anomaly\":false,\"baseline\":\"learning\"}");
  feed(d, "{\"time\":\"x\",\"event\":\"verdict\",\"device\":\"new\",\"score\":\"1\",\"anomaly\":3}");
  const nlohmann::json dev = d.snapshot()["devices"][0];
  EXPECT_EQ(dev["windows"], 2);
  EXPECT_EQ(dev["phase"], "");
  EXPECT_EQ(dev["threshold"], 2.5) << "the model's until the device has its own";
  EXPECT_TRUE(dev["points"][0][1].is_null()) << dev;
  EXPECT_EQ(dev["points"][0][0], 5.0);
  EXPECT_TRUE(dev["points"][1][1].is_null()) << dev;
}

TEST(Dashboard, EventsStartWithTheSnapshotThenEveryEventInOrder) {
  Dashboard d(DashboardInfo{"m.json", "mahalanobis", 2.5, "2/3"});
  feed(d, verdict_line("fan-a", 1, 1.5, false));
  std::optional<HttpResponse> r = d.handle(request("GET", "/events"));
  ASSERT_TRUE(r && r->stream);
  EXPECT_EQ(d.subscribers(), 1u);
  const std::string first = pending_of(*r->stream);
  const std::string head = "retry: 2000\n\nevent: snapshot\ndata: ";
  ASSERT_EQ(first.rfind(head, 0), 0u) << first;
  ASSERT_TRUE(first.ends_with("\n\n"));
  const nlohmann::json snap = nlohmann::json::parse(first.substr(head.size(), first.size() - head.size() - 2));
  ASSERT_EQ(snap["devices"].size(), 1u);
  EXPECT_EQ(snap["devices"][0]["points"][0][1], 1.5);

  const std::string v = verdict_line("fan-a", 2, 7.5, true), al = alarm_line("fan-a", true);
  feed(d, v);
  feed(d, al);
  EXPECT_EQ(pending_of(*r->stream), first + "event: verdict\ndata: " + v + "\n\n" + "event: alarm_raised\ndata: " + al +
                                        "\n\n");
  feed(d, verdict_line("x", 3, 1, false).substr(1));  // broken line: not forwarded
  EXPECT_EQ(pending_of(*r->stream).size(), first.size() + v.size() + al.size() + 23 + 28);
}

// Subscribers of the same moment share one snapshot (built outside the lock
// verdicts need), and one who comes later gets the events since it as well:
// nothing missed, nothing twice. A forgotten device leaves the page.
TEST(Dashboard, SnapshotIsSharedAndFollowedByTheEventsSinceIt) {
  DashboardOptions o;
  o.snapshot_max_age_ms = 60000;  // no rebuild by age within the test
  Dashboard d(DashboardInfo{"m.json", "mahalanobis", 2.5, "2/3"}, o);
  feed(d, verdict_line("fan-a", 1, 1.5, false));
  const std::optional<HttpResponse> a = d.handle(request("GET", "/events"));
  const std::string v = verdict_line("fan-b", 2, 7.5, true);
  feed(d, v);
  const std::optional<HttpResponse> b = d.handle(request("GET", "/events"));
  ASSERT_TRUE(a && a->stream && b && b->stream);
  EXPECT_EQ(d.snapshots_built(), 1u);
  EXPECT_EQ(a->stream->first.get(), b->stream->first.get());
  EXPECT_EQ(pending_of(*b->stream), pending_of(*a->stream)) << "b: the snapshot, then fan-b's verdict";
  EXPECT_NE(pending_of(*b->stream).find("event: verdict\ndata: " + v + "\n\n"), std::string::npos);
  d.forget("fan-b");
  EXPECT_NE(pending_of(*a->stream).find("event: forgotten\ndata: {\"device\":\"fan-b\"}\n\n"), std::string::npos);
  EXPECT_EQ(d.snapshot()["devices"].size(), 1u);
  // Past max_since bytes of events the shared snapshot is too far behind: rebuilt.
  DashboardOptions small = o;
  small.max_since = 10;
  Dashboard e(DashboardInfo{"m.json", "mahalanobis", 2.5, "2/3"}, small);
  ASSERT_TRUE(e.handle(request("GET", "/events")));
  feed(e, v);
  const std::optional<HttpResponse> c = e.handle(request("GET", "/events"));
  EXPECT_EQ(e.snapshots_built(), 2u);
  ASSERT_TRUE(c && c->stream);
  EXPECT_EQ(nlohmann::json::parse(pending_of(*c->stream).substr(std::string("retry: 2000\n\nevent: snapshot\ndata: ").size()))["devices"].size(), 1u);
}

// ------------------------------------------------------------ end to end

using test::connect_loopback;
using test::kFault;
using test::kNormal;
using test::read_to_close;
using test::read_until;

constexpr int kWaitMs = 5000;  // for each read below

class DashboardServe : public test::SimulatedModelTest<DashboardServe> {
 public:
  static constexpr test::SimulatedModelOptions kSimulated{"tinyad-dashboard-test", 12, 5};

 protected:
  // A device's POST / of one window file, with its id in the header.
  static std::string post(const std::string& device, const std::string& file) {
    return test::post_request(body(file), "X-Device-Id: " + device + "\r\n");
  }
};

TEST_F(DashboardServe, PageAndLiveEventsThenADrainThatAnswersTheHalfSentWindow) {
  test::ServerProcess p("serve");
  ASSERT_TRUE(p.start({"--model", path("model.json"), "-p", "0", "--host", "127.0.0.1", "--threads", "2", "--alarm",
                       "2/3", "--drain", "5"}));

  std::string page;
  ASSERT_TRUE(test::send_to_close(p.port(), test::get_request("/dashboard"), &page, kWaitMs));
  EXPECT_EQ(page.rfind("HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n", 0), 0u) << page.substr(0, 200);
  EXPECT_NE(page.find("<title>tinyad live</title>"), std::string::npos);
  EXPECT_GT(page.size(), report_asset_plotly_js().size());

  const int events = connect_loopback(p.port());
  const std::string get_events = test::event_stream_request();
  ::send(events, get_events.data(), get_events.size(), MSG_NOSIGNAL);
  std::string stream;
  ASSERT_TRUE(read_until(events, &stream, "event: snapshot\ndata: {", kWaitMs)) << stream;
  ASSERT_TRUE(read_until(events, &stream, "}\n\n", kWaitMs)) << stream;
  EXPECT_NE(stream.find("\"devices\":[]"), std::string::npos) << stream;

  // Two faulty windows from fan-x: two verdicts, then the alarm (2 of 3).
  for (int i = 0; i < 2; ++i) {
    std::string reply;
    ASSERT_TRUE(test::send_to_close(p.port(), post("fan-x", window(kFault, i)), &reply, kWaitMs));
    const nlohmann::json v = nlohmann::json::parse(test::body_of(reply));
    ASSERT_TRUE(read_until(events, &stream, "\"anomaly\":true}\n\n", kWaitMs)) << stream;
    const size_t at = stream.rfind("event: verdict\ndata: ");
    ASSERT_NE(at, std::string::npos) << stream;
    const size_t from = at + 21;
    const nlohmann::json e = nlohmann::json::parse(stream.substr(from, stream.find('\n', from) - from));
    EXPECT_EQ(e["device"], "fan-x");
    EXPECT_EQ(e["score"].get<double>(), v["score"].get<double>()) << "the stream carries the verdict's score";
    stream.erase(0, stream.find("\n\n", from) + 2);
  }
  ASSERT_TRUE(read_until(events, &stream, "event: alarm_raised\ndata: ", kWaitMs)) << stream;

  // A window half sent when SIGTERM arrives is still scored and answered.
  const int fd = connect_loopback(p.port());
  const std::string req = post("fan-y", window(kNormal, 0));
  const size_t half = req.size() - 500;
  ::send(fd, req.data(), half, MSG_NOSIGNAL);
  std::this_thread::sleep_for(100ms);  // the server has read the head
  auto stopped = std::async(std::launch::async, [&] { return p.stop(SIGTERM); });
  std::this_thread::sleep_for(300ms);
  ::send(fd, req.data() + half, req.size() - half, MSG_NOSIGNAL);
  std::string reply;
  ASSERT_TRUE(read_to_close(fd, &reply, kWaitMs));
  ::close(fd);
  ASSERT_EQ(reply.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << reply;
  const nlohmann::json v = nlohmann::json::parse(test::body_of(reply));  // the whole body: parses
  EXPECT_EQ(v["device"], "fan-y");
  EXPECT_FALSE(v["anomaly"].get<bool>());
  EXPECT_TRUE(read_to_close(events, &stream, kWaitMs)) << "the drain ends the event stream";
  ::close(events);
  const std::string out = stopped.get();
  ASSERT_TRUE(WIFEXITED(p.status())) << out;
  EXPECT_EQ(WEXITSTATUS(p.status()), 0) << out;
  EXPECT_NE(out.find("stopped: 3 windows scored"), std::string::npos) << out;
  EXPECT_EQ(out.find("stopped before every request"), std::string::npos) << out;
}

}  // namespace
}  // namespace tinyad
