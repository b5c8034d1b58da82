// Declarations of the scalar reference kernels (src/kernels/ref/*.cpp): the definition of every
// kernel, and the fallback row of every tier.
#pragma once

#include "src/kernels/kernel_table.h"

namespace hearth::kernels::ref {

void decode_row_f32(const TensorView& w, int64_t r, float* out);
void decode_row_f16(const TensorView& w, int64_t r, float* out);
void decode_row_bf16(const TensorView& w, int64_t r, float* out);

// Generic matmul: decode each weight row with `decode`, dot it with every token.
void matmul_decoded(DecodeRowFn decode, const TensorView& w, const float* x, int64_t ldx,
                    int64_t n_tok, float* y, int64_t ldy, int64_t o_begin, int64_t o_end);

template <DecodeRowFn kDecode>
void matmul_ref(const TensorView& w, const float* x, int64_t ldx, int64_t n_tok, float* y,
                int64_t ldy, int64_t o_begin, int64_t o_end) {
  matmul_decoded(kDecode, w, x, ldx, n_tok, y, ldy, o_begin, o_end);
}

// The reference matmul of format f (reference_table().matmul[f]).
MatmulFn reference_table_matmul(Format f);

// q8 activations exactly as quant/codec.h quantize_activations_q8 (plus the group sums).
void prepare_q8_ref(const float* x, int64_t n, int8_t* q, float* d, float* ds, int32_t* qsum);

// A table with every row filled by the reference tier (what reference_table() holds).
KernelTable build_reference_table();

// Fills the reference tier of the table.
void register_reference_kernels(KernelTable& table);
// gemm (float activations over matmul), prepare_q8, row helpers.
void register_reference_gemm(KernelTable& table);

}  // namespace hearth::kernels::ref
