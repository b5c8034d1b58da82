// Qwen2-MoE (Qwen1.5-MoE, Qwen2-57B-A14B): Qwen2 attention (biases on q, k, v when qkv_bias,
// default true) with sparse MoE layers. A layer is sparse when it is not in mlp_only_layers,
// num_experts > 0 and (layer + 1) % decoder_sparse_step == 0; otherwise a dense MLP of
// intermediate_size. A sparse layer adds a shared expert (shared_expert_intermediate_size)
// scaled by sigmoid(shared_expert_gate x).
// Routing (modeling_qwen2_moe.py, Qwen2MoeSparseMoeBlock): softmax over experts, top-k,
// renormalise (no epsilon) if norm_topk_prob.
// Not supported: use_sliding_window = true (refused, not ignored).
#include "models/arch_common.h"
#include "models/registry.h"
#include "src/model/moe.h"

namespace hearth::models {

Result<std::unique_ptr<Model>> build_qwen2_moe(std::shared_ptr<const WeightSource> src, const LoadOptions& opt) {
  const std::string where = src->description() + "/config.json";
  ConfigReader r(src->config(), where);
  const DecoderDims dims = read_decoder_dims(r, /*tie_default=*/false);
  const RopeConfig rope = read_rope_config(r, dims.head_dim);
  r.check(!r.get_bool("use_sliding_window", false), "use_sliding_window = true is not supported");
  AttentionOptions attn;
  attn.qkv_bias = r.get_bool("qkv_bias", true);
  const RouterConfig router = read_qwen_moe_router(r);
  const SparseSchedule schedule = read_sparse_schedule(r, router.n_expert);
  HEARTH_TRY(r.status());

  bool any_sparse = false, any_dense = false;
  for (int64_t l = 0; l < dims.n_layer; ++l) (schedule.is_sparse(l) ? any_sparse : any_dense) = true;
  int64_t n_ff_expert = 0, n_ff_shared = 0;
  if (any_sparse) {
    HEARTH_TRY(router.validate().with_context(where));
    n_ff_expert = r.require_int("moe_intermediate_size");
    n_ff_shared = r.get_int("shared_expert_intermediate_size", 0);
    r.check(n_ff_expert > 0, "moe_intermediate_size must be positive");
    r.check(n_ff_shared >= 0, "shared_expert_intermediate_size must be >= 0");
  }
  if (any_dense) r.check(dims.n_ff > 0, "intermediate_size must be positive for the dense layers");

  TensorGetter t(*src);
  const std::shared_ptr<ExpertExecutor> experts = expert_executor(opt);
  return build_gqa_decoder(src, r, t, dims, rope, attn, "Qwen2MoeForCausalLM", opt,
                           [&](int64_t l, const std::string& p) -> std::unique_ptr<LayerBlock> {
    if (!schedule.is_sparse(l)) return std::make_unique<FfnSwiglu>(load_ffn(t, p + "mlp.", dims.n_embd, dims.n_ff));
    MoeWeights moe = load_routed_experts(t, p + "mlp.", router, dims.n_embd, n_ff_expert);
    if (n_ff_shared > 0) {
      moe.shared = load_ffn(t, p + "mlp.shared_expert.", dims.n_embd, n_ff_shared);
      moe.shared_gate = t.get(p + "mlp.shared_expert_gate.weight", {1, dims.n_embd});  // [1][n_embd]
    }
    return std::make_unique<MoeBlock>(router, std::move(moe), dims.n_embd, experts);
  });
}

}  // namespace hearth::models
