// nats_leases.cpp: which worker holds which partition (NatsBridge's lease
// rounds, docs/fleet.md "Device affinity"): heartbeat, renew, give back
// what is over a fair share, take free partitions. See nats_bridge.h.
#include <nats/nats.h>

#include <algorithm>
#include <map>
#include <memory>
#include <string>

#include "nats_bridge.h"
#include "nats_bridge_parts.h"

namespace tinyad {

using nats_parts::kLeaseBucket;
using nats_parts::kLeaseWaitMs;
using nats_parts::kNs;
using nats_parts::now_ms;

// The lease bucket's keys (deleted ones left out) and when each was last
// written: the keys from the stream's subjects, then each read. Both are answered by the
// bucket's own stream; kvStore_Keys would make a consumer, which waits for
// the cluster's meta leader (seconds without one after a node dies, and
// with it every renewal of this round). False when the bucket did not answer.
bool NatsBridge::lease_entries(std::map<std::string, LeaseEntry>* entries) {
  entries->clear();
  const std::string prefix = std::string("$KV.") + kLeaseBucket + ".";
  const std::string filter = prefix + ">";
  jsOptions o;
  jsOptions_Init(&o);
  o.Wait = kLeaseWaitMs;
  o.Stream.Info.SubjectsFilter = filter.c_str();
  jsStreamInfo* si = nullptr;
  jsErrCode ec = jsErrCode(0);
  const std::string stream = std::string("KV_") + kLeaseBucket;
  if (js_GetStreamInfo(&si, lease_js_, stream.c_str(), &o, &ec) != NATS_OK) return false;
  std::vector<std::string> keys;
  if (si->State.Subjects)
    for (int i = 0; i < si->State.Subjects->Count; ++i) {
      const std::string subject = si->State.Subjects->List[i].Subject;
      if (subject.rfind(prefix, 0) == 0) keys.push_back(subject.substr(prefix.size()));
    }
  jsStreamInfo_Destroy(si);
  // Read from the stream's leader (kvStore_Get may be answered by any
  // replica, one that lags behind too: it once showed a held lease as free).
  for (const auto& k : keys) {
    natsMsg* m = nullptr;
    const natsStatus s = js_GetLastMsg(&m, lease_js_, stream.c_str(), (prefix + k).c_str(), &o, &ec);
    if (s == NATS_NOT_FOUND) continue;  // expired meanwhile
    if (s != NATS_OK) return false;
    const char* op = nullptr;
    const bool deleted = natsMsgHeader_Get(m, "KV-Operation", &op) == NATS_OK && op;  // DEL or PURGE: given back
    if (!deleted) (*entries)[k].created_ns = natsMsg_GetTime(m);
    natsMsg_Destroy(m);
  }
  return true;
}

// Every renew_s: heartbeat, renew the leases held, give back what is more
// than a fair share, take free partitions up to it.
void NatsBridge::lease_loop() {
  const std::string me = "w." + options_.worker_id;
  while (running_) {
    const int64_t t0 = now_ms();
    uint64_t rev = 0;
    kvStore_PutString(&rev, kv_, me.c_str(), "");
    std::map<std::string, LeaseEntry> keys;
    const bool listed = lease_entries(&keys);
    // Live workers: those whose heartbeat is recent next to ours (by the
    // bucket's clock). A killed worker's key stays until it expires;
    // counted, it would make the others give partitions back for nobody to
    // take.
    int workers = 0;
    if (listed) {
      const auto mine = keys.find(me);
      const int64_t stale_ns = int64_t((3 * options_.renew_s + 1) * double(kNs));
      for (const auto& [k, e] : keys)
        workers += k.rfind("w.", 0) == 0 && (mine == keys.end() || e.created_ns >= mine->second.created_ns - stale_ns);
      workers = std::max(workers, 1);
    }
    std::lock_guard<std::mutex> lock(partitions_mutex_);
    // Renew; a partition whose thread gave up is let go without deleting
    // its key: the key expires after the windows it had fetched are up for
    // redelivery. After one renewal timed out (the bucket electing a
    // leader) the others are not tried this round: each would wait as long.
    bool bucket_silent = false;
    for (auto it = partitions_.begin(); it != partitions_.end();) {
      Partition* p = it->get();
      const std::string key = "p." + std::to_string(p->index);
      bool keep = !p->abandoned;
      natsStatus us = NATS_TIMEOUT;
      if (keep && !bucket_silent) {
        us = kvStore_UpdateString(&rev, kv_, key.c_str(), options_.worker_id.c_str(), p->revision);
        bucket_silent = us == NATS_TIMEOUT;
      }
      if (keep && us == NATS_OK) {
        p->revision = rev;
        p->fetch_until_ms = t0 + int64_t((options_.lease_s - options_.ack_wait_s - 1) * 1000);
      } else if (keep && now_ms() < p->fetch_until_ms.load()) {
        // Not renewed this time (a leader election?): keep fetching while
        // the lease surely holds, try again next round. A renewal whose
        // answer timed out may have been written: then the key is ours at a
        // newer revision, which the next round's renewal must name.
        kvEntry* e = nullptr;
        if (!bucket_silent && kvStore_Get(&e, kv_, key.c_str()) == NATS_OK) {
          const char* holder = kvEntry_ValueString(e);
          if (holder && options_.worker_id == holder && kvEntry_Revision(e) > p->revision)
            p->revision = kvEntry_Revision(e);
          kvEntry_Destroy(e);
        }
      } else {
        say("partition " + std::to_string(p->index) + (p->abandoned ? " given up" : " lease lost"));
        partitions_lost_.fetch_add(1, std::memory_order_relaxed);
        release(p, false);
        it = partitions_.erase(it);
        continue;
      }
      ++it;
    }
    if (listed) {
      const size_t fair = size_t((options_.partitions + workers - 1) / workers);
      // A worker joined: give back, it takes them at once. All told to stop
      // first, then joined: each finishes its batch meanwhile.
      for (size_t i = fair; i < partitions_.size(); ++i) partitions_[i]->run = false;
      while (partitions_.size() > fair) {
        say("partition " + std::to_string(partitions_.back()->index) + " given to the other workers");
        release(partitions_.back().get(), true);
        partitions_.pop_back();
      }
      // Free partitions, from a place that depends on the worker so that
      // workers starting together do not all race for partition 0.
      const size_t offset = std::hash<std::string>{}(options_.worker_id) % size_t(options_.partitions);
      for (int n = 0; n < options_.partitions && partitions_.size() < fair && running_; ++n) {
        const int i = int((offset + size_t(n)) % size_t(options_.partitions));
        if (keys.count("p." + std::to_string(i))) continue;
        bool held = false;
        for (const auto& p : partitions_) held = held || p->index == i;
        if (!held) take(i);
      }
    }
    while (running_ && now_ms() < t0 + int64_t(options_.renew_s * 1000))
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  std::lock_guard<std::mutex> lock(partitions_mutex_);
  // All threads told first, then joined: each may be waiting out a fetch.
  for (auto& p : partitions_) p->run = false;
  for (auto& p : partitions_) release(p.get(), !p->abandoned);
  partitions_.clear();
  kvStore_Delete(kv_, me.c_str());
}

// Called with partitions_mutex_ held.
bool NatsBridge::take(int index) {
  uint64_t rev = 0;
  const std::string key = "p." + std::to_string(index);
  if (kvStore_CreateString(&rev, kv_, key.c_str(), options_.worker_id.c_str()) != NATS_OK) return false;
  auto p = std::make_unique<Partition>();
  p->index = index;
  p->revision = rev;
  // No fetching until the lease's first renewal: two workers starting
  // together were both told their create of the same key succeeded (while
  // the bucket's stream was being created by both); only one renewal of it
  // succeeds.
  p->fetch_until_ms = 0;
  jsOptions jo;
  jsOptions_Init(&jo);
  jo.Wait = 5000;
  jo.PublishAsync.AckHandler = &NatsBridge::on_pub_ack;
  jo.PublishAsync.AckHandlerClosure = p.get();
  jo.PublishAsync.MaxPending = 4 * options_.batch;
  if (natsConnection_JetStream(&p->js, nc_, &jo) != NATS_OK) {
    kvStore_Delete(kv_, key.c_str());
    return false;
  }
  Partition* raw = p.get();
  p->thread = std::thread([this, raw] { run_partition(raw); });
  partitions_.push_back(std::move(p));
  partitions_taken_.fetch_add(1, std::memory_order_relaxed);
  say("took partition " + std::to_string(index));
  return true;
}

// Stops the partition's thread (it finishes and acknowledges its batch);
// `give_back`: delete the lease so another worker may take it at once.
void NatsBridge::release(Partition* p, bool give_back) {
  p->run = false;
  if (p->thread.joinable()) p->thread.join();
  if (p->js) jsCtx_Destroy(p->js);
  p->js = nullptr;
  if (give_back) kvStore_Delete(kv_, ("p." + std::to_string(p->index)).c_str());
}

}  // namespace tinyad
