// The synth shapes, their config.json and tensor lists (see synth_shapes.h).
#include "models/synth_shapes.h"

#include <cmath>

namespace hearth::models {
namespace {

using nlohmann::json;

//  name                  moe    n_embd layers n_ff  heads kv  hd   vocab   experts used tied
constexpr SynthShape kShapes[] = {
    {"bench-qwen3-0.6b", false, 1024, 28, 3072, 16, 8, 128, 151936, 0, 0, true},
    {"bench-qwen3moe-1b", true, 2048, 8, 768, 16, 4, 128, 151936, 32, 4, false},
    {"smoke-qwen3", false, 128, 2, 256, 4, 2, 32, 1024, 0, 0, true},
    {"smoke-qwen3moe", true, 128, 2, 64, 4, 2, 32, 1024, 5, 2, false},
};

}  // namespace

std::span<const SynthShape> synth_shapes() { return kShapes; }

const SynthShape* find_synth_shape(const std::string& name) {
  for (const SynthShape& s : kShapes)
    if (name == s.name) return &s;
  return nullptr;
}

std::string synth_shape_names() {
  std::string names;
  for (const SynthShape& s : kShapes) names += std::string(names.empty() ? "" : ", ") + s.name;
  return names;
}

json synth_config(const SynthShape& s) {
  json c = {{"attention_bias", false}, {"attention_dropout", 0.0}, {"bos_token_id", s.n_vocab - 3},
            {"eos_token_id", s.n_vocab - 1}, {"head_dim", s.head_dim}, {"hidden_act", "silu"},
            {"hidden_size", s.n_embd}, {"initializer_range", 0.02}, {"max_position_embeddings", 40960},
            {"max_window_layers", s.n_layer}, {"num_attention_heads", s.n_head},
            {"num_hidden_layers", s.n_layer}, {"num_key_value_heads", s.n_head_kv},
            {"rms_norm_eps", 1e-06}, {"rope_scaling", nullptr}, {"rope_theta", 1000000.0},
            {"sliding_window", nullptr}, {"tie_word_embeddings", s.tie_embeddings}, {"torch_dtype", "bfloat16"},
            {"transformers_version", "4.57.1"}, {"use_cache", true}, {"use_sliding_window", false},
            {"vocab_size", s.n_vocab}};
  if (s.moe) {
    c["architectures"] = {"Qwen3MoeForCausalLM"};
    c["model_type"] = "qwen3_moe";
    c.update({{"decoder_sparse_step", 1}, {"intermediate_size", 3 * s.n_embd}, {"mlp_only_layers", json::array()},
              {"moe_intermediate_size", s.n_ff}, {"norm_topk_prob", true}, {"num_experts", s.n_expert},
              {"num_experts_per_tok", s.n_expert_used}, {"output_router_logits", false},
              {"router_aux_loss_coef", 0.001}});
  } else {
    c["architectures"] = {"Qwen3ForCausalLM"};
    c["model_type"] = "qwen3";
    c["intermediate_size"] = s.n_ff;
  }
  return c;
}

json synth_generation_config(const SynthShape& s) {
  return json{{"bos_token_id", s.n_vocab - 3}, {"eos_token_id", s.n_vocab - 1}, {"do_sample", false}};
}

std::vector<SynthTensor> synth_tensors(const SynthShape& s) {
  const int64_t H = s.n_embd, hd = s.head_dim;
  const float lin_h = 1.0f / std::sqrt(static_cast<float>(H));  // linear layers reading n_embd
  std::vector<SynthTensor> t;
  t.push_back({"model.embed_tokens.weight", {s.n_vocab, H}, s.tie_embeddings ? 2.0f * lin_h : 1.0f, 0.0f});
  for (int64_t i = 0; i < s.n_layer; ++i) {
    const std::string p = "model.layers." + std::to_string(i) + ".";
    t.push_back({p + "self_attn.q_proj.weight", {s.n_head * hd, H}, lin_h, 0});
    t.push_back({p + "self_attn.k_proj.weight", {s.n_head_kv * hd, H}, lin_h, 0});
    t.push_back({p + "self_attn.v_proj.weight", {s.n_head_kv * hd, H}, lin_h, 0});
    t.push_back({p + "self_attn.o_proj.weight", {H, s.n_head * hd}, 1.0f / std::sqrt(float(s.n_head * hd)), 0});
    t.push_back({p + "self_attn.q_norm.weight", {hd}, 0.1f, 1.0f});
    t.push_back({p + "self_attn.k_norm.weight", {hd}, 0.1f, 1.0f});
    auto ffn = [&](const std::string& q) {
      t.push_back({q + "gate_proj.weight", {s.n_ff, H}, lin_h, 0});
      t.push_back({q + "up_proj.weight", {s.n_ff, H}, lin_h, 0});
      t.push_back({q + "down_proj.weight", {H, s.n_ff}, 1.0f / std::sqrt(float(s.n_ff)), 0});
    };
    if (s.moe) {
      t.push_back({p + "mlp.gate.weight", {s.n_expert, H}, 2.0f * lin_h, 0});
      for (int64_t e = 0; e < s.n_expert; ++e) ffn(p + "mlp.experts." + std::to_string(e) + ".");
    } else {
      ffn(p + "mlp.");
    }
    t.push_back({p + "input_layernorm.weight", {H}, 0.1f, 1.0f});
    t.push_back({p + "post_attention_layernorm.weight", {H}, 0.1f, 1.0f});
  }
  t.push_back({"model.norm.weight", {H}, 0.1f, 1.0f});
  if (!s.tie_embeddings) t.push_back({"lm_head.weight", {s.n_vocab, H}, 2.0f * lin_h, 0});
  return t;
}

}  // namespace hearth::models
