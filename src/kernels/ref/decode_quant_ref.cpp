#include "src/kernels/ref/decode_quant_ref.h"

#include "src/kernels/ref/ref_kernels.h"
#include "quant/codec.h"

namespace hearth::kernels::ref {
namespace {

template <Format kFormat>
void decode_row_quant(const TensorView& w, int64_t r, float* out) {
  dequantize_row(kFormat, w.row(r), w.cols(), out);
}

template <Format kFormat>
void set(KernelTable& t) {
  t.decode_row[static_cast<int>(kFormat)] = decode_row_quant<kFormat>;
  t.matmul[static_cast<int>(kFormat)] = matmul_ref<decode_row_quant<kFormat>>;
}

}  // namespace

void register_quant_reference_kernels(KernelTable& t) {
  set<Format::kQ8G32>(t);
  set<Format::kQ4G32>(t);
  set<Format::kQ4G32Z>(t);
  set<Format::kQ4G32NL>(t);
  set<Format::kQ6G32>(t);
  static_assert(static_cast<int>(Format::kCount) == 8, "register a kernel for the new format");
}

}  // namespace hearth::kernels::ref
