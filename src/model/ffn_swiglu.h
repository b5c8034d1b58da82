// The gated MLP of Llama-family models: down( silu(gate x) * up x ).
// Also the body of every routed and shared expert.
#pragma once

#include <span>
#include <vector>

#include "quant/tensor.h"
#include "src/model/layer_context.h"

namespace hearth {

struct FfnWeights {
  TensorView gate;  // [n_ff][n_embd]
  TensorView up;    // [n_ff][n_embd]
  TensorView down;  // [n_embd][n_ff]
  std::vector<float> gate_bias, up_bias, down_bias;  // [n_ff], [n_ff], [n_embd]; empty when absent
};

// out[n][n_embd] = FFN(x[n][n_embd]); threaded through matmul.
void ffn_swiglu(const FfnWeights& w, const float* x, int64_t n, float* out);

// Several FFNs, each over its own rows (the routed experts of one MoE layer): all gate and up
// projections in one parallel loop, all down projections in another.
struct FfnTask {
  const FfnWeights* w;
  const float* x;  // [n][n_embd]
  int64_t n;
  float* out;      // [n][n_embd]
};
void ffn_swiglu_many(std::span<const FfnTask> tasks);

class FfnSwiglu final : public LayerBlock {
 public:
  explicit FfnSwiglu(FfnWeights w) : w_(std::move(w)) {}
  void forward(const LayerContext& ctx, const float* x, float* out) override {
    ffn_swiglu(w_, x, ctx.n_rows(), out);
  }

 private:
  FfnWeights w_;
};

}  // namespace hearth
