// Scalar reference kernels for the block-quantized formats (q8g32, q4g32, q4g32z, q4g32nl):
// decode a weight row to float32 with the quant/ reference codec; matmul is the generic
// decode-then-dot reference (ref_kernels.h), so activations stay float32 end to end.
// Not here: integer-activation or SIMD kernels (those are faster tiers tested against these).
#pragma once

#include "src/kernels/kernel_table.h"

namespace hearth::kernels::ref {

// Registers decode_row and matmul for every quantized format of quant/format.h.
void register_quant_reference_kernels(KernelTable& table);

}  // namespace hearth::kernels::ref
