// cmd_window_json.cpp: `tinyad window-json FILE`: one window file as the JSON
// body a board posts ({"x":[...],"y":[...],"z":[...]}, g), for trying
// `serve` or `collect` by hand with curl or mosquitto_pub. Reads what `score`
// reads (headers, timestamps, separators: docs/foreign-data.md) and writes
// the numbers in the shortest form that reads back exactly, as the device
// emulator sends them.
#include <cstdio>
#include <memory>

#include "commands.h"
#include "sample_json.h"
#include "window_file.h"

namespace tinyad::app {

RunFn attach_window_json(CLI::App* cmd) {
  auto file = std::make_shared<std::string>();
  cmd->add_option("file", *file, "Window file (CSV x, y, z rows, or JSON; docs/foreign-data.md); the body goes to stdout")
      ->required();
  return [file] {
    std::vector<double> rows;
    WindowFileInfo info;
    std::string err;
    if (!window_file_read(*file, {}, &rows, &info, &err)) return fail(err);
    std::printf("%s\n", sample_json_format(rows).c_str());
    return 0;
  };
}

}  // namespace tinyad::app
