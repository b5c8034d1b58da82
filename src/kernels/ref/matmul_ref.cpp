// Scalar reference kernels: the definitions every faster kernel is tested against.
// Matmul decodes one weight row at a time to float32 and reuses it for every token.
#include <cstring>
#include <vector>

#include "src/kernels/ref/ref_kernels.h"
#include "src/base/half.h"
#include "src/base/size.h"

namespace hearth::kernels::ref {
namespace {

// Eight partial sums: fixed summation order, and the compiler can vectorise it.
float dot_f32(const float* a, const float* b, int64_t n) {
  float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (int k = 0; k < 8; ++k) acc[k] += a[i + k] * b[i + k];
  float tail = 0;
  for (; i < n; ++i) tail += a[i] * b[i];
  return ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7])) + tail;
}

}  // namespace

void decode_row_f32(const TensorView& w, int64_t r, float* out) {
  std::memcpy(out, w.row(r), to_size(w.cols()) * sizeof(float));
}

void decode_row_f16(const TensorView& w, int64_t r, float* out) {
  const auto* src = reinterpret_cast<const uint16_t*>(w.row(r));
  for (int64_t i = 0; i < w.cols(); ++i) out[i] = f16_to_f32(src[i]);
}

void decode_row_bf16(const TensorView& w, int64_t r, float* out) {
  const auto* src = reinterpret_cast<const uint16_t*>(w.row(r));
  for (int64_t i = 0; i < w.cols(); ++i) out[i] = bf16_to_f32(src[i]);
}

void matmul_decoded(DecodeRowFn decode, const TensorView& w, const float* x, int64_t ldx,
                    int64_t n_tok, float* y, int64_t ldy, int64_t o_begin, int64_t o_end) {
  const int64_t n_in = w.cols();
  thread_local std::vector<float> row;
  row.resize(to_size(n_in));
  for (int64_t o = o_begin; o < o_end; ++o) {
    const float* wr;
    if (w.format == Format::kF32) {
      wr = reinterpret_cast<const float*>(w.row(o));
    } else {
      decode(w, o, row.data());
      wr = row.data();
    }
    for (int64_t t = 0; t < n_tok; ++t) y[t * ldy + o] = dot_f32(wr, x + t * ldx, n_in);
  }
}

}  // namespace hearth::kernels::ref
