// cmd_collect.cpp: `tinyad collect -d DIR -p PORT -t SECONDS`, the data
// collection server for the device firmware (the original's flags). Runs the
// HTTP server, flips the ready flag on a schedule, and prints one line per
// window and a final count. Signals are taken synchronously (sigtimedwait) in
// the main thread, so no work happens in a signal handler.
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <memory>

#include "collect_service.h"
#include "commands.h"
#include "http_server.h"
#include "server_flags.h"

namespace tinyad::app {
namespace {

std::string secs(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g s", s);
  return buf;
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

RunFn attach_collect(CLI::App* cmd) {
  struct Args {
    std::string dir;
    ServerFlags server;
    double seconds = 0, delay = 0, grace = 2;
    bool fsync = false, quiet = false;
  };
  auto a = std::make_shared<Args>();
  cmd->add_option("-d,--dir", a->dir, "Folder for the windows (one label): NNNN.csv, created if missing")->required();
  cmd->add_option("-t,--time", a->seconds, "Seconds to accept windows (0 = until interrupted)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--delay", a->delay, "Seconds to answer flag 0 before collecting starts (time to set up the fan)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--grace", a->grace,
                  "Seconds to keep storing posts after -t ran out (devices told 1 are still recording)")
      ->check(CLI::NonNegativeNumber);
  add_server_flags(cmd, &a->server);
  cmd->add_flag("--fsync", a->fsync, "Flush every file to disk before answering (survives power loss; slower)");
  cmd->add_flag("-q,--quiet", a->quiet, "No line per stored window (refusals and the summary still print)");
  return [a] {
    sigset_t stop_signals = prepare_server_process();

    // Flushed per line only on a terminal: a redirected log of many windows
    // is written in blocks (and flushed at the plan and the summary).
    auto log = std::make_shared<LineOut>(stdout, ::isatty(STDOUT_FILENO));
    CollectService service;
    CollectOptions co;
    co.dir = a->dir;
    co.limits.max_readings = a->server.max_readings;
    co.limits.min_readings = a->server.min_readings;
    co.limits.max_abs_g = a->server.max_abs_g;
    co.fsync = a->fsync;
    std::string err;
    if (!service.open(co, [log](const std::string& s) { log->line(s); }, &err)) return fail(err);
    service.set_log_stored(!a->quiet);
    HttpServer server(
        server_options(a->server), [&service](const HttpRequest& r, const HttpPeer& p) { return service.handle(r, p); },
        [&service](const HttpPeer& p, int status, const std::string& reason) {
          service.on_rejected(p, status, reason);
        });
    if (!server.start(&err)) return fail("cannot listen on " + err);
    log->line("listening on port " + std::to_string(server.port()));
    log->line(bound_line(server));
    std::string plan = "collecting into " + a->dir + " (" + std::to_string(service.store().existing()) +
                       " windows already there)";
    if (a->delay > 0) plan += " after " + secs(a->delay);
    plan += a->seconds > 0 ? " for " + secs(a->seconds) : " until interrupted (Ctrl-C)";
    log->line(plan);
    log->flush();

    const auto t0 = std::chrono::steady_clock::now();
    enum class Phase { kWaiting, kCollecting, kGrace } phase = Phase::kWaiting;
    if (a->delay <= 0) {
      service.start();
      phase = Phase::kCollecting;
    }
    bool interrupted = false;
    for (;;) {
      const double t = seconds_since(t0);
      if (phase == Phase::kWaiting && t >= a->delay) {
        service.start();
        phase = Phase::kCollecting;
        log->line("collecting: the ready flag is 1");
      }
      if (phase == Phase::kCollecting && a->seconds > 0 && t >= a->delay + a->seconds) {
        service.finish();
        phase = Phase::kGrace;
        log->line("time is up: the ready flag is 0; storing posts already under way for " +
                  secs(a->grace));
      }
      if (phase == Phase::kGrace && t >= a->delay + a->seconds + a->grace) break;
      timespec wait{0, 100 * 1000 * 1000};
      siginfo_t info;
      if (::sigtimedwait(&stop_signals, &info, &wait) > 0) {
        interrupted = true;
        break;
      }
    }
    service.finish();
    // Posts already under way are stored and answered; then the server stops.
    if (!server.drain(int(std::lround(a->server.drain * 1000)))) {
      log->line("stopped before every request under way was answered (--drain " + secs(a->server.drain) + ")");
    }
    const HttpServerStats st = server.stats();
    const std::string range = service.stored_range();
    log->line(std::string(interrupted ? "interrupted: " : "") + "collected " + std::to_string(service.stored()) +
              " windows into " + a->dir + (range.empty() ? "" : " (" + range + ")") + "; " +
              std::to_string(service.rejected()) + " requests refused (" + std::to_string(st.timeouts) +
              " timed out), " + std::to_string(service.flag_requests()) + " flag requests, " +
              std::to_string(st.connections) + " connections");
    log->flush();
    return 0;
  };
}

}  // namespace tinyad::app
