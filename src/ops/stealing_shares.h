// Blocks of work split among threads so each streams its own contiguous run, yet all finish
// together: thread t owns one contiguous share and takes a quarter of what is left of it from
// its front at a time; a thread whose share is empty takes single blocks from the back of
// another's. Decode's matmuls are bound by memory, where contiguous runs keep the prefetchers
// streaming, and the vCPUs of a shared machine run at different speeds for whole runs, which
// a fixed split turns into waiting.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <span>

namespace hearth::ops {

class StealingShares {
 public:
  // share_begin: threads + 1 ascending block indices; thread t owns [share_begin[t], share_begin[t + 1]).
  explicit StealingShares(std::span<const int64_t> share_begin);

  struct Range {
    int64_t begin = 0, end = 0;  // blocks [begin, end); empty once every block is handed out
    bool empty() const { return begin >= end; }
  };
  // The next blocks for thread `me`: from its own share, a quarter of what is left (at least
  // one); once that is empty, one block from the back of another share. Each call is one locked
  // instruction, which waits for the thread's outstanding loads: taking a share in shrinking
  // pieces keeps those waits to a few per share instead of one per block, and the last pieces are single blocks, so neither thread waits long at the end.
  Range next(int me);

 private:
  // front (low 32 bits) and back (high 32 bits, exclusive) in one word, so an owner taking the
  // front and a thief taking the back never hand out the same block.
  struct alignas(64) Share {
    std::atomic<uint64_t> front_back{0};
  };
  int threads_;
  std::unique_ptr<Share[]> shares_;
};

}  // namespace hearth::ops
