// Parallel loops and regions that enter OpenMP only when there is more than one thread's work.
// OpenMP's `parallel ... if (false)` still builds a team of one thread (about 1.2 us on the
// development machine), and decode passes several such loops per layer; below the threshold
// these run as plain code on the calling thread.
#pragma once

#include <omp.h>

#include <cstdint>

namespace hearth::ops {

// body(r) for r in [0, n): statically split across the threads when `parallel`, else in order
// on the calling thread.
template <class Body>
void for_rows(int64_t n, bool parallel, const Body& body) {
  if (!parallel) {
    for (int64_t r = 0; r < n; ++r) body(r);
    return;
  }
#pragma omp parallel for schedule(static)
  for (int64_t r = 0; r < n; ++r) body(r);
}

// body(k) for k in [0, n): handed out one at a time across `threads` threads (uneven items,
// both threads finish together), else in order on the calling thread.
template <class Body>
void for_items(int64_t n, int threads, const Body& body) {
  if (threads <= 1) {
    for (int64_t k = 0; k < n; ++k) body(k);
    return;
  }
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads)
  for (int64_t k = 0; k < n; ++k) body(k);
}

// body(me) once on each of `threads` threads (me = 0 .. threads - 1); with one thread, on the
// calling thread alone.
template <class Body>
void on_threads(int threads, const Body& body) {
  if (threads <= 1) {
    body(0);
    return;
  }
#pragma omp parallel num_threads(threads)
  body(omp_get_thread_num());
}

}  // namespace hearth::ops
