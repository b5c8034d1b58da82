// Mixtral: the Llama/Mistral attention with a sparse MoE in place of every MLP.
// Router "block_sparse_moe.gate"; experts w1 (gate), w3 (up), w2 (down).
// Routing (modeling_mixtral.py): softmax over all experts, top-k, renormalise (always).
#include "models/arch_common.h"
#include "models/registry.h"
#include "src/model/moe.h"

namespace hearth::models {

Result<std::unique_ptr<Model>> build_mixtral(std::shared_ptr<const WeightSource> src, const LoadOptions& opt) {
  ConfigReader r(src->config(), src->description() + "/config.json");
  const DecoderDims dims = read_decoder_dims(r, /*tie_default=*/false);
  const RopeConfig rope = read_rope_config(r, dims.head_dim);
  AttentionOptions attn;
  attn.sliding_window = r.get_int("sliding_window", 0);
  RouterConfig router;
  router.scoring = RouterScoring::kSoftmax;
  router.n_expert = r.require_int("num_local_experts");
  router.n_expert_used = r.require_int("num_experts_per_tok");
  router.norm_topk_prob = true;
  r.check(dims.n_ff > 0, "intermediate_size must be positive");
  HEARTH_TRY(r.status());
  HEARTH_TRY(router.validate().with_context(src->description() + "/config.json"));

  TensorGetter t(*src);
  const std::shared_ptr<ExpertExecutor> experts = expert_executor(opt);
  return build_gqa_decoder(src, r, t, dims, rope, attn, "MixtralForCausalLM", opt, [&](int64_t, const std::string& p) {
    MoeWeights moe = load_routed_experts(t, p + "block_sparse_moe.", router, dims.n_embd, dims.n_ff, "w1", "w3", "w2");
    return std::make_unique<MoeBlock>(router, std::move(moe), dims.n_embd, experts);
  });
}

}  // namespace hearth::models
