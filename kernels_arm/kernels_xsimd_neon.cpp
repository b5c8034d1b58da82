// The portable xsimd kernels (kernels_xsimd.h) on AArch64 NEON, with the NEON integer kernels
// (gemm_qxg32_neon.cpp): the neon tier.
#include "kernels_arm/arm_tiers.h"
#include "src/kernels/portable/kernels_xsimd.h"

namespace hearth::kernels {

void register_neon(KernelTable& t) {
  register_neon_quant(t);
  XsimdKernels<xsimd::neon64>::register_row_ops(t);
}

}  // namespace hearth::kernels
