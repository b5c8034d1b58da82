// DeepSeek-V3 / R1 (DeepseekV3ForCausalLM) and DeepSeek-V2 / V2-Lite (DeepseekV2ForCausalLM):
// Multi-head Latent Attention (src/model/attention_mla.h, absorbed or plain form as the load
// options say), the first first_k_dense_replace layers (and layers off moe_layer_freq) a dense
// SwiGLU MLP, the others DeepSeekMoE: n_routed_experts routed experts plus n_shared_experts
// shared ones fused into one FFN, no gate on the shared part.
// References: HF modeling_deepseek_v3.py (DeepseekV3Attention, DeepseekV3TopkRouter,
// DeepseekV3MoE); DeepSeek-V3 inference/model.py (Gate: the bias only selects experts);
// DeepSeek-V2's own modeling_deepseek.py (MoEGate; its softmax_scale mscale^2 under YaRN and
// its renormalise-or-scale rule, which HF's native V2 port drops).
// Not here: the multi-token-prediction layers (num_nextn_predict_layers) that published V3
// checkpoints carry after the last layer; inference ignores them, as HF does.
#include <cmath>

#include "models/arch_common.h"
#include "models/registry.h"
#include "src/model/attention_mla.h"
#include "src/model/moe.h"

namespace hearth::models {
namespace {

// What differs between the two families, including the config defaults of each
// (DeepseekV3Config in transformers; DeepseekV2Config in DeepSeek-V2's configuration_deepseek.py).
struct DeepseekVariant {
  const char* architecture;
  bool v2_gate;  // DeepSeek-V2 MoEGate: softmax only; renormalise (top_k > 1) or scale, never both
  const char* default_scoring;
  const char* default_topk_method;
  bool default_norm_topk_prob;
  double default_routed_scaling_factor;
  int64_t default_first_k_dense_replace;
};

constexpr DeepseekVariant kDeepseekV3{"DeepseekV3ForCausalLM", false, "sigmoid", "noaux_tc", true, 2.5, 3};
constexpr DeepseekVariant kDeepseekV2{"DeepseekV2ForCausalLM", true, "softmax", "greedy", false, 1.0, 0};

// Softmax scale: qk_head_dim^-0.5, times mscale^2 when rope_scaling carries mscale_all_dim
// (DeepseekV3Attention.__init__; DeepSeek-V2 DeepseekV2Attention.softmax_scale).
float mla_softmax_scale(const ConfigReader& r, const MlaDims& dims) {
  double scale = 1.0 / std::sqrt(static_cast<double>(dims.qk_head_dim()));
  const nlohmann::json& j = r.json();
  if (j.contains("rope_scaling") && j["rope_scaling"].is_object()) {
    const nlohmann::json& s = j["rope_scaling"];
    const double all_dim = s.contains("mscale_all_dim") && s["mscale_all_dim"].is_number() ? s["mscale_all_dim"].get<double>() : 0.0;
    const double factor = s.contains("factor") && s["factor"].is_number() ? s["factor"].get<double>() : 1.0;
    if (all_dim != 0) {
      const double m = yarn_get_mscale(factor, all_dim);
      scale *= m * m;
    }
  }
  return static_cast<float>(scale);
}

// Router rule from scoring_func / topk_method / n_group / topk_group / norm_topk_prob /
// routed_scaling_factor; problems are recorded in the reader.
RouterConfig read_deepseek_router(ConfigReader& r, const DeepseekVariant& v, int64_t n_expert) {
  RouterConfig c;
  c.n_expert = n_expert;
  c.n_expert_used = r.require_int("num_experts_per_tok");
  const std::string scoring = r.get_string("scoring_func", v.default_scoring);
  if (scoring == "softmax") {
    c.scoring = RouterScoring::kSoftmax;
  } else if (scoring == "sigmoid" && !v.v2_gate) {
    c.scoring = RouterScoring::kSigmoid;
  } else {
    r.fail(fmt::format("scoring_func '{}' is not supported for {} (supported: {})", scoring, v.architecture,
                       v.v2_gate ? "softmax" : "sigmoid, softmax"));
  }
  const std::string method = r.get_string("topk_method", v.default_topk_method);
  if (method == "noaux_tc" && !v.v2_gate) {
    c.has_selection_bias = true;  // e_score_correction_bias
    c.group_score = GroupScore::kSumTop2;
  } else if (method == "group_limited_greedy") {
    c.group_score = GroupScore::kMax;
  } else if (method != "greedy") {
    r.fail(fmt::format("topk_method '{}' is not supported for {} (supported: {})", method, v.architecture,
                       v.v2_gate ? "greedy, group_limited_greedy" : "noaux_tc, group_limited_greedy, greedy"));
  }
  if (method != "greedy") {  // greedy ignores the groups
    c.n_group = r.require_int("n_group");
    c.topk_group = r.require_int("topk_group");
  }
  c.norm_topk_prob = r.get_bool("norm_topk_prob", v.default_norm_topk_prob);
  c.routed_scaling_factor = r.get_double("routed_scaling_factor", v.default_routed_scaling_factor);
  c.scale_only_unnormalised = v.v2_gate;
  c.norm_epsilon = 1e-20;
  return c;
}

AttentionMlaWeights load_mla(TensorGetter& t, const std::string& p, const MlaDims& m, int64_t n_embd, bool bias) {
  const int64_t q_w = m.n_head * m.qk_head_dim(), kv_a_w = m.kv_lora_rank + m.qk_rope_head_dim;
  AttentionMlaWeights w;
  if (m.q_lora_rank > 0) {
    w.wq_a = t.get(p + "q_a_proj.weight", {m.q_lora_rank, n_embd});
    if (bias) w.bq_a = t.get_f32(p + "q_a_proj.bias", {m.q_lora_rank});
    w.q_a_norm = t.get_f32(p + "q_a_layernorm.weight", {m.q_lora_rank});
    w.wq_b = t.get(p + "q_b_proj.weight", {q_w, m.q_lora_rank});
  } else {
    w.wq = t.get(p + "q_proj.weight", {q_w, n_embd});
  }
  w.wkv_a = t.get(p + "kv_a_proj_with_mqa.weight", {kv_a_w, n_embd});
  if (bias) w.bkv_a = t.get_f32(p + "kv_a_proj_with_mqa.bias", {kv_a_w});
  w.kv_a_norm = t.get_f32(p + "kv_a_layernorm.weight", {m.kv_lora_rank});
  w.wkv_b = t.get(p + "kv_b_proj.weight", {m.n_head * (m.qk_nope_head_dim + m.v_head_dim), m.kv_lora_rank});
  w.wo = t.get(p + "o_proj.weight", {n_embd, m.n_head * m.v_head_dim});
  if (bias) w.bo = t.get_f32(p + "o_proj.bias", {n_embd});
  return w;
}

Result<std::unique_ptr<Model>> build_deepseek(std::shared_ptr<const WeightSource> src, const DeepseekVariant& v,
                                              const LoadOptions& opt) {
  const std::string where = src->description() + "/config.json";
  ConfigReader r(src->config(), where);
  const DecoderDims dims = read_decoder_dims(r, /*tie_default=*/false);
  const MlaDims mla = read_mla_dims(r);
  HEARTH_TRY(r.status());
  const MlaForm form = opt.mla;

  AttentionMlaConfig attn;
  attn.n_embd = dims.n_embd;
  attn.dims = mla;
  attn.norm_eps = dims.rms_eps;
  attn.scale = mla_softmax_scale(r, mla);
  attn.rope = read_rope_config(r, mla.qk_rope_head_dim);
  // V2's code always stores the rope dims as interleaved pairs; V3 says so with rope_interleave.
  // HF de-interleaves and rotates halves: the same as rotating pairs (2i, 2i+1) in place.
  attn.rope.layout = (v.v2_gate || r.get_bool("rope_interleave", true)) ? RopeLayout::kInterleaved : RopeLayout::kHalf;
  attn.form = form;
  const bool attn_bias = r.get_bool("attention_bias", false);

  const int64_t n_routed = r.get_optional_int("n_routed_experts").value_or(0);
  const int64_t first_dense = r.get_int("first_k_dense_replace", v.default_first_k_dense_replace);
  const int64_t moe_freq = r.get_int("moe_layer_freq", 1);
  const int64_t n_shared = r.get_optional_int("n_shared_experts").value_or(0);
  r.check(first_dense >= 0, "first_k_dense_replace must be >= 0");
  r.check(moe_freq > 0, "moe_layer_freq must be positive");
  r.check(n_routed >= 0 && n_shared >= 0, "n_routed_experts and n_shared_experts must be >= 0 or null");
  HEARTH_TRY(r.status());
  // DeepseekV2DecoderLayer / DeepseekV3DecoderLayer (DeepSeek's code): which layers are MoE.
  auto is_moe = [&](int64_t l) { return n_routed > 0 && l >= first_dense && l % moe_freq == 0; };
  bool any_moe = false, any_dense = false;
  for (int64_t l = 0; l < dims.n_layer; ++l) (is_moe(l) ? any_moe : any_dense) = true;
  RouterConfig router;
  int64_t n_ff_expert = 0;
  if (any_moe) {
    router = read_deepseek_router(r, v, n_routed);
    n_ff_expert = r.require_int("moe_intermediate_size");
    r.check(n_ff_expert > 0, "moe_intermediate_size must be positive");
    HEARTH_TRY(r.status());
    HEARTH_TRY(router.validate().with_context(where));
  }
  if (any_dense) r.check(dims.n_ff > 0, "intermediate_size must be positive for the dense layers");
  HEARTH_TRY(r.status());

  TensorGetter t(*src);
  const std::shared_ptr<ExpertExecutor> experts = expert_executor(opt);
  TransformerSpec spec;
  load_shell(t, r, *src, dims, v.architecture, spec);
  for (int64_t l = 0; l < dims.n_layer; ++l) {
    const std::string p = fmt::format("model.layers.{}.", l);
    DecoderLayer layer;
    load_layer_norms(t, p, dims, layer);
    AttentionMlaWeights aw = load_mla(t, p + "self_attn.", mla, dims.n_embd, attn_bias);
    if (!t.status().is_ok()) break;  // weights missing: report the first problem
    auto attention = std::make_unique<AttentionMla>(attn, std::move(aw));
    layer.k_width = attention->k_width();
    layer.v_width = attention->v_width();
    layer.attention = std::move(attention);
    if (is_moe(l)) {
      MoeWeights moe = load_routed_experts(t, p + "mlp.", router, dims.n_embd, n_ff_expert);
      if (n_shared > 0) moe.shared = load_ffn(t, p + "mlp.shared_experts.", dims.n_embd, n_ff_expert * n_shared);
      layer.ffn = std::make_unique<MoeBlock>(router, std::move(moe), dims.n_embd, experts);
    } else {
      layer.ffn = std::make_unique<FfnSwiglu>(load_ffn(t, p + "mlp.", dims.n_embd, dims.n_ff));
    }
    spec.layers.push_back(std::move(layer));
  }
  return finish_transformer(std::move(src), r, t, std::move(spec), opt);
}

}  // namespace

Result<KvPlan> mla_kv_plan(ConfigReader& r, const LoadOptions& options) {
  const DecoderDims dims = read_decoder_dims(r, /*tie_default=*/false);
  const MlaDims mla = read_mla_dims(r);
  HEARTH_TRY(r.status());
  const MlaForm form = options.mla;
  KvPlan plan;
  plan.form = form == MlaForm::kAbsorbed
                  ? fmt::format("MLA absorbed: latent {} + rope key {}", mla.kv_lora_rank, mla.qk_rope_head_dim)
                  : fmt::format("MLA plain: {} heads x (key {} + value {})", mla.n_head, mla.qk_head_dim(), mla.v_head_dim);
  plan.cached = mla_kv_layout(mla, dims.n_layer, form);
  plan.mha = mla_kv_layout(mla, dims.n_layer, MlaForm::kPlain);
  return plan;
}

Result<std::unique_ptr<Model>> build_deepseek_v3(std::shared_ptr<const WeightSource> src, const LoadOptions& opt) {
  return build_deepseek(std::move(src), kDeepseekV3, opt);
}

Result<std::unique_ptr<Model>> build_deepseek_v2(std::shared_ptr<const WeightSource> src, const LoadOptions& opt) {
  return build_deepseek(std::move(src), kDeepseekV2, opt);
}

}  // namespace hearth::models
