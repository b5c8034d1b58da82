// Registration entry points of the faster tiers, one per ISA file family. Each overwrites the
// table rows it implements and leaves the rest to the tier below. Called only from
// kernel_table.cpp, and only after the CPU feature check for that tier passed.
#pragma once

#include "kernels_avx512/kernel_types.h"

namespace hearth::kernels {

struct KernelTable;

// AVX2 + FMA + F16C: row helpers (portable xsimd kernels), and the stored formats' matrix
// kernels (gemm_qxg32_avx2.cpp).
void register_avx2(KernelTable& t);
// Its integer and float-activation kernels for the stored formats (gemm_qxg32_avx2.cpp).
void register_avx2_quant(KernelTable& t);
// AArch64 NEON: row helpers (portable xsimd kernels), and every stored format's matrix kernels
// with q8 preparation (gemm_qxg32_neon.cpp).
void register_neon(KernelTable& t);
void register_neon_quant(KernelTable& t);
// AArch64 dot-product extension: the 4- and 6-bit formats' integer kernels (gemm_qxg32_neondot.cpp).
void register_neondot(KernelTable& t);
// AVX-512 F/BW/VL (+F16C/FMA): float-format gemm, q8 preparation, row helpers.
void register_avx512(KernelTable& t);
// Its kernels over r16-packed float weights (gemm_r16_f32act_avx512.cpp).
void register_avx512_r16(KernelTable& t);
// Its attention block kernel (attention_avx512.cpp); called by register_avx512.
void register_avx512_attention(KernelTable& t);
// Its decode attention over whole rows (attention_rows_avx512.cpp); called by register_avx512.
void register_avx512_attention_rows(KernelTable& t);
// AVX-512 VNNI: integer gemm (vpdpbusd) for q8g32, q4g32, q4g32z, q4g32nl over q8 activations.
void register_avx512vnni(KernelTable& t);
// Its kernels over r16-packed weights (gemm_r16_avx512vnni.cpp); called by register_avx512vnni.
void register_avx512vnni_r16(KernelTable& t);

// Table setters, defined in kernel_table.cpp (no ISA flags), so ISA files never touch the
// KernelTable type itself.
void set_gemm(KernelTable& t, Format f, GemmFn fn, ActForm form);
void set_gemm_r16(KernelTable& t, Format f, GemmFn fn, ActForm form);
void set_prepare_q8(KernelTable& t, PrepareQ8Fn fn);
void set_prepare_q16(KernelTable& t, PrepareQ16Fn fn);
void set_row_ops(KernelTable& t, const RowOps& ops);

// Individual kernels, for tests and benchmarks (declared here, defined in the ISA files).
void prepare_q8_avx512(const float* x, int64_t n, int8_t* q, float* d, float* ds, int32_t* qsum);
float read_sum_avx512(const float* x, int64_t n);
int64_t int8_peak_avx512vnni(int64_t iters);  // iters x 12 x 128 int8 ops

}  // namespace hearth::kernels
