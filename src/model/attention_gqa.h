// Grouped-query attention with a KV cache: q/k/v projections (optional biases, optional
// per-head RMSNorm of q and k as in Qwen3), RoPE, causal softmax(q k^T * scale) v over the
// sequence's cached positions, output projection. Multi-head and multi-query attention are
// the n_head_kv == n_head and n_head_kv == 1 cases. Intermediates: "attn_probs",
// "attn_o_in" (input of o_proj).
#pragma once

#include <vector>

#include "quant/tensor.h"
#include "src/kernels/kernel_types.h"
#include "src/model/attention_probs.h"
#include "src/model/kv_precision.h"
#include "src/model/layer_context.h"
#include "src/model/rope.h"

namespace hearth {

struct AttentionGqaConfig {
  int64_t n_embd = 0;
  int64_t n_head = 0;
  int64_t n_head_kv = 0;
  int64_t head_dim = 0;
  float qk_norm_eps = 1e-6f;
  float scale = 0;  // 0 = 1/sqrt(head_dim)
  RopeConfig rope;
  int64_t sliding_window = 0;  // > 0: a query sees only the last sliding_window positions
};

struct AttentionGqaWeights {
  TensorView wq, wk, wv, wo;          // [n_head*head_dim][n_embd], [n_head_kv*head_dim][n_embd] x2, [n_embd][n_head*head_dim]
  std::vector<float> bq, bk, bv;      // [n_head*head_dim], [n_head_kv*head_dim] x2; empty when absent
  std::vector<float> bo;              // [n_embd], empty when absent
  std::vector<float> q_norm, k_norm;  // [head_dim], empty when absent
};

class AttentionGqa final : public LayerBlock {
 public:
  AttentionGqa(AttentionGqaConfig config, AttentionGqaWeights weights);
  void forward(const LayerContext& ctx, const float* x, float* out) override;
  int64_t kv_width() const { return config_.n_head_kv * config_.head_dim; }

 private:
  // First visible position for a row whose context ends at `end` (sliding window, cache start).
  int64_t window_start(const KvLayerRows& kv, int64_t end) const;
  void attend_blocks(const LayerContext& ctx, const float* q, float* attn) const;
  void attend_decode(const LayerContext& ctx, const float* q, float* attn) const;
  // Batch rows that are the only row of their sequence (decode steps of many sequences): one
  // item per row, all its heads at once, as attend_decode does on one thread.
  void attend_lone_rows(const LayerContext& ctx, const std::vector<int64_t>& rows, const float* q, float* attn) const;
  struct FoldScratch;
  // Folds positions [lo, hi) of kv into the running softmax `state` of every query head of one
  // row (q: n_head x head_dim), a chunk at a time. Single-threaded.
  void fold_positions(const KvLayerRows& kv, const float* q, int64_t lo, int64_t hi, KvPrecision precision,
                      const kernels::AttendState& state, FoldScratch& scratch) const;
  void attend_row_by_row(const LayerContext& ctx, const float* q, float* attn,
                         AttentionProbsCapture& probs) const;

  AttentionGqaConfig config_;
  AttentionGqaWeights w_;
  Rope rope_;
};

// softmax(q . k_p * scale) over positions p in [0, n_pos) of one sequence, then the weighted
// sum of v_p into out. Shared by the attention variants; scores (n_pos) ends as the probabilities.
// k_at(p) / v_at(p) return the head's key / value row at position p; every row returned must
// stay valid until the call ends (rows[n_pos] is scratch for their addresses).
// Per-thread scratch of attend_one_head over up to max_ctx positions: scores, the rows'
// addresses, and for bf16 / q8 caches one decoded key and value row per position (the call
// holds them all at once); f32 rows are read in place and take no slot.
class AttendScratch {
 public:
  AttendScratch(KvPrecision precision, int64_t max_ctx, int64_t k_dim, int64_t v_dim);
  float* scores() { return scores_.data(); }
  const float** rows() { return rows_.data(); }
  float* k_slot(int64_t p) { return k_buf_.data() + p * k_slot_; }
  float* v_slot(int64_t p) { return v_buf_.data() + p * v_slot_; }

 private:
  int64_t k_slot_, v_slot_;
  std::vector<float> scores_, k_buf_, v_buf_;
  std::vector<const float*> rows_;
};

template <typename KeyFn, typename ValueFn>
void attend_one_head(const float* q, int64_t head_dim_k, int64_t head_dim_v, int64_t n_pos,
                     float scale, KeyFn k_at, ValueFn v_at, float* scores, const float** rows,
                     float* out);

}  // namespace hearth

#include "src/model/attention_gqa_inl.h"
