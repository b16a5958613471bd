// nats_bridge.h: `tinyad serve --nats URLS`: serve on a NATS JetStream
// cluster (docs/fleet.md). Devices keep speaking MQTT 3.1.1 to any node:
// nats-server maps their topic tinyad/<device>/samples to the subject
// tinyad.<device>.samples, and the servers' subject mapping (configured on
// the cluster, see docs/fleet.md) sends it on as
// tinyad_in.<partition>.<device>, the partition a hash of the device id.
//
// Streams (created at start when missing, replicated `replicas` times):
//   TINYAD_WINDOWS   tinyad_in.*.*, work queue: a window stays until a
//                    worker acknowledges it; one durable pull consumer per
//                    partition (tinyad-p<i>, made by the first worker that
//                    takes the partition), explicit acks.
//   TINYAD_VERDICTS  tinyad_out.<device>.batch: per device, its answers of
//                    the last batch (lines "<window> v|e|a <json>") with its
//                    alarm state and answered sequence numbers in headers;
//                    the last one per device kept, duplicates dropped by
//                    Nats-Msg-Id for 2 min.
//   KV tinyad_leases p.<i> = the worker owning partition i, w.<id> = a live
//                    worker; both expire lease_s after their last renewal.
//
// Device affinity: a worker processes the partitions it holds a lease on,
// each in stream order in one thread, so a device's windows are scored in
// order by one process (k-of-n alarms see them all). Workers share the
// partitions fairly (ceil(partitions / live workers) each) and take over
// those of a worker that died once its leases expire.
//
// Exactly one verdict per window: a window that carries the device's own
// "seq" is answered once per seq (a copy the device sent again is
// acknowledged only); a redelivered window (same stream sequence) once. A
// batch's answers are stored per device before any is sent on; then each
// window's answers are sent on (tinyad.<device>.verdict|alarm, which MQTT
// clients see as tinyad/<device>/verdict|alarm) and the window acknowledged,
// back to back. A worker that takes a partition over restores each device's
// state from its last stored batch, and sends the stored answers of
// redelivered windows in it that its previous owner had not marked as sent
// (tinyad_out.partition-<i>.sent, recorded after each batch is sent on).
// Ordering: a worker fetches only while its lease has more than ack_wait_s
// to run, so the windows a dead worker had fetched are up for redelivery
// (first, in order) before any other worker may hold the partition.
//
// --learn/--commission: each device's baseline (DeviceBaselines'
// device_state_text) is stored at the end of its stored batch (header
// Tinyad-Baseline-Bytes), so it costs no extra write; the next owner
// restores it bit for bit with the rest of the device's state, and a
// redelivered window it covers is not learned again.
//
// Lost or doubled (docs/fleet.md): windows the cluster's MQTT listener
// acknowledged while the stream had no leader (the device must send them
// again); a batch sent on by a worker killed before its "sent" mark was
// stored is answered twice. What it avoids: retained messages.
#pragma once

#include <nats/nats.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "fleet_event.h"
#include "fleet_monitor.h"

namespace tinyad {

struct NatsOptions {
  std::vector<std::string> servers;  // nats://host:port each
  int partitions = 16;               // the servers' mapping's partition(N,1): must be the same N
  int batch = 128;                   // windows fetched at once (each consumer's MaxAckPending is 4 batches)
  int replicas = 3;                  // of the streams, consumers and the lease bucket
  double ack_wait_s = 4;             // a fetched window not acknowledged by then is redelivered
  double lease_s = 8;                // a partition lease not renewed by then expires (> ack_wait_s + 2)
  double renew_s = 1;
  std::string worker_id;  // "" = <hostname>-<pid>
  size_t max_payload = 1 << 20;
};

/// Parses "nats://h1:p1,nats://h2:p2" or "nats://h1:p1,h2:p2" (port default
/// 4222) into one URL per server; false with a one-line reason.
bool nats_urls_parse(const std::string& text, std::vector<std::string>* servers, std::string* err);

class NatsBridge {
 public:
  using Log = std::function<void(const std::string& line)>;
  static constexpr size_t kMaxDeviceId = 64;

  /// Windows are scored by monitor->process_window; the monitor's events
  /// must reach on_service_event (the alarms go out through it).
  NatsBridge(NatsOptions options, FleetMonitor* monitor, Log log);
  ~NatsBridge();
  NatsBridge(const NatsBridge&) = delete;
  NatsBridge& operator=(const NatsBridge&) = delete;

  /// Connects, creates the streams, consumers and lease bucket where missing
  /// (retrying for at most `timeout_s` while the cluster elects its leaders)
  /// and starts taking partitions. False with a one-line reason.
  bool start(std::string* err, double timeout_s = 20);

  /// For the monitor's FleetEventSink: alarm events of a window this bridge
  /// is scoring go out with that window (deduplicated); others (a window
  /// from HTTP) are published once on tinyad_out.<device>.alarm.
  void on_service_event(const FleetEvent& event);

  /// Finishes the batches under way, acknowledges them, gives the leases
  /// back (other workers take the partitions at once) and disconnects.
  void stop();

  struct Counters {
    uint64_t windows_in = 0, verdicts_out = 0, errors_out = 0, alarms_out = 0, redelivered_skipped = 0,
             resent_skipped = 0, stored_resent = 0, publish_retries = 0, partitions_taken = 0, partitions_lost = 0, last_stream_seq = 0;
    int partitions_owned = 0;
  };
  Counters counters() const;
  /// Prometheus text exposition of the counters (appended to /metrics).
  std::string metrics_text() const;

  struct Outgoing;  // one answer to MQTT (public for the stored-batch helpers in the .cpp)

 private:
  struct Partition;
  struct StoredBatch {  // a device's part of a batch, as stored: answer lines and the state after them
    std::string lines, state, seqs;
    uint64_t window = 0;
    size_t baseline_bytes = 0;  // --learn/--commission: the device's baseline, the last bytes of `lines`
  };
  bool setup(std::string* err);
  bool ensure_stream(const char* name, const char* subject, bool work_queue, std::string* err);
  bool ensure_consumer(Partition* p, std::string* err);
  struct LeaseEntry {       // a key of the lease bucket
    int64_t created_ns = 0;  // when last written, by the bucket's clock
  };
  bool lease_entries(std::map<std::string, LeaseEntry>* entries);
  void lease_loop();
  bool take(int index);
  void release(Partition* p, bool give_back);
  void run_partition(Partition* p);
  bool process_batch(Partition* p, natsMsgList* list);
  bool restore_device(Partition* p, const std::string& device, std::string* err);
  void attach_baselines(std::map<std::string, StoredBatch>* batches) const;
  bool restore_baseline(const std::string& token, const char* bytes_header, std::string_view* body,
                        std::string* err);
  bool store_batches(Partition* p, const std::map<std::string, StoredBatch>& batches, std::map<std::string, bool>* fresh);
  static void on_pub_ack(jsCtx* js, natsMsg* msg, jsPubAck* pa, jsPubAckErr* pae, void* closure);
  void say(const std::string& line);

  NatsOptions options_;
  FleetMonitor* monitor_;
  Log log_;
  natsConnection* nc_ = nullptr;
  jsCtx* js_ = nullptr;
  jsCtx* lease_js_ = nullptr;  // the lease bucket's, with a short timeout: a renewal round must not wait 5 s
  kvStore* kv_ = nullptr;
  std::thread lease_thread_;
  std::atomic<bool> running_{false};
  mutable std::mutex partitions_mutex_;  // partitions_ (the lease thread changes it; counters() reads it)
  std::vector<std::unique_ptr<Partition>> partitions_;  // held by this worker

  std::atomic<uint64_t> windows_in_{0}, verdicts_out_{0}, errors_out_{0}, alarms_out_{0}, redelivered_skipped_{0},
      resent_skipped_{0}, stored_resent_{0}, publish_retries_{0}, partitions_taken_{0}, partitions_lost_{0}, last_stream_seq_{0};
};

}  // namespace tinyad
