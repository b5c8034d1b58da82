// Qwen3-MoE: Qwen3 attention (q_norm/k_norm before RoPE) with sparse MoE layers.
// A layer is sparse when it is not in mlp_only_layers, num_experts > 0 and
// (layer + 1) % decoder_sparse_step == 0; otherwise a dense MLP of intermediate_size.
// Routing (modeling_qwen3_moe.py): softmax over experts, top-k, renormalise if norm_topk_prob.
#include "models/arch_common.h"
#include "models/registry.h"
#include "src/model/moe.h"

namespace hearth::models {

Result<std::unique_ptr<Model>> build_qwen3_moe(std::shared_ptr<const WeightSource> src, const LoadOptions& opt) {
  const std::string where = src->description() + "/config.json";
  ConfigReader r(src->config(), where);
  const DecoderDims dims = read_decoder_dims(r, /*tie_default=*/false);
  const RopeConfig rope = read_rope_config(r, dims.head_dim);
  r.check(!r.get_bool("use_sliding_window", false), "use_sliding_window = true is not supported");
  AttentionOptions attn;
  attn.qkv_bias = attn.o_bias = r.get_bool("attention_bias", false);
  attn.qk_norm = true;
  const RouterConfig router = read_qwen_moe_router(r);
  const SparseSchedule schedule = read_sparse_schedule(r, router.n_expert);
  bool any_sparse = false, any_dense = false;
  for (int64_t l = 0; l < dims.n_layer; ++l) (schedule.is_sparse(l) ? any_sparse : any_dense) = true;
  const int64_t n_ff_expert = any_sparse ? r.require_int("moe_intermediate_size") : 0;
  if (any_dense) r.check(dims.n_ff > 0, "intermediate_size must be positive for the dense layers");
  HEARTH_TRY(r.status());
  if (any_sparse) HEARTH_TRY(router.validate().with_context(where));

  TensorGetter t(*src);
  const std::shared_ptr<ExpertExecutor> experts = expert_executor(opt);
  return build_gqa_decoder(src, r, t, dims, rope, attn, "Qwen3MoeForCausalLM", opt,
                           [&](int64_t l, const std::string& p) -> std::unique_ptr<LayerBlock> {
    if (!schedule.is_sparse(l)) return std::make_unique<FfnSwiglu>(load_ffn(t, p + "mlp.", dims.n_embd, dims.n_ff));
    MoeWeights moe = load_routed_experts(t, p + "mlp.", router, dims.n_embd, n_ff_expert);
    return std::make_unique<MoeBlock>(router, std::move(moe), dims.n_embd, experts);
  });
}

}  // namespace hearth::models
