// device_emulator.cpp: see device_emulator.h.
#include "device_emulator.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <thread>
#include <vector>

#include "csv_reader.h"
#include "sample_json.h"
#include "sample_store.h"
#include "simulator.h"
#include "verdict_reply.h"

namespace tinyad {
namespace {

using Clock = std::chrono::steady_clock;

struct Shared {
  const DeviceEmulatorOptions& opt;
  const std::vector<std::vector<double>>* replay;  // loaded windows, or nullptr
  std::mutex mutex;                                 // guards report and stdout
  DeviceEmulatorReport report;
};

void sleep_ms(int ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }

void run_device(Shared* sh, int k) {
  const DeviceEmulatorOptions& opt = sh->opt;
  const std::string id = opt.id_prefix + "-" + std::to_string(k);
  std::unique_ptr<FanSimulator> sim;
  if (!sh->replay) {
    sim = std::make_unique<FanSimulator>(*simulator_find_label(opt.label),
                                         opt.seed * 1000003ull + uint64_t(k) * 7919ull + 1);
  }
  size_t next_replay = size_t(k);  // device k sends files k, k+K, k+2K, ... (cycling)
  size_t stored = 0;
  DeviceEmulatorReport mine;
  auto last_success = Clock::now();
  std::vector<double> window;
  auto gave_up = [&] {
    return std::chrono::duration<double>(Clock::now() - last_success).count() > opt.give_up_s;
  };
  while (opt.count == 0 || stored < opt.count) {
    if (gave_up()) {
      mine.devices_gave_up = 1;
      break;
    }
    const int flag = firmware_get_flag(opt.server, opt.timing);
    if (flag != 1) {
      (flag == 0 ? mine.flag_zeros : mine.flag_failures)++;
      sleep_ms(opt.poll_ms);
      continue;
    }
    mine.flag_ones++;
    last_success = Clock::now();
    // Record: 200 readings at 200 Hz take a second on the board.
    const auto t_record = Clock::now();
    if (sh->replay) {
      window = (*sh->replay)[next_replay % sh->replay->size()];
      next_replay += size_t(opt.devices);
    } else {
      sim->next_window(opt.rows, &window);
    }
    if (opt.realtime) std::this_thread::sleep_until(t_record + std::chrono::microseconds(window.size() / 3 * 5000));
    const FirmwarePost post = firmware_post(opt.server, opt.timing, sample_json_format(window), id);
    if (post.result != 1) {
      mine.post_failures++;
      sleep_ms(opt.poll_ms);
      continue;
    }
    if (post.status < 200 || post.status > 299) {
      mine.refused++;
      if (opt.verbose) {
        std::lock_guard<std::mutex> lock(sh->mutex);
        std::printf("%s: refused: %s", id.c_str(), post.printed.c_str());
      }
      sleep_ms(opt.poll_ms);
      continue;
    }
    ++stored;
    mine.stored++;
    last_success = Clock::now();
    if (!opt.save_sent.empty()) {
      std::string err;
      const std::string path = opt.save_sent + "/" + id + "-" + std::to_string(stored) + ".csv";
      if (!write_file_replace(path, sample_csv_format(window), &err)) {
        std::lock_guard<std::mutex> lock(sh->mutex);
        std::fprintf(stderr, "tinyad: warning: %s\n", err.c_str());
      }
    }
    if (opt.verbose) {
      std::lock_guard<std::mutex> lock(sh->mutex);
      // Against `serve`, the reply is a verdict: show it (collect's is not).
      VerdictReply v;
      const std::string verdict = verdict_reply_parse(post.printed, &v) ? ", " + verdict_reply_text(v) : "";
      std::printf("%s: window %zu posted (%zu readings): HTTP %d%s\n", id.c_str(), stored, window.size() / 3,
                  post.status, verdict.c_str());
    }
  }
  std::lock_guard<std::mutex> lock(sh->mutex);
  DeviceEmulatorReport& r = sh->report;
  r.stored += mine.stored;
  r.refused += mine.refused;
  r.post_failures += mine.post_failures;
  r.flag_ones += mine.flag_ones;
  r.flag_zeros += mine.flag_zeros;
  r.flag_failures += mine.flag_failures;
  r.devices_gave_up += mine.devices_gave_up;
}

bool load_replay(const std::string& dir, std::vector<std::vector<double>>* out, std::string* err) {
  std::vector<std::string> paths;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    if (e.is_regular_file() && e.path().extension() == ".csv") paths.push_back(e.path().string());
  }
  if (ec) {
    *err = dir + ": " + ec.message();
    return false;
  }
  std::sort(paths.begin(), paths.end());
  if (paths.empty()) {
    *err = dir + ": no .csv windows to replay";
    return false;
  }
  for (const std::string& p : paths) {
    std::vector<double> rows;
    if (!csv_read_window(p, &rows, err)) return false;
    out->push_back(std::move(rows));
  }
  return true;
}

}  // namespace

bool device_emulator_run(const DeviceEmulatorOptions& opt, DeviceEmulatorReport* report, std::string* err) {
  std::vector<std::vector<double>> replay;
  if (!opt.replay.empty()) {
    if (!load_replay(opt.replay, &replay, err)) return false;
  } else if (!simulator_find_label(opt.label)) {
    std::string known;
    for (const FanLabel& l : simulator_labels()) known += (known.empty() ? "" : ", ") + l.name;
    *err = "the simulator has no label '" + opt.label + "' (labels: " + known + ")";
    return false;
  }
  if (!opt.save_sent.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(opt.save_sent, ec);
    if (ec) {
      *err = opt.save_sent + ": " + ec.message();
      return false;
    }
  }
  Shared sh{opt, opt.replay.empty() ? nullptr : &replay, {}, {}};
  const auto t0 = Clock::now();
  std::vector<std::thread> threads;
  for (int k = 0; k < opt.devices; ++k) threads.emplace_back(run_device, &sh, k);
  for (auto& t : threads) t.join();
  sh.report.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  *report = sh.report;
  return true;
}

}  // namespace tinyad
