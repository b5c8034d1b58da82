// The reference tier as a whole table: every row filled with the scalar definitions. The
// dispatch starts every tier's table from it; the reference gemm reads its matmul rows.
#include "src/kernels/ref/ref_kernels.h"

namespace hearth::kernels {

namespace ref {
KernelTable build_reference_table() {
  KernelTable t;
  t.tier = "ref";
  t.prepare_q16 = prepare_q16;
  register_reference_kernels(t);
  register_reference_gemm(t);
  return t;
}

MatmulFn reference_table_matmul(Format f) { return reference_table().matmul[static_cast<int>(f)]; }
}  // namespace ref

const KernelTable& reference_table() {
  static const KernelTable table = ref::build_reference_table();
  return table;
}

}  // namespace hearth::kernels
