// The one table of tensor storage formats: float formats read from checkpoints and the
// block-quantized formats written by the converter. Every other place that needs a format's
// size math asks this table; there are no per-format switches elsewhere.
// Block layouts: quant/blocks.h. Not here: how formats are computed (quant/codec.h) or
// multiplied fast (kernels).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace hearth {

enum class Format : uint8_t {
  kF32 = 0,
  kF16 = 1,
  kBF16 = 2,
  kQ8G32 = 3,   // int8 symmetric, groups of 32 along a row, fp16 scale         (8.5 bpw)
  kQ4G32 = 4,   // int4 symmetric, groups of 32, fp16 scale                     (4.5 bpw)
  kQ4G32Z = 5,  // int4 asymmetric, groups of 32, fp16 scale + fp16 minimum     (5.0 bpw)
  kQ4G32NL = 6, // 4-bit index into a non-uniform 16-level codebook, fp16 scale (4.5 bpw)
  kQ6G32 = 7,   // int6 symmetric, groups of 32, fp16 scale                     (6.5 bpw)
  kCount
};

struct FormatTraits {
  Format format;
  std::string_view name;     // stable name used on the command line and in files
  uint32_t block_elements;   // elements per block (1 for plain floats)
  uint32_t block_bytes;      // bytes per block
  bool quantized;
  double bits_per_weight() const { return 8.0 * block_bytes / block_elements; }
};

const FormatTraits& format_traits(Format f);
std::optional<Format> format_from_name(std::string_view name);

// Bytes for `n_elements` elements in format `f`; n_elements must be a multiple of the block.
inline size_t format_bytes(Format f, size_t n_elements) {
  const FormatTraits& t = format_traits(f);
  return n_elements / t.block_elements * t.block_bytes;
}

}  // namespace hearth
