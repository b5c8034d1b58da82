// Collects one layer's attention probabilities for the "attn_probs" probe, shared by every
// attention variant: [n_rows][n_head][max_ctx], positions outside a row's window left 0.
// Inactive (nothing allocated or copied) when no probe asks for them.
#pragma once

#include <algorithm>
#include <vector>

#include "src/base/size.h"
#include "src/model/layer_context.h"

namespace hearth {

class AttentionProbsCapture {
 public:
  AttentionProbsCapture(const LayerContext& ctx, int64_t n_head)
      : ctx_(ctx), n_head_(n_head), active_(ctx.probing("attn_probs")) {
    for (int64_t p : ctx.batch.positions) max_ctx_ = std::max<int64_t>(max_ctx_, p + 1);
    if (active_) probs_.assign(to_size(ctx.n_rows() * n_head_ * max_ctx_), 0.0f);
  }

  bool active() const { return active_; }

  // Longest context any row of the batch sees (positions + 1): the size of score scratch.
  int64_t max_ctx() const { return max_ctx_; }

  // Row `row`, head `head` attended positions [first_pos, first_pos + len) with `probs`.
  void store(int64_t row, int64_t head, int64_t first_pos, const float* probs, int64_t len) {
    if (active_) std::copy(probs, probs + len, probs_.begin() + (row * n_head_ + head) * max_ctx_ + first_pos);
  }

  // Hands the collected probabilities to the probe (after every row and head is stored).
  void publish() {
    if (!active_) return;
    const int64_t shape[3] = {ctx_.n_rows(), n_head_, max_ctx_};
    ctx_.probe->capture("attn_probs", ctx_.layer, shape, probs_);
  }

 private:
  const LayerContext& ctx_;
  int64_t n_head_;
  bool active_;
  int64_t max_ctx_ = 0;
  std::vector<float> probs_;
};

}  // namespace hearth
