// Load-time repacking of weight matrices into the layout their fastest kernel streams
// (kernels_avx512/repack_r16.h). A model's loader passes each matrix it will multiply through
// pack(); the returned view carries the packed copy, which lives as long as this object.
// Packing is skipped, and the canonical kernels run, when the kernel table has no packed
// kernel for the format (lower tiers, float formats), when the matrix has fewer than 16 rows,
// when HEARTH_REPACK=0, or when the copies would pass half of physical memory (huge models
// stay mmap-streamed from their file instead).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "quant/tensor.h"

namespace hearth::ops {

class PackedWeights {
 public:
  PackedWeights();
  ~PackedWeights();
  PackedWeights(const PackedWeights&) = delete;
  PackedWeights& operator=(const PackedWeights&) = delete;

  // w with `packed` set when it was packed; w unchanged otherwise.
  TensorView pack(const TensorView& w);
  size_t bytes() const { return used_; }
  int64_t matrices() const { return matrices_; }

 private:
  uint8_t* allocate(size_t n);

  struct Slab {
    uint8_t* data;
    size_t size, used;
  };
  std::vector<Slab> slabs_;
  size_t used_ = 0, budget_ = 0;
  int64_t matrices_ = 0;
  bool enabled_ = true, warned_ = false;
};

}  // namespace hearth::ops
