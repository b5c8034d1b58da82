// The Mixture-of-Experts block: router -> top-k per token -> group the batch's tokens by
// expert (counts -> offsets -> permutation) -> each selected expert runs once over its
// tokens via the ExpertExecutor -> scatter back weighted by the router. Optional shared
// experts run on every token (DeepSeek: added; Qwen2-MoE: scaled by a sigmoid gate).
// Intermediates: "router_probs" ([n_rows][n_expert]) and "router_choice" ([n_rows][k][2]).
#pragma once

#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "src/model/ffn_swiglu.h"
#include "src/model/layer_context.h"
#include "src/model/router.h"

namespace hearth {

// Where an expert runs. The CPU executor is the first; a GPU executor holding hot experts
// slots in here without touching architecture files.
class ExpertExecutor {
 public:
  virtual ~ExpertExecutor() = default;
  // out[n][n_embd] = expert(x[n][n_embd]) for the rows routed to (layer, expert).
  virtual void run(int layer, int expert, const FfnWeights& w, const float* x, int64_t n, float* out) = 0;
  // Every routed expert of one layer (tasks[i].expert, .w, .x, .n, .out). Default: run() for
  // each in turn; an executor that can overlap them overrides it.
  struct Task {
    int expert;
    const FfnWeights* w;
    const float* x;
    int64_t n;
    float* out;
  };
  virtual void run_all(int layer, std::span<const Task> tasks) {
    for (const Task& t : tasks) run(layer, t.expert, *t.w, t.x, t.n, t.out);
  }
};

class CpuExpertExecutor final : public ExpertExecutor {
 public:
  void run(int layer, int expert, const FfnWeights& w, const float* x, int64_t n, float* out) override {
    ffn_swiglu(w, x, n, out);
  }
  // All experts' gate/up projections in one parallel loop, all down projections in another
  // (decode: 2 forks per layer instead of 2 per expert).
  void run_all(int layer, std::span<const Task> tasks) override;
};

struct MoeWeights {
  TensorView router;                    // [n_expert][n_embd]
  std::vector<float> selection_bias;    // [n_expert], empty when absent (DeepSeek-V3)
  std::vector<FfnWeights> experts;      // [n_expert]
  std::optional<FfnWeights> shared;     // shared expert(s), fused into one FFN
  std::optional<TensorView> shared_gate;  // [1][n_embd]: sigmoid gate on the shared expert
};

class MoeBlock final : public LayerBlock {
 public:
  // executor: where this block's experts run (shared by a model's MoE blocks; never null).
  MoeBlock(RouterConfig router, MoeWeights weights, int64_t n_embd, std::shared_ptr<ExpertExecutor> executor);
  void forward(const LayerContext& ctx, const float* x, float* out) override;

 private:
  RouterConfig router_;
  MoeWeights w_;
  int64_t n_embd_;
  std::shared_ptr<ExpertExecutor> executor_;
};

}  // namespace hearth
