#include "src/model/ffn_swiglu.h"

#include <vector>

#include "src/ops/ops.h"

namespace hearth {

void ffn_swiglu(const FfnWeights& w, const float* x, int64_t n, float* out) {
  const FfnTask task{&w, x, n, out};
  ffn_swiglu_many({&task, 1});
}

void ffn_swiglu_many(std::span<const FfnTask> tasks) {
  const size_t m = tasks.size();
  std::vector<ops::FloatBuffer> gate, up;
  std::vector<ops::PreparedInput> in, hidden;  // reserved: calls point into them
  in.reserve(m);
  hidden.reserve(m);
  std::vector<ops::MatmulCall> calls;
  for (const FfnTask& t : tasks) {
    const size_t size = static_cast<size_t>(t.n * t.w->gate.shape[0]);
    gate.emplace_back(size);
    up.emplace_back(size);
    in.emplace_back(t.x, t.n, t.w->gate.shape[1]);  // converted once for gate and up
    calls.push_back({&t.w->gate, &in.back(), gate.back().data()});
    calls.push_back({&t.w->up, &in.back(), up.back().data()});
  }
  ops::matmul_many(calls);
  calls.clear();
  for (size_t i = 0; i < m; ++i) {
    const FfnTask& t = tasks[i];
    const int64_t n_ff = t.w->gate.shape[0];
    float* g = gate[i].data();
    const float* u = up[i].data();
    for (int64_t r = 0; r < t.n && !t.w->gate_bias.empty(); ++r) {
      ops::add_inplace(g + r * n_ff, t.w->gate_bias.data(), n_ff);
      ops::add_inplace(up[i].data() + r * n_ff, t.w->up_bias.data(), n_ff);
    }
#pragma omp parallel for schedule(static) if (t.n > 16)  // prefill: rows in parallel
    for (int64_t r = 0; r < t.n; ++r) ops::swiglu(g + r * n_ff, u + r * n_ff, n_ff, g + r * n_ff);
    hidden.emplace_back(g, t.n, n_ff);
    calls.push_back({&t.w->down, &hidden.back(), t.out});
  }
  ops::matmul_many(calls);
  for (const FfnTask& t : tasks) {
    const int64_t n_embd = t.w->down.shape[0];
    for (int64_t r = 0; r < t.n && !t.w->down_bias.empty(); ++r) ops::add_inplace(t.out + r * n_embd, t.w->down_bias.data(), n_embd);
  }
}

}  // namespace hearth
