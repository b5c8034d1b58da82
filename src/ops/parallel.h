// Parallel loops and regions. Inside a forward pass they run on the pass's thread team
// (thread_team.h: a hand-off, not a fork); elsewhere they open an OpenMP region. Below their
// thresholds they run as plain code on the calling thread: OpenMP's `parallel ... if (false)`
// still builds a team of one, which costs more than a small op itself.
#pragma once

#include <omp.h>

#include <algorithm>
#include <atomic>
#include <cstdint>

#include "src/ops/thread_team.h"

namespace hearth::ops {

// Items [0, n) handed out one at a time to whichever thread asks (uneven items finish together).
class WorkQueue {
 public:
  explicit WorkQueue(int64_t n) : n_(n) {}
  bool take(int64_t& item) {
    item = next_.fetch_add(1, std::memory_order_relaxed);
    return item < n_;
  }

 private:
  alignas(64) std::atomic<int64_t> next_{0};
  int64_t n_;
};

// body(me) once for each me in 0 .. threads - 1, in parallel; with one thread, on the calling
// thread alone. Every part runs even when the runtime gives fewer threads than asked for.
template <class Body>
void on_threads(int threads, const Body& body) {
  if (threads <= 1) {
    body(0);
    return;
  }
  if (detail::ThreadTeam* team = detail::driven_team()) {
    detail::run_on_team(*team, threads, [](const void* b, int me) { (*static_cast<const Body*>(b))(me); }, &body);
    return;
  }
#pragma omp parallel num_threads(threads)
  for (int me = omp_get_thread_num(); me < threads; me += omp_get_num_threads()) body(me);
}

// body(r) for r in [0, n): split into equal contiguous runs across the threads when
// `parallel`, else in order on the calling thread.
template <class Body>
void for_rows(int64_t n, bool parallel, const Body& body) {
  const int threads = parallel ? static_cast<int>(std::clamp<int64_t>(n, 1, num_threads())) : 1;
  on_threads(threads, [&](int me) {
    const int64_t end = n * (me + 1) / threads;
    for (int64_t r = n * me / threads; r < end; ++r) body(r);
  });
}

// body(state, k) for k in [0, n): handed out one at a time across `threads` threads (uneven
// items, all threads finish together), else in order on the calling thread; each thread makes
// its state once for all its items (scratch buffers), state = make_state().
template <class MakeState, class Body>
void for_items_with(int64_t n, int threads, const MakeState& make_state, const Body& body) {
  WorkQueue items(n);
  on_threads(threads, [&](int) {
    auto state = make_state();
    for (int64_t k; items.take(k);) body(state, k);
  });
}

// As for_items_with, without state: body(k).
template <class Body>
void for_items(int64_t n, int threads, const Body& body) {
  for_items_with(n, threads, [] { return 0; }, [&](int, int64_t k) { body(k); });
}

}  // namespace hearth::ops
