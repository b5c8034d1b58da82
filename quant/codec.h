// Reference codecs: the definitions of every format in quant/format.h. One interface for all
// formats (plain floats included): quantize a row, dequantize a row, dot a stored row with a
// float vector, and the int8 activation path the integer kernels implement
// (activations quantized per group of 32, llama.cpp Q8_0 style). Kernels are tested against
// these functions.
// Not here: fast kernels (kernels_*), choosing a format per tensor, calibration (converter).
//
// Conventions: a "row" is n contiguous elements along the reduction dimension; n must be a
// multiple of the format's block_elements. quantize_* return a Status because shapes and
// values come from user files; dequantize/dot take data that was validated at load and check
// sizes with HEARTH_CHECK (programmer error).
#pragma once

#include <cstdint>

#include "quant/blocks.h"
#include "quant/format.h"
#include "quant/options.h"
#include "src/base/status.h"

namespace hearth {

// Quantizes src[n] into dst (format_bytes(f, n) bytes). importance: nullable, [n] per-element
// weights >= 0 (e.g. mean x^2 of the matching input column over calibration tokens); the
// search minimises sum_i imp_i (src_i - deq_i)^2. Errors: n not a multiple of the block,
// non-finite or negative importance, non-finite src, a scale that overflows fp16.
Status quantize_row(Format f, const float* src, int64_t n, void* dst, const float* importance,
                    const QuantOptions& opt);

// Quantizes a matrix src[rows][cols] row by row (OpenMP over rows) into dst, whose row r
// starts at r * format_bytes(f, cols). importance: nullable, [cols], shared by every row.
Status quantize_matrix(Format f, const float* src, int64_t rows, int64_t cols, void* dst,
                       const float* importance, const QuantOptions& opt);

// Decodes n elements of format f into dst[n].
void dequantize_row(Format f, const void* src, int64_t n, float* dst);

// sum_i value(row_i) * x_i; each block's partial sum in float, the total in double.
float dot_row(Format f, const void* row, const float* x, int64_t n);

// Activations quantized per group of 32: value = scale * q. 36 bytes / 32 = 9 bpw.
//   bytes [0,4) scale float, bytes [4,36) q int8 in [-127, 127]
struct ActQ8G32 {
  float scale;
  int8_t q[kGroup32];
};
static_assert(sizeof(ActQ8G32) == 36, "q8 activation block is 36 bytes");

// x[n] -> dst[n / 32]; scale = max|x| / 127, q = round(x / scale) (ggml quantize_row_q8_0_ref,
// but with a float scale). n must be a multiple of 32. Returns an error for non-finite x.
Status quantize_activations_q8(const float* x, int64_t n, ActQ8G32* dst);

// sum_i value(row_i) * value(xq_i). For the integer formats each block is an exact integer
// dot product times the two scales (what an int8 kernel computes); float formats use the
// dequantized activations.
float dot_row_q8act(Format f, const void* row, const ActQ8G32* xq, int64_t n);

}  // namespace hearth
