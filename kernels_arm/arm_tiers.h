// Registration entry points of the AArch64 tiers. Each overwrites the table rows it implements
// and leaves the rest to the tier below. Called only from the dispatch
// (src/dispatch/kernel_dispatch.cpp), and only after the hwcap check for that tier passed.
#pragma once

#include "src/kernels/table_setters.h"

namespace hearth::kernels {

// NEON: row helpers (the portable xsimd kernels), and every stored format's matrix kernels with
// q8 preparation (gemm_qxg32_neon.cpp).
void register_neon(KernelTable& t);
void register_neon_quant(KernelTable& t);
// The dot-product extension: the 4- and 6-bit formats' integer kernels (gemm_qxg32_neondot.cpp).
void register_neondot(KernelTable& t);

}  // namespace hearth::kernels
