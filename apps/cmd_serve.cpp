// cmd_serve.cpp: `tinyad serve --model MODEL -p PORT`, the inference service
// over HTTP: the device protocol on / (windows scored into JSON verdicts),
// /healthz, /metrics, alarm debouncing and a JSON-lines event log. Signals are
// taken synchronously (sigtimedwait) in the main thread, as in collect, so no
// work happens in a signal handler; on SIGTERM/SIGINT the server stops (a
// handler already running finishes) and the event log is flushed and closed.
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>
#include <mutex>
#include <thread>

#include "commands.h"
#include "http_server.h"
#include "server_flags.h"
#include "inference_service.h"

namespace tinyad::app {
namespace {

// One line at a time on a stream from any thread.
class LineOut {
 public:
  explicit LineOut(FILE* f, bool flush_each) : f_(f), flush_each_(flush_each) {}
  void line(const std::string& s) {
    std::lock_guard<std::mutex> lock(mutex_);
    std::fwrite(s.data(), 1, s.size(), f_);
    std::fputc('\n', f_);
    if (flush_each_) std::fflush(f_);
  }
  bool flush() {
    std::lock_guard<std::mutex> lock(mutex_);
    return std::fflush(f_) == 0 && !std::ferror(f_);
  }

 private:
  std::mutex mutex_;
  FILE* f_;
  bool flush_each_;
};

}  // namespace

RunFn attach_serve(CLI::App* cmd) {
  struct Args {
    std::string model, alarm = "3/5", events;
    ServerFlags server;
  };
  auto a = std::make_shared<Args>();
  cmd->add_option("--model", a->model, "Model file (tinyad .json)")->required();
  cmd->add_option("--alarm", a->alarm,
                  "k/n: raise a device's alarm when k of its last n windows are anomalous, clear it when k of "
                  "the last n are normal (default 3/5)");
  cmd->add_option("--events", a->events,
                  "Append every verdict and alarm raise/clear to this file as JSON lines (flushed on exit)");
  add_server_flags(cmd, &a->server);
  return [a] {
    sigset_t stop_signals = prepare_server_process();

    std::string err;
    InferenceOptions io;
    if (!alarm_rule_parse(a->alarm, &io.alarm, &err)) return fail(err);
    io.limits.max_readings = a->server.max_readings;
    Model model;
    if (!model_load(a->model, &model, &err)) return fail(err);
    std::unique_ptr<FILE, int (*)(FILE*)> events_file(nullptr, &std::fclose);
    std::unique_ptr<LineOut> events;
    if (!a->events.empty()) {
      events_file.reset(std::fopen(a->events.c_str(), "ae"));
      if (!events_file) return fail("cannot open the event log " + a->events + ": " + std::strerror(errno));
      events = std::make_unique<LineOut>(events_file.get(), false);
    }
    auto out = std::make_shared<LineOut>(stdout, true);
    InferenceService::EventSink sink;
    if (events) sink = [e = events.get()](const std::string& s) { e->line(s); };
    InferenceService service(std::move(model), io, sink, [out](const std::string& s) { out->line(s); });

    HttpServer server(
        server_options(a->server), [&service](const HttpRequest& r, const HttpPeer& p) { return service.handle(r, p); },
        [&service](const HttpPeer& p, int status, const std::string& reason) {
          service.on_rejected(p, status, reason);
        });
    if (!server.start(&err)) return fail("cannot listen on " + err);
    service.set_ready(true);
    out->line("listening on port " + std::to_string(server.port()));
    out->line("serving " + a->model + " (" + service.model().detector + ", threshold " +
              std::to_string(service.model().threshold.value) + ", alarm " + a->alarm + ") until interrupted");

    siginfo_t info;
    while (::sigwaitinfo(&stop_signals, &info) < 0) {
    }
    service.set_ready(false);
    server.stop();
    int status = 0;
    if (events) {
      const bool ok = events->flush();
      events.reset();
      if (std::fclose(events_file.release()) != 0 || !ok) status = fail("cannot write the event log " + a->events);
    }
    out->line("stopped: " + std::to_string(service.windows()) + " windows scored, " +
              std::to_string(service.anomalies()) + " anomalies, " + std::to_string(service.alarms_raised()) +
              " alarms raised, " + std::to_string(service.alarms_cleared()) + " cleared, " +
              std::to_string(service.bad_requests()) + " requests refused");
    return status;
  };
}

}  // namespace tinyad::app
