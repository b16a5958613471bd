// commands.h: the subcommand table of the `tinyad` binary. Each command
// declares its flags on a CLI11 subcommand and returns the function that runs
// it (exit status: 0 ok, 1 failure, 2 bad usage).
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <string>
#include <vector>

namespace tinyad::app {

using RunFn = std::function<int()>;

RunFn attach_demo(CLI::App* cmd);
RunFn attach_train(CLI::App* cmd);
RunFn attach_eval(CLI::App* cmd);
RunFn attach_score(CLI::App* cmd);
RunFn attach_convert(CLI::App* cmd);
RunFn attach_export(CLI::App* cmd);
RunFn attach_collect(CLI::App* cmd);
RunFn attach_device(CLI::App* cmd);
RunFn attach_serve(CLI::App* cmd);
RunFn attach_simulate(CLI::App* cmd);
RunFn attach_analyze(CLI::App* cmd);
RunFn attach_window_json(CLI::App* cmd);

/// Prints "tinyad: error: msg" to stderr and returns 1.
int fail(const std::string& msg);
/// Prints "tinyad: warning: msg" to stderr.
void warn(const std::string& msg);
/// Warns about skipped files: the first few in full, then a count.
void warn_skipped(const std::vector<std::string>& skipped);

}  // namespace tinyad::app
