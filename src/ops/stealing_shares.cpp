#include "src/ops/stealing_shares.h"

#include "src/base/status.h"

namespace hearth::ops {
namespace {

uint64_t pack(uint64_t front, uint64_t back) { return back << 32 | front; }

}  // namespace

StealingShares::StealingShares(std::span<const int64_t> share_begin)
    : threads_(static_cast<int>(share_begin.size()) - 1), shares_(new Share[share_begin.size()]) {
  HEARTH_CHECK(threads_ >= 1, "StealingShares needs at least one share");
  HEARTH_CHECK(share_begin.back() < (int64_t{1} << 32), "too many blocks: {}", share_begin.back());
  for (int t = 0; t < threads_; ++t) {
    HEARTH_CHECK(share_begin[t] >= 0 && share_begin[t] <= share_begin[t + 1], "share bounds must ascend");
    shares_[t].front_back.store(pack(static_cast<uint64_t>(share_begin[t]), static_cast<uint64_t>(share_begin[t + 1])),
                                std::memory_order_relaxed);
  }
}

StealingShares::Range StealingShares::next(int me) {
  for (int k = 0; k < threads_; ++k) {
    const bool own = k == 0;
    std::atomic<uint64_t>& fb = shares_[(me + k) % threads_].front_back;
    uint64_t v = fb.load(std::memory_order_relaxed);
    for (;;) {
      const uint64_t front = v & 0xffffffffu, back = v >> 32;
      if (front >= back) break;
      const uint64_t n = own ? (back - front + 3) / 4 : 1;
      const Range r = own ? Range{static_cast<int64_t>(front), static_cast<int64_t>(front + n)}
                          : Range{static_cast<int64_t>(back - 1), static_cast<int64_t>(back)};
      const uint64_t after = own ? pack(front + n, back) : pack(front, back - 1);
      if (fb.compare_exchange_weak(v, after, std::memory_order_relaxed)) return r;
    }
  }
  return {};
}

}  // namespace hearth::ops
