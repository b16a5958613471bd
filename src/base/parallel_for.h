// parallel_for.h: the one way tinyad spreads independent items (files of a
// dataset) over the machine's cores: indices handed out one at a time from
// an atomic counter (files differ in cost), each worker thread with state
// of its own (buffers reused from one item to the next), the calling thread
// working too. What it avoids: a pool kept alive between calls, and
// threads for small jobs (one per 64 items at most).
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <thread>
#include <vector>

namespace tinyad {

/// Calls work(i, state) once for every i in [0, n), where state is what
/// make_state() returned on the thread running it. work must only write
/// what belongs to item i.
template <typename MakeState, typename Work>
void parallel_for(size_t n, MakeState make_state, Work work) {
  std::atomic<size_t> next{0};
  auto worker = [&] {
    auto state = make_state();
    for (size_t i = next.fetch_add(1); i < n; i = next.fetch_add(1)) work(i, state);
  };
  const size_t n_threads = std::clamp<size_t>(std::thread::hardware_concurrency(), 1, n / 64 + 1);
  std::vector<std::thread> threads;
  for (size_t t = 1; t < n_threads; ++t) threads.emplace_back(worker);
  worker();
  for (auto& t : threads) t.join();
}

}  // namespace tinyad
