// Registration entry points of the x86-64 tiers, one per ISA file family. Each overwrites the
// table rows it implements and leaves the rest to the tier below. Called only from the
// dispatch (src/dispatch/kernel_dispatch.cpp), and only after the CPU feature check for that
// tier passed.
#pragma once

#include "src/kernels/table_setters.h"

namespace hearth::kernels {

// AVX2 + FMA + F16C: row helpers (the portable xsimd kernels), and the stored formats' matrix
// kernels (gemm_qxg32_avx2.cpp).
void register_avx2(KernelTable& t);
// Its integer and float-activation kernels for the stored formats (gemm_qxg32_avx2.cpp).
void register_avx2_quant(KernelTable& t);
// AVX-512 F/BW/VL (+F16C/FMA): float-format gemm, q8 preparation, row helpers.
void register_avx512(KernelTable& t);
// Its float-activation gemm (gemm_f32act_avx512.cpp); called by register_avx512.
void register_avx512_gemm(KernelTable& t);
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

// Individual kernels, for tests and benchmarks (declared here, defined in the ISA files).
void prepare_q8_avx512(const float* x, int64_t n, int8_t* q, float* d, float* ds, int32_t* qsum);
float read_sum_avx512(const float* x, int64_t n);
int64_t int8_peak_avx512vnni(int64_t iters);  // iters x 12 x 128 int8 ops

}  // namespace hearth::kernels
