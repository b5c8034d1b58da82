// A read-only view of one stored tensor: name, format, shape and bytes (typically inside a
// mapped file). It owns nothing. Shapes are outermost first, as in the checkpoint:
// a linear layer's weight is [n_out][n_in], each row contiguous.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "quant/format.h"
#include "src/base/size.h"

namespace hearth {

struct TensorView {
  std::string name;
  Format format = Format::kF32;
  std::vector<int64_t> shape;
  const uint8_t* data = nullptr;
  size_t nbytes = 0;
  // A copy of the first rows / 16 * 16 rows interleaved for the kernels (src/ops/packed_weights.h),
  // or null. `data` stays the canonical rows (lookups, decoding, rows past the last block).
  const uint8_t* packed = nullptr;
  const void* packed_state = nullptr;  // the packer's bookkeeping for `packed` (filled on first use)

  int64_t numel() const {
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    return n;
  }
  int64_t rows() const { return shape.empty() ? 1 : numel() / shape.back(); }
  int64_t cols() const { return shape.empty() ? 1 : shape.back(); }
  size_t row_bytes() const { return format_bytes(format, to_size(cols())); }
  const uint8_t* row(int64_t r) const { return data + to_size(r) * row_bytes(); }
  std::string shape_string() const;
};

}  // namespace hearth
