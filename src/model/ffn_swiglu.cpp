#include "src/model/ffn_swiglu.h"

#include <vector>

#include "src/ops/ops.h"

namespace hearth {

void ffn_swiglu(const FfnWeights& w, const float* x, int64_t n, float* out) {
  const int64_t n_ff = w.gate.shape[0];
  std::vector<float> gate(static_cast<size_t>(n * n_ff)), up(static_cast<size_t>(n * n_ff));
  ops::PreparedInput xin(x, n, w.gate.shape[1]);  // converted once for gate and up
  const TensorView* gate_up_w[2] = {&w.gate, &w.up};
  float* gate_up[2] = {gate.data(), up.data()};
  ops::matmul_many(gate_up_w, xin, gate_up);
  const int64_t n_embd = w.down.shape[0];
  for (int64_t r = 0; r < n && !w.gate_bias.empty(); ++r) {
    ops::add_inplace(gate.data() + r * n_ff, w.gate_bias.data(), n_ff);
    ops::add_inplace(up.data() + r * n_ff, w.up_bias.data(), n_ff);
  }
#pragma omp parallel for schedule(static) if (n > 16)  // prefill: rows in parallel
  for (int64_t r = 0; r < n; ++r) ops::swiglu(gate.data() + r * n_ff, up.data() + r * n_ff, n_ff, gate.data() + r * n_ff);
  ops::matmul(w.down, gate.data(), n, out);
  for (int64_t r = 0; r < n && !w.down_bias.empty(); ++r) ops::add_inplace(out + r * n_embd, w.down_bias.data(), n_embd);
}

}  // namespace hearth
