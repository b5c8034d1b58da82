#include "src/model/ffn_swiglu.h"

#include <vector>

#include "src/ops/ops.h"

namespace hearth {

void ffn_swiglu(const FfnWeights& w, const float* x, int64_t n, float* out) {
  const int64_t n_ff = w.gate.shape[0];
  ops::FloatBuffer gate(static_cast<size_t>(n * n_ff)), up(static_cast<size_t>(n * n_ff));
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

void ffn_swiglu_many(std::span<const FfnTask> tasks) {
  const size_t m = tasks.size();
  std::vector<std::vector<float>> gate(m), up(m);
  std::vector<ops::PreparedInput> in, hidden;
  in.reserve(m);
  hidden.reserve(m);
  std::vector<ops::MatmulCall> calls;
  for (size_t i = 0; i < m; ++i) {
    const FfnTask& t = tasks[i];
    const int64_t n_ff = t.w->gate.shape[0];
    gate[i].resize(static_cast<size_t>(t.n * n_ff));
    up[i].resize(gate[i].size());
    in.emplace_back(t.x, t.n, t.w->gate.shape[1]);
    calls.push_back({&t.w->gate, &in.back(), gate[i].data()});
    calls.push_back({&t.w->up, &in.back(), up[i].data()});
  }
  ops::matmul_many(calls);
  calls.clear();
  for (size_t i = 0; i < m; ++i) {
    const FfnTask& t = tasks[i];
    const int64_t n_ff = t.w->gate.shape[0];
    for (int64_t r = 0; r < t.n && !t.w->gate_bias.empty(); ++r) {
      ops::add_inplace(gate[i].data() + r * n_ff, t.w->gate_bias.data(), n_ff);
      ops::add_inplace(up[i].data() + r * n_ff, t.w->up_bias.data(), n_ff);
    }
    ops::swiglu(gate[i].data(), up[i].data(), t.n * n_ff, gate[i].data());
    hidden.emplace_back(gate[i].data(), t.n, n_ff);
    calls.push_back({&t.w->down, &hidden.back(), t.out});
  }
  ops::matmul_many(calls);
  for (const FfnTask& t : tasks) {
    const int64_t n_embd = t.w->down.shape[0];
    for (int64_t r = 0; r < t.n && !t.w->down_bias.empty(); ++r) ops::add_inplace(t.out + r * n_embd, t.w->down_bias.data(), n_embd);
  }
}

}  // namespace hearth
