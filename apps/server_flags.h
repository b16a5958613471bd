// server_flags.h: what `collect` and `serve` share as HTTP services: the
// listening flags, the server options built from them, the process set-up
// for a server that stops on SIGINT/SIGTERM, and the line writer their
// threads log through.
#pragma once

#include <signal.h>

#include <CLI/CLI.hpp>
#include <cstddef>
#include <cstdio>
#include <mutex>
#include <string>

#include "http_server.h"

namespace tinyad::app {

struct ServerFlags {
  std::string host = "0.0.0.0";
  int port = 1337, threads = 0;
  double timeout = 5;             // s a client has to send its whole request
  double idle = 5;                // s a kept-alive connection may wait for its next request
  double drain = 10;              // s in-flight requests get to finish on SIGINT/SIGTERM
  int max_connections = 10000;    // open at once; 503 past it
  size_t max_body = 1 << 20;      // bytes
  size_t max_readings = 10000;    // per axis in one window
  size_t min_readings = 16;       // per axis: fewer is no window
  double max_abs_g = 1000;        // |reading| beyond this is no accelerometer's
};

/// Adds -p/--port, --host, --max-readings, --max-body, --timeout, --idle,
/// --max-connections, --drain, --threads.
void add_server_flags(CLI::App* cmd, ServerFlags* flags);

HttpServerOptions server_options(const ServerFlags& flags);

/// Blocks SIGINT and SIGTERM (call before any thread starts, so every thread
/// inherits the mask and only the caller's sigwait sees them), ignores
/// SIGPIPE, raises the open-file limit. Returns the stop signals.
sigset_t prepare_server_process();

/// "bound to ADDR:PORT" and what it reaches: the line serve and collect
/// print after "listening on port N" (the address the socket really has).
std::string bound_line(const HttpServer& server);

/// A URL host for the bound address: the machine's name for a wildcard
/// address, [v6] in brackets.
std::string url_host(const HttpServer& server);

/// Whole lines on a stream from any thread (handler threads, the MQTT
/// workers, the main thread): one lock per line so lines never interleave.
/// `flush_each`: flush after every line (a log someone is watching).
class LineOut {
 public:
  LineOut(FILE* f, bool flush_each) : f_(f), flush_each_(flush_each) {}
  void line(const std::string& s);
  /// Flushes; false when the stream has had a write error.
  bool flush();

 private:
  std::mutex mutex_;
  FILE* f_;
  bool flush_each_;
};

}  // namespace tinyad::app
