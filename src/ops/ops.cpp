#include "src/ops/ops.h"

#include <omp.h>

#include <algorithm>
#include <cmath>

#include "kernels_avx512/kernel_table.h"
#include "src/base/status.h"

namespace hearth::ops {

void matmul(const TensorView& w, const float* x, int64_t n_tok, float* y) {
  HEARTH_CHECK(w.shape.size() == 2, "matmul weight {} must be 2-D, is {}", w.name, w.shape_string());
  const auto fn = kernels::kernel_table().matmul[static_cast<int>(w.format)];
  HEARTH_CHECK(fn != nullptr, "no matmul kernel for format {} ({})", format_traits(w.format).name, w.name);
  const int64_t n_out = w.shape[0];
  const int64_t n_in = w.shape[1];
  if (n_tok == 0 || n_out == 0) return;
  // Chunks of output rows; every thread streams its rows of W once for all tokens.
  const int64_t work = n_out * n_in * n_tok;
  const int threads = work < (1 << 15) ? 1 : omp_get_max_threads();
  const int64_t chunk = std::max<int64_t>(1, (n_out + threads * 4 - 1) / (threads * 4));
  const int64_t n_chunks = (n_out + chunk - 1) / chunk;
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads) if (threads > 1)
  for (int64_t c = 0; c < n_chunks; ++c) {
    const int64_t begin = c * chunk;
    const int64_t end = std::min(n_out, begin + chunk);
    fn(w, x, n_in, n_tok, y, n_out, begin, end);
  }
}

void decode_row(const TensorView& w, int64_t r, float* out) {
  const auto fn = kernels::kernel_table().decode_row[static_cast<int>(w.format)];
  HEARTH_CHECK(fn != nullptr, "no decode kernel for format {}", format_traits(w.format).name);
  HEARTH_CHECK(r >= 0 && r < w.rows(), "row {} out of range for {}", r, w.name);
  fn(w, r, out);
}

std::vector<float> to_f32(const TensorView& t) {
  std::vector<float> out(static_cast<size_t>(t.numel()));
  TensorView flat = t;
  flat.shape = {t.rows(), t.cols()};
  for (int64_t r = 0; r < flat.rows(); ++r) decode_row(flat, r, out.data() + r * flat.cols());
  return out;
}

void rms_norm(const float* x, const float* w, int64_t n, float eps, float* out) {
  double ss = 0;
  for (int64_t i = 0; i < n; ++i) ss += static_cast<double>(x[i]) * x[i];
  const float scale = static_cast<float>(1.0 / std::sqrt(ss / static_cast<double>(n) + eps));
  for (int64_t i = 0; i < n; ++i) out[i] = x[i] * scale * w[i];
}

void softmax(float* x, int64_t n) {
  float mx = x[0];
  for (int64_t i = 1; i < n; ++i) mx = std::max(mx, x[i]);
  double sum = 0;
  for (int64_t i = 0; i < n; ++i) {
    x[i] = std::exp(x[i] - mx);
    sum += x[i];
  }
  const float inv = static_cast<float>(1.0 / sum);
  for (int64_t i = 0; i < n; ++i) x[i] *= inv;
}

float silu(float x) { return x / (1.0f + std::exp(-x)); }

void swiglu(const float* gate, const float* up, int64_t n, float* out) {
  for (int64_t i = 0; i < n; ++i) out[i] = silu(gate[i]) * up[i];
}

void add_inplace(float* y, const float* x, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] += x[i];
}

void set_num_threads(int n) {
  if (n > 0) omp_set_num_threads(n);
}

int num_threads() { return omp_get_max_threads(); }

}  // namespace hearth::ops
