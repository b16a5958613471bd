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

void raise_fd_limit() {
  rlimit rl{};
  if (::getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &rl);
  }
}

}  // namespace

RunFn attach_serve(CLI::App* cmd) {
  struct Args {
    std::string model, host = "0.0.0.0", alarm = "3/5", events;
    int port = 1337, threads = 0;
    double timeout = 5;
    size_t max_readings = 10000, max_body = 1 << 20;
  };
  auto a = std::make_shared<Args>();
  cmd->add_option("--model", a->model, "Model file (tinyad .json)")->required();
  cmd->add_option("-p,--port", a->port, "TCP port (default 1337, as the firmware; 0 = any free port)")
      ->check(CLI::Range(0, 65535));
  cmd->add_option("--host", a->host, "Address to listen on (default 0.0.0.0: every interface)");
  cmd->add_option("--alarm", a->alarm,
                  "k/n: raise a device's alarm when k of its last n windows are anomalous, clear it when k of "
                  "the last n are normal (default 3/5)");
  cmd->add_option("--events", a->events,
                  "Append every verdict and alarm raise/clear to this file as JSON lines (flushed on exit)");
  cmd->add_option("--max-readings", a->max_readings, "Most readings per axis in one window (default 10000)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--max-body", a->max_body, "Largest request body in bytes, 413 past it (default 1 MiB)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--timeout", a->timeout, "Seconds a client has to send its whole request (408 after; default 5)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--threads", a->threads, "Server threads (default: number of cores)")->check(CLI::Range(0, 256));
  return [a] {
    // Block the stop signals before any thread starts, so all of them
    // inherit the mask and only sigtimedwait below sees the signals.
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
    ::signal(SIGPIPE, SIG_IGN);
    raise_fd_limit();

    std::string err;
    InferenceOptions io;
    if (!alarm_rule_parse(a->alarm, &io.alarm, &err)) return fail(err);
    io.limits.max_readings = a->max_readings;
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

    HttpServerOptions so;
    so.host = a->host;
    so.port = a->port;
    so.threads = a->threads > 0 ? a->threads : std::max(2, int(std::thread::hardware_concurrency()));
    so.limits.max_body = a->max_body;
    so.request_timeout_ms = int(std::lround(a->timeout * 1000));
    HttpServer server(
        so, [&service](const HttpRequest& r, const HttpPeer& p) { return service.handle(r, p); },
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
