// Internal: the per-format codec functions, one row per format, indexed by Format. Each family
// file (codec_float.cpp, codec_int.cpp) defines its rows; codec.cpp holds the table and does the
// argument checks once, so the row functions trust their inputs.
// Not a public header: include quant/codec.h.
#pragma once

#include <cstdint>

#include "quant/codec.h"

namespace hearth {

struct CodecOps {
  // n is a multiple of the block, src is finite, imp is null or finite and >= 0.
  Status (*quantize)(const float* src, int64_t n, void* dst, const float* imp,
                     const QuantOptions& opt);
  void (*dequantize)(const void* src, int64_t n, float* dst);
  float (*dot)(const void* row, const float* x, int64_t n);
  // Null: dot_row_q8act dequantizes the activations and calls `dot`.
  float (*dot_q8act)(const void* row, const ActQ8G32* xq, int64_t n);
};

extern const CodecOps kCodecF32, kCodecF16, kCodecBF16;
extern const CodecOps kCodecQ8G32, kCodecQ4G32, kCodecQ4G32Z, kCodecQ4G32NL, kCodecQ6G32;

}  // namespace hearth
