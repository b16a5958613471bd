// server_flags.h: what `collect` and `serve` share as HTTP services: the
// listening flags, the server options built from them, and the process
// set-up for a server that stops on SIGINT/SIGTERM.
#pragma once

#include <signal.h>

#include <CLI/CLI.hpp>
#include <cstddef>
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
};

/// Adds -p/--port, --host, --max-readings, --max-body, --timeout, --idle,
/// --max-connections, --drain, --threads.
void add_server_flags(CLI::App* cmd, ServerFlags* flags);

HttpServerOptions server_options(const ServerFlags& flags);

/// Blocks SIGINT and SIGTERM (call before any thread starts, so every thread
/// inherits the mask and only the caller's sigwait sees them), ignores
/// SIGPIPE, raises the open-file limit. Returns the stop signals.
sigset_t prepare_server_process();

}  // namespace tinyad::app
