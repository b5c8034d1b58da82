// Qwen3 (dense): the Llama layout with per-head RMSNorm of q and k (q_norm, k_norm) applied
// before RoPE; explicit head_dim (128 in the released models, not hidden/heads);
// optional attention_bias on q/k/v/o.
// HF reference: transformers/models/qwen3/modeling_qwen3.py.
#include "models/arch_common.h"
#include "models/registry.h"

namespace hearth::models {

Result<std::unique_ptr<Model>> build_qwen3(std::shared_ptr<const WeightSource> src, const LoadOptions& opt) {
  ConfigReader r(src->config(), src->description() + "/config.json");
  const DecoderDims dims = read_decoder_dims(r, /*tie_default=*/false);
  const RopeConfig rope = read_rope_config(r, dims.head_dim);
  r.check(!r.get_bool("use_sliding_window", false), "use_sliding_window = true is not supported");
  r.check(dims.n_ff > 0, "intermediate_size must be positive");
  AttentionOptions attn;
  attn.qkv_bias = attn.o_bias = r.get_bool("attention_bias", false);
  attn.qk_norm = true;

  TensorGetter t(*src);
  return build_gqa_decoder(src, r, t, dims, rope, attn, "Qwen3ForCausalLM", opt, [&](int64_t, const std::string& p) {
    return std::make_unique<FfnSwiglu>(load_ffn(t, p + "mlp.", dims.n_embd, dims.n_ff));
  });
}

}  // namespace hearth::models
