// The portable xsimd kernels (kernels_xsimd.h) on AVX2 + FMA, with the AVX2 integer kernels
// (gemm_qxg32_avx2.cpp): the avx2 tier.
#include "kernels_avx512/x86_tiers.h"
#include "src/kernels/portable/kernels_xsimd.h"

namespace hearth::kernels {

void register_avx2(KernelTable& t) {
  register_avx2_quant(t);
  XsimdKernels<xsimd::fma3<xsimd::avx2>>::register_row_ops(t);
}

}  // namespace hearth::kernels
