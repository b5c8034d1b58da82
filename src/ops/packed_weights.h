// Repacking of weight matrices into the layout their fastest kernel streams
// (src/kernels/repack_r16.h). A model's loader passes each matrix it will multiply through
// pack(), which only reserves address space: the copy is made on the matrix's first matmul
// (ensure_packed), so loading stays an mmap, and a Mixture-of-Experts model pays memory only for
// the experts its tokens actually reach. After filling, the stored rows' pages are given back
// through the release callback (the canonical rows stay readable: lookups, tails).
// Packing is skipped, and the canonical kernels run, when the kernel table has no packed
// kernel for the format (lower tiers, float formats), when the matrix has fewer than 16 rows,
// when HEARTH_REPACK=0, or when the copies would pass half of physical memory (huge models
// stay mmap-streamed from their file instead).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <vector>

#include "quant/tensor.h"

namespace hearth::ops {

class PackedWeights {
 public:
  // release(t): t's bytes were copied; its resident pages may be given back (may be empty).
  explicit PackedWeights(std::function<void(const TensorView&)> release = {});
  ~PackedWeights();
  PackedWeights(const PackedWeights&) = delete;
  PackedWeights& operator=(const PackedWeights&) = delete;

  // w with `packed` set (reserved, filled on first use) when it will be packed; else w.
  TensorView pack(const TensorView& w);
  size_t bytes() const { return used_; }        // reserved for packed copies
  int64_t matrices() const { return matrices_; }

 private:
  uint8_t* allocate(size_t n);

  struct Slab {
    uint8_t* data;
    size_t size, used;
  };
  // What a packed copy is made from and whether it has been (TensorView::packed_state). Kept
  // apart from the copies so reserving touches none of their pages.
  struct State {
    std::atomic<int> filled{0};
    const uint8_t* source;
    int64_t rows, cols;
    Format format;
    const std::function<void(const TensorView&)>* release;
  };
  friend void ensure_packed(const TensorView& w);
  std::vector<Slab> slabs_;
  std::deque<State> states_;
  std::function<void(const TensorView&)> release_;
  size_t used_ = 0, budget_ = 0;
  int64_t matrices_ = 0;
  bool enabled_ = true, warned_ = false;
};

// Makes sure w's packed rows are filled (the first call copies them, in parallel; later calls
// return at once). Call outside parallel regions; w.packed must come from PackedWeights::pack.
void ensure_packed(const TensorView& w);

}  // namespace hearth::ops
