#include "src/model/ffn_swiglu.h"

#include <vector>

#include "src/base/size.h"
#include "src/ops/ops.h"
#include "src/ops/parallel.h"

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
    const size_t size = to_size(t.n * t.w->gate.shape[0]);
    gate.emplace_back(size);
    up.emplace_back(size);
    in.emplace_back(t.x, t.n, t.w->gate.shape[1]);  // converted once for gate and up
    calls.push_back({&t.w->gate, &in.back(), gate.back().data()});
    calls.push_back({&t.w->up, &in.back(), up.back().data()});
  }
  ops::matmul_many(calls);
  calls.clear();
  // Biases, then SiLU(gate) * up for every row of every task in one parallel loop (prefill:
  // one fork, not one per expert).
  std::vector<std::pair<size_t, int64_t>> rows;  // (task, row)
  for (size_t i = 0; i < m; ++i)
    for (int64_t r = 0; r < tasks[i].n; ++r) rows.emplace_back(i, r);
  const int64_t n_rows = static_cast<int64_t>(rows.size());
  ops::for_rows(n_rows, n_rows > 16, [&](int64_t k) {
    const auto [i, r] = rows[to_size(k)];
    const FfnWeights& w = *tasks[i].w;
    const int64_t n_ff = w.gate.shape[0];
    float* g = gate[i].data() + r * n_ff;
    float* u = up[i].data() + r * n_ff;
    if (!w.gate_bias.empty()) {
      ops::add_inplace(g, w.gate_bias.data(), n_ff);
      ops::add_inplace(u, w.up_bias.data(), n_ff);
    }
    ops::swiglu(g, u, n_ff, g);
  });
  for (size_t i = 0; i < m; ++i) {
    hidden.emplace_back(gate[i].data(), tasks[i].n, tasks[i].w->gate.shape[0]);
    calls.push_back({&tasks[i].w->down, &hidden.back(), tasks[i].out});
  }
  ops::matmul_many(calls);
  for (const FfnTask& t : tasks) {
    const int64_t n_embd = t.w->down.shape[0];
    for (int64_t r = 0; r < t.n && !t.w->down_bias.empty(); ++r) ops::add_inplace(t.out + r * n_embd, t.w->down_bias.data(), n_embd);
  }
}

}  // namespace hearth
