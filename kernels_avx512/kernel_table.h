// The one kernel table: every compute kernel the ops layer calls, filled once at start-up from
// the CPU's features and logged once. Nothing else in the code tests an ISA flag.
// HEARTH_ISA=ref forces the scalar reference tier (so one machine tests every tier).
#pragma once

#include <cstdint>
#include <string>

#include "quant/format.h"
#include "quant/tensor.h"

namespace hearth::kernels {

// y[t * ldy + o] = sum_i W[o][i] * x[t * ldx + i]  for t in [0, n_tok), o in [o_begin, o_end).
// W is a [n_out][n_in] tensor in its stored format; x and y are float32.
using MatmulFn = void (*)(const TensorView& w, const float* x, int64_t ldx, int64_t n_tok,
                          float* y, int64_t ldy, int64_t o_begin, int64_t o_end);

// Decodes row `r` of W into float32 (n_in values).
using DecodeRowFn = void (*)(const TensorView& w, int64_t r, float* out);

struct KernelTable {
  std::string tier;  // "ref", ...
  MatmulFn matmul[static_cast<int>(Format::kCount)] = {};
  DecodeRowFn decode_row[static_cast<int>(Format::kCount)] = {};
};

// The table for this process (built on first use, logged once at info level).
const KernelTable& kernel_table();

// Tables by tier, for tests that walk every registered variant.
const KernelTable& reference_table();

}  // namespace hearth::kernels
