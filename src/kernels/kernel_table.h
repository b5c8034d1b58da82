// The kernel table's layout: every compute kernel the ops layer calls, one row per format or
// helper, and the scalar reference table that defines them all (ref/). Each tier (ref, then
// the x86 tiers in kernels_avx512/ or the ARM ones in kernels_arm/) overwrites the rows it
// implements and keeps the lower tier's others.
// Matrix kernels take activations in the form their format's row says (act_form): the ops
// layer converts a token's activations once per form and every matrix reading them reuses it.
// Not here: which tier this CPU runs (src/dispatch/kernel_dispatch.h, the only place that
// tests an ISA flag), the kernels themselves, threading (src/ops).
#pragma once

#include <cstdint>
#include <string>

#include "src/kernels/kernel_types.h"
#include "src/kernels/table_setters.h"
#include "quant/format.h"
#include "quant/tensor.h"

namespace hearth::kernels {

// y[t * ldy + o] = sum_i W[o][i] * x[t * ldx + i]  for t in [0, n_tok), o in [o_begin, o_end).
// W is a [n_out][n_in] tensor in its stored format; x and y are float32. (Reference tier.)
using MatmulFn = void (*)(const TensorView& w, const float* x, int64_t ldx, int64_t n_tok,
                          float* y, int64_t ldy, int64_t o_begin, int64_t o_end);

// Decodes row `r` of W into float32 (n_in values).
using DecodeRowFn = void (*)(const TensorView& w, int64_t r, float* out);

struct KernelTable {
  std::string tier;  // the last tier that filled rows: "ref", "avx2", "avx512", "neon", ...
  MatmulFn matmul[static_cast<int>(Format::kCount)] = {};        // float activations (ref)
  DecodeRowFn decode_row[static_cast<int>(Format::kCount)] = {};
  GemmFn gemm[static_cast<int>(Format::kCount)] = {};            // the fastest per format
  // Over r16-packed rows (w.packed), or null: o_begin and o_end multiples of 16, o_end <= n_out / 16 * 16.
  GemmFn gemm_r16[static_cast<int>(Format::kCount)] = {};
  ActForm act_form_r16[static_cast<int>(Format::kCount)] = {};   // what gemm_r16[f] consumes
  ActForm act_form[static_cast<int>(Format::kCount)] = {};       // what gemm[f] consumes
  PrepareQ8Fn prepare_q8 = nullptr;                              // f32 -> ActForm::kQ8G32
  PrepareQ16Fn prepare_q16 = nullptr;                            // f32 -> ActForm::kQ16G32
  RooflineOps roofline{};                                        // bench probes
  RowOps row{};                                                  // rms_norm, swiglu, dot, attention rows
};

// The scalar definition of every kernel (the reference tier alone; built on first use).
const KernelTable& reference_table();

// WeightRows of a 2-D tensor (what gemm kernels read; no ISA code touches TensorView).
WeightRows weight_rows(const TensorView& w);

// The definition of PrepareQ16Fn (the reference tier's prepare_q16).
void prepare_q16(const float* x, int64_t n, int16_t* q, float* d);

}  // namespace hearth::kernels
