// nats_bridge_parts.h: what nats_bridge.cpp (scoring, storing, sending)
// and nats_leases.cpp (which worker holds which partition) share: the
// partition a worker holds, an answer on its way to MQTT, the lease bucket's
// name and timings. Private to the two; users include nats_bridge.h.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "nats_bridge.h"
#include "window_seq.h"

namespace tinyad {
namespace nats_parts {

constexpr const char* kLeaseBucket = "tinyad_leases";
constexpr int64_t kLeaseWaitMs = 1500;  // a lease bucket request not answered by then is tried next round
constexpr int64_t kNs = 1000000000LL;
constexpr int kStored = 1, kDuplicate = 2;  // a stored batch's PubAck: stored now, or stored before (same Nats-Msg-Id)

inline int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace nats_parts

// One answer to MQTT: a window's verdict, error or alarm event.
struct NatsBridge::Outgoing {
  enum Kind { kVerdict, kError, kAlarm } kind = kVerdict;
  uint64_t window = 0;
  std::string data;
};

struct NatsBridge::Partition {
  int index = 0;
  uint64_t revision = 0;  // of the lease key
  std::atomic<bool> run{true}, finished{false}, abandoned{false};
  std::atomic<int64_t> fetch_until_ms{0};  // fetch only before this (the lease minus ack wait)
  std::thread thread;
  jsCtx* js = nullptr;
  std::mutex mutex;                   // acked (written by the library's PubAck thread)
  std::map<std::string, int> acked;  // Nats-Msg-Id -> kStored or kDuplicate (stored before); absent: failed
  // Devices seen since the lease was taken (restored from the stream on
  // first sight): the stream sequence of the last window answered, and
  // which of the device's own sequence numbers were answered.
  struct Device {
    uint64_t last_window = 0;
    DeviceSeqs seqs;
    // The answers of the device's last stored batch (restored on takeover):
    // a redelivered window among them was answered but perhaps not sent.
    std::map<uint64_t, std::vector<Outgoing>> stored;
  };
  std::unordered_map<std::string, Device> devices;
  // Windows up to this stream sequence had their answers sent on by the
  // partition's previous owner (its last tinyad_out.partition-<i>.sent):
  // a redelivered one of them lost only its acknowledgement.
  uint64_t sent_upto = 0;
};

}  // namespace tinyad
