#include "src/kernels/ref/decode_quant_ref.h"
#include "src/kernels/ref/ref_kernels.h"

namespace hearth::kernels::ref {

void register_reference_kernels(KernelTable& t) {
  auto set = [&t](Format f, DecodeRowFn d, MatmulFn m) {
    t.decode_row[static_cast<int>(f)] = d;
    t.matmul[static_cast<int>(f)] = m;
  };
  set(Format::kF32, decode_row_f32, matmul_ref<decode_row_f32>);
  set(Format::kF16, decode_row_f16, matmul_ref<decode_row_f16>);
  set(Format::kBF16, decode_row_bf16, matmul_ref<decode_row_bf16>);
  register_quant_reference_kernels(t);
}

}  // namespace hearth::kernels::ref
