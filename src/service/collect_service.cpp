// collect_service.cpp: see collect_service.h.
#include "collect_service.h"

#include <sys/statvfs.h>
#include <unistd.h>

#include <cctype>

#include "device_id.h"

namespace tinyad {
namespace {

std::string sender(const std::string& device, const HttpPeer& peer) {
  return device.empty() ? peer.address : device + " (" + peer.address + ")";
}

}  // namespace

bool CollectService::open(const CollectOptions& options, Log log, std::string* err) {
  options_ = options;
  log_ = std::move(log);
  return store_.open(options.dir, SampleStore::Options{options.fsync}, err);
}

std::string CollectService::stored_range() const {
  std::lock_guard<std::mutex> lock(range_mutex_);
  if (first_.empty()) return "";
  return first_ == last_ ? first_ : first_ + " .. " + last_;
}

HttpResponse CollectService::refuse(const HttpPeer& peer, const std::string& device, int status,
                                    const std::string& reason) {
  rejected_.fetch_add(1, std::memory_order_relaxed);
  if (log_) log_("refused " + sender(device, peer) + ": " + std::to_string(status) + " " + reason);
  return HttpResponse::text(status, reason + "\n");
}

void CollectService::on_rejected(const HttpPeer& peer, int status, const std::string& reason) {
  rejected_.fetch_add(1, std::memory_order_relaxed);
  if (log_) log_("refused " + peer.address + ": " + std::to_string(status) + " " + reason);
}

HttpResponse CollectService::handle(const HttpRequest& req, const HttpPeer& peer) {
  const std::string* id = req.header("x-device-id");
  // Printable only: the id goes into console lines (device_id.h).
  const std::string device = id ? device_id_printable(device_id_cut(*id)) : "";
  if (req.path() != "/") return refuse(peer, device, 404, "no such path " + req.target + ": the device protocol is on /");
  if (req.method == "GET") {
    flag_requests_.fetch_add(1, std::memory_order_relaxed);
    if (cannot_write_) recheck_writable();
    // Status line, exactly two header lines, blank line, one digit: the
    // firmware skips four CR-terminated lines and reads the flag.
    HttpResponse r;
    r.status = 200;
    r.content_type = "text/plain";
    r.body = ready() ? "1" : "0";
    r.bare_head = true;
    return r;
  }
  if (req.method == "POST") return post(req, peer, device);
  HttpResponse r = refuse(peer, device, 405, "method " + req.method + " is not served: use GET / or POST /");
  r.headers.emplace_back("Allow", "GET, POST");
  return r;
}

// Room for a window file and then some (1 MiB), and the folder writable.
void CollectService::recheck_writable() {
  struct statvfs st {};
  if (::statvfs(options_.dir.c_str(), &st) != 0 || ::access(options_.dir.c_str(), W_OK) != 0) return;
  if (double(st.f_bavail) * double(st.f_frsize) < double(1 << 20)) return;
  if (cannot_write_.exchange(false) && log_) log_(options_.dir + " has room again: the flag is now 1");
}

HttpResponse CollectService::refuse_full(const HttpPeer& peer, const std::string& device) {
  if (!full_logged_.exchange(true) && log_) {
    log_(options_.dir + " is full: it holds 10000 files (0000.csv-9999.csv); the flag is now 0");
  }
  return refuse(peer, device, 507, options_.dir + " is full (10000 files, 0000-9999)");
}

HttpResponse CollectService::post(const HttpRequest& req, const HttpPeer& peer, std::string device) {
  if (!started_) return refuse(peer, device, 503, "not collecting yet: wait for the ready flag 1");
  if (store_.full()) return refuse_full(peer, device);
  if (http_is_cross_site(req)) return refuse(peer, device, 403, "a cross-site request from a web page: refused");
  if (!http_is_json_content_type(req.header("content-type"))) {
    return refuse(peer, device, 415, http_content_type_refusal(req.header("content-type")));
  }
  SampleWindow w;
  int status = 400;
  std::string err;
  if (!sample_json_parse(req.body, options_.limits, &w, &status, &err)) return refuse(peer, device, status, err);
  if (device.empty()) device = device_id_printable(w.device);  // the parser cut it already
  std::string name;
  switch (store_.store(sample_csv_format_sent(w), &name, &err)) {
    case SampleStore::Status::kStored:
      break;
    case SampleStore::Status::kFull:  // filled up by a concurrent post since the check above
      return refuse_full(peer, device);
    case SampleStore::Status::kError:
      // The flag turns 0 so devices stop recording windows that would be lost.
      if (!cannot_write_.exchange(true) && log_) log_("cannot write to " + options_.dir + ": " + err + "; the flag is now 0");
      return refuse(peer, device, 500, "cannot store the window: " + err);
  }
  if (cannot_write_.exchange(false) && log_) log_(options_.dir + " is writable again: the flag is now 1");
  {
    std::lock_guard<std::mutex> lock(range_mutex_);
    if (first_.empty() || name < first_) first_ = name;
    if (last_.empty() || name > last_) last_ = name;
  }
  if (log_ && log_stored_) log_("stored " + name + ": " + std::to_string(w.size()) + " readings from " + sender(device, peer));
  HttpResponse r;
  r.status = 204;
  return r;
}

}  // namespace tinyad
