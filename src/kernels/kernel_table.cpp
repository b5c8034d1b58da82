// The table's setters (what each tier calls to fill its rows), weight_rows, and the reference
// int16 activation preparation. Compiled without ISA flags.
#include "src/kernels/kernel_table.h"

#include <algorithm>
#include <cmath>

namespace hearth::kernels {

WeightRows weight_rows(const TensorView& w) {
  return WeightRows{w.data, static_cast<int64_t>(w.row_bytes()), w.rows(), w.cols(), w.format, w.packed};
}

void set_gemm(KernelTable& t, Format f, GemmFn fn, ActForm form) {
  t.gemm[static_cast<int>(f)] = fn;
  t.act_form[static_cast<int>(f)] = form;
}
void set_gemm_r16(KernelTable& t, Format f, GemmFn fn, ActForm form) {
  t.gemm_r16[static_cast<int>(f)] = fn;
  t.act_form_r16[static_cast<int>(f)] = form;
}

void prepare_q16(const float* x, int64_t n, int16_t* q, float* d) {
  for (int64_t g = 0; g < n / 32; ++g) {
    float amax = 0.0f;
    for (int i = 0; i < 32; ++i) amax = std::max(amax, std::fabs(x[32 * g + i]));
    const float scale = amax / 32767.0f, inv = scale > 0.0f ? 1.0f / scale : 0.0f;
    for (int i = 0; i < 32; ++i) q[32 * g + i] = static_cast<int16_t>(std::lrint(x[32 * g + i] * inv));
    d[g] = scale;
  }
}
void set_prepare_q8(KernelTable& t, PrepareQ8Fn fn) { t.prepare_q8 = fn; }
void set_prepare_q16(KernelTable& t, PrepareQ16Fn fn) { t.prepare_q16 = fn; }
void set_row_ops(KernelTable& t, const RowOps& ops) {
  if (ops.rms_norm) t.row.rms_norm = ops.rms_norm;
  if (ops.swiglu) t.row.swiglu = ops.swiglu;
  if (ops.axpy) t.row.axpy = ops.axpy;
  if (ops.dot) t.row.dot = ops.dot;
  if (ops.dot_rows) t.row.dot_rows = ops.dot_rows;
  if (ops.weighted_sum_rows) t.row.weighted_sum_rows = ops.weighted_sum_rows;
  if (ops.attend) t.row.attend = ops.attend;
  if (ops.attend_rows) t.row.attend_rows = ops.attend_rows;
  if (ops.attend_rows_bf16) t.row.attend_rows_bf16 = ops.attend_rows_bf16;
}

}  // namespace hearth::kernels
