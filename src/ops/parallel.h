// Row loops that go parallel only when asked. OpenMP's `parallel ... if (false)` still builds a
// team of one thread (about 1.2 us on the development machine), and decode passes several such
// loops per layer; below the threshold these run as plain loops on the calling thread.
#pragma once

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

}  // namespace hearth::ops
