// Multi-head Latent Attention (DeepSeek-V2/V3) with a KV cache, in two forms that agree to
// float rounding (see MlaForm in mla_layout.h):
//   query:  q = q_b(rms_norm(q_a x)) or q_proj x        -> per head [q_nope | q_pe]
//   kv:     [c_kv | k_pe] = kv_a_proj_with_mqa x; c_kv = rms_norm(c_kv); k_pe shared by heads
//   RoPE on q_pe / k_pe only, softmax scale (qk_nope + qk_rope)^-0.5 (times YaRN mscale^2)
//   plain:    k_h = [W_UK_h c_kv | k_pe], v_h = W_UV_h c_kv, softmax(q_h k_h) v_h
//   absorbed: score = (W_UK_h^T q_nope_h) . c_kv + q_pe_h . k_pe; o_h = W_UV_h sum_p a_p c_kv_p
// where kv_b_proj = per head [W_UK_h (qk_nope rows) ; W_UV_h (v_head_dim rows)].
// References: HF modeling_deepseek_v3.py (DeepseekV3Attention), DeepSeek-V3 inference/model.py
// (MLA, attn_impl "naive" = plain, "absorb" = absorbed). Intermediates: "attn_probs",
// "attn_o_in" (input of o_proj). Attention starts at the sequence's first cached position.
// Not here: reading the config (models/deepseek.cpp), the cache layout math (mla_layout.h).
#pragma once

#include <vector>

#include "quant/tensor.h"
#include "src/model/layer_context.h"
#include "src/model/mla_layout.h"
#include "src/model/rope.h"

namespace hearth {

struct AttentionMlaConfig {
  int64_t n_embd = 0;
  MlaDims dims;
  float norm_eps = 1e-6f;  // q_a_layernorm / kv_a_layernorm
  float scale = 0;         // softmax scale; 0 = qk_head_dim^-0.5
  RopeConfig rope;         // rot_dim = qk_rope_head_dim; layout as the checkpoint stores it
  MlaForm form = MlaForm::kAbsorbed;
};

struct AttentionMlaWeights {
  TensorView wq;                     // [n_head*qk_head_dim][n_embd]      when q_lora_rank == 0
  TensorView wq_a;                   // [q_lora_rank][n_embd]             when q_lora_rank > 0
  std::vector<float> bq_a;           // [q_lora_rank], empty when absent (attention_bias)
  std::vector<float> q_a_norm;       // [q_lora_rank]
  TensorView wq_b;                   // [n_head*qk_head_dim][q_lora_rank]
  TensorView wkv_a;                  // [kv_lora_rank + qk_rope_head_dim][n_embd]
  std::vector<float> bkv_a;          // [kv_lora_rank + qk_rope_head_dim], empty when absent
  std::vector<float> kv_a_norm;      // [kv_lora_rank]
  TensorView wkv_b;                  // [n_head*(qk_nope_head_dim + v_head_dim)][kv_lora_rank]
  TensorView wo;                     // [n_embd][n_head*v_head_dim]
  std::vector<float> bo;             // [n_embd], empty when absent
};

class AttentionMla final : public LayerBlock {
 public:
  AttentionMla(AttentionMlaConfig config, AttentionMlaWeights weights);
  void forward(const LayerContext& ctx, const float* x, float* out) override;

  // This layer's cache row widths for its form.
  int64_t k_width() const;
  int64_t v_width() const;
  const AttentionMlaConfig& config() const { return config_; }

 private:
  // q [n][n_head*qk_head_dim] with RoPE applied; writes the cache rows of every batch row.
  void project(const LayerContext& ctx, const float* x, std::vector<float>& q);
  void attend_plain(const LayerContext& ctx, const float* q, float* attn);
  void attend_absorbed(const LayerContext& ctx, const float* q, float* attn);

  AttentionMlaConfig config_;
  AttentionMlaWeights w_;
  Rope rope_;
  // kv_b_proj split per head as float32, precomputed at load for the absorbed form:
  std::vector<float> w_uk_;  // [n_head][qk_nope_head_dim][kv_lora_rank]
  std::vector<float> w_uv_;  // [n_head][v_head_dim][kv_lora_rank]
};

}  // namespace hearth
