// AArch64 integer kernels of the neondot tier (ARMv8.2-A dot-product extension, hwcap
// ASIMDDP): the 4- and 6-bit g32 formats against int8 activations, each block's 32 products
// summed by two `sdot` (4 byte products into each int32 lane) instead of the neon tier's six
// widening multiplies and pairwise adds. The tiles and levels are the neon tier's
// (neon_int_tiles.h); everything else comes from the neon tier below it.
#include <arm_neon.h>

#include "kernels_arm/arm_tiers.h"
#include "kernels_arm/neon_int_tiles.h"

namespace hearth::kernels {
namespace {

using namespace neon;

struct Sdot {
  static int32x4_t dot32(const Levels& w, const int8_t* x) {
    return vdotq_s32(vdotq_s32(vdupq_n_s32(0), w.lo, vld1q_s8(x)), w.hi, vld1q_s8(x + 16));
  }
};

}  // namespace

void register_neondot(KernelTable& t) {
  set_gemm(t, Format::kQ4G32, gemm_int<Q4, Sdot>, ActForm::kQ8G32);
  set_gemm(t, Format::kQ4G32NL, gemm_int<Q4NL, Sdot>, ActForm::kQ8G32);
  set_gemm(t, Format::kQ6G32, gemm_int<Q6, Sdot>, ActForm::kQ8G32);
  set_gemm(t, Format::kQ4G32Z, gemm_int<Q4Z, Sdot>, ActForm::kQ8G32);
}

}  // namespace hearth::kernels
