#include "src/model/moe.h"

#include <algorithm>
#include <cmath>

#include "src/base/size.h"
#include "src/ops/ops.h"
#include "src/ops/parallel.h"

namespace hearth {

void CpuExpertExecutor::run_all(int /*layer*/, std::span<const Task> tasks) {
  std::vector<FfnTask> ffn;
  for (const Task& t : tasks) ffn.push_back({t.w, t.x, t.n, t.out});
  ffn_swiglu_many(ffn);
}

MoeBlock::MoeBlock(RouterConfig router, MoeWeights weights, int64_t n_embd,
                   std::shared_ptr<ExpertExecutor> executor)
    : router_(router), w_(std::move(weights)), n_embd_(n_embd), executor_(std::move(executor)) {
  HEARTH_CHECK(executor_ != nullptr, "MoeBlock: no expert executor");
}

void MoeBlock::forward(const LayerContext& ctx, const float* x, float* out) {
  const int64_t n = ctx.n_rows();
  const int64_t n_expert = router_.n_expert;
  const int64_t k = router_.n_expert_used;

  std::vector<float> logits(to_size(n * n_expert));
  ops::matmul(w_.router, x, n, logits.data());
  std::vector<int32_t> ids(to_size(n * k));
  std::vector<float> gates(to_size(n * k));
  const float* bias = w_.selection_bias.empty() ? nullptr : w_.selection_bias.data();
  for (int64_t r = 0; r < n; ++r)
    route_token(router_, logits.data() + r * n_expert, bias, ids.data() + r * k, gates.data() + r * k);

  if (ctx.probing("router_choice")) {
    std::vector<float> choice(to_size(n * k * 2));
    for (size_t i = 0; i < ids.size(); ++i) {
      choice[2 * i] = static_cast<float>(ids[i]);
      choice[2 * i + 1] = gates[i];
    }
    const int64_t shape[3] = {n, k, 2};
    ctx.probe->capture("router_choice", ctx.layer, shape, choice);
  }
  if (ctx.probing("router_logits")) {
    const int64_t shape[2] = {n, n_expert};
    ctx.probe->capture("router_logits", ctx.layer, shape, logits);
  }

  // Group (row, slot) pairs by expert: counts -> offsets -> permutation.
  std::vector<int64_t> offsets(to_size(n_expert + 1), 0);
  for (int32_t e : ids) ++offsets[to_size(e + 1)];
  for (int64_t e = 0; e < n_expert; ++e) offsets[to_size(e + 1)] += offsets[to_size(e)];
  std::vector<int64_t> perm(to_size(n * k));
  {
    std::vector<int64_t> fill(offsets.begin(), offsets.end() - 1);
    for (int64_t i = 0; i < n * k; ++i) perm[to_size(fill[to_size(ids[to_size(i)])]++)] = i;
  }

  // Gather each routed expert's rows, run them all, and sum each row's k expert outputs
  // weighted by the router (rows in parallel in prefill; no buffer is zero-filled first).
  const int64_t n_slots = n * k;
  ops::FloatBuffer xin(to_size(n_slots * n_embd_)), yout(to_size(n_slots * n_embd_));
  std::vector<int64_t> where(to_size(n_slots));  // slot -> its place in permutation order
  for (int64_t i = 0; i < n_slots; ++i) where[to_size(perm[to_size(i)])] = i;
  ops::for_rows(n_slots, n_slots > 16, [&](int64_t i) {
    const int64_t row = perm[to_size(i)] / k;
    std::copy(x + row * n_embd_, x + (row + 1) * n_embd_, xin.data() + i * n_embd_);
  });
  std::vector<ExpertExecutor::Task> tasks;
  for (int64_t e = 0; e < n_expert; ++e) {
    const int64_t begin = offsets[to_size(e)], m = offsets[to_size(e + 1)] - begin;
    if (m == 0) continue;  // only routed experts are read
    tasks.push_back({static_cast<int>(e), &w_.experts[to_size(e)], xin.data() + begin * n_embd_, m,
                     yout.data() + begin * n_embd_});
  }
  executor_->run_all(ctx.layer, tasks);
  ops::for_rows(n, n > 16, [&](int64_t r) {
    float* o = out + r * n_embd_;
    std::fill(o, o + n_embd_, 0.0f);
    for (int64_t j = 0; j < k; ++j) {
      const int64_t slot = r * k + j;
      ops::axpy(gates[to_size(slot)], yout.data() + where[to_size(slot)] * n_embd_, n_embd_, o);
    }
  });

  if (w_.shared) {
    std::vector<float> shared(to_size(n * n_embd_));
    ffn_swiglu(*w_.shared, x, n, shared.data());
    std::vector<float> gate(to_size(n), 1.0f);
    if (w_.shared_gate) {
      ops::matmul(*w_.shared_gate, x, n, gate.data());
      for (float& g : gate) g = 1.0f / (1.0f + std::exp(-g));
    }
    for (int64_t r = 0; r < n; ++r)
      for (int64_t d = 0; d < n_embd_; ++d) out[r * n_embd_ + d] += gate[to_size(r)] * shared[to_size(r * n_embd_ + d)];
  }
}

}  // namespace hearth
