// collect_service.h: what `tinyad collect` answers on the device protocol:
// GET / gives the ready flag, POST / stores one window as the next NNNN.csv.
// The HTTP side is HttpServer; this is only the handler and its state, so
// tests can drive it without sockets.
#pragma once

#include <atomic>
#include <functional>
#include <mutex>
#include <string>

#include "http_request.h"
#include "http_server.h"
#include "sample_json.h"
#include "sample_store.h"

namespace tinyad {

struct CollectOptions {
  std::string dir;
  SampleLimits limits;  // readings per axis
  bool fsync = false;   // see SampleStore::Options
};

class CollectService {
 public:
  /// `log` gets one line per stored window and per refused request (no newline).
  using Log = std::function<void(const std::string& line)>;

  bool open(const CollectOptions& options, Log log, std::string* err);
  /// Whether stored windows are logged (refusals always are).
  void set_log_stored(bool on) { log_stored_ = on; }

  /// The device protocol. Thread-safe.
  HttpResponse handle(const HttpRequest& req, const HttpPeer& peer);
  /// For requests the HTTP server refused itself (bad framing, timeouts).
  void on_rejected(const HttpPeer& peer, int status, const std::string& reason);

  /// Before start() and after finish() the flag is 0. Posts are stored from
  /// start() on, also after finish() (a device told "1" just before the end
  /// is still recording), until the server stops.
  void start() { started_ = true; }
  void finish() { finished_ = true; }
  /// The ready flag: started, not finished, folder not full, and the last
  /// store did not fail (a full disk: 0 until the disk has room again).
  bool ready() const { return started_ && !finished_ && !store_.full() && !cannot_write_; }

  size_t stored() const { return store_.stored(); }
  size_t rejected() const { return rejected_.load(); }
  size_t flag_requests() const { return flag_requests_.load(); }
  const SampleStore& store() const { return store_; }
  /// The numbers of the first and last file this run stored ("" when none).
  std::string stored_range() const;

 private:
  HttpResponse refuse(const HttpPeer& peer, const std::string& device, int status, const std::string& reason);
  // `device`: the X-Device-Id handle() already read ("" when none).
  HttpResponse post(const HttpRequest& req, const HttpPeer& peer, std::string device);
  // 507 for a full folder; logs the first time only.
  HttpResponse refuse_full(const HttpPeer& peer, const std::string& device);
  // After a failed store: whether the folder has room again (checked on GET /).
  void recheck_writable();

  CollectOptions options_;
  SampleStore store_;
  Log log_;
  bool log_stored_ = true;
  std::atomic<bool> started_{false}, finished_{false}, full_logged_{false};
  std::atomic<bool> cannot_write_{false};  // the last store failed (disk full, folder gone)
  std::atomic<size_t> rejected_{0}, flag_requests_{0};
  mutable std::mutex range_mutex_;
  std::string first_, last_;
};

}  // namespace tinyad
