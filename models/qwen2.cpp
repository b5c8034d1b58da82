// Qwen2: the Llama layout with biases on q, k and v (not o). Sliding-window attention
// (use_sliding_window) is refused rather than silently ignored.
// HF reference: transformers/models/qwen2/modeling_qwen2.py.
#include "models/arch_common.h"
#include "models/registry.h"

namespace hearth::models {

Result<std::unique_ptr<Model>> build_qwen2(std::shared_ptr<const WeightSource> src, const LoadOptions& opt) {
  ConfigReader r(src->config(), src->description() + "/config.json");
  const DecoderDims dims = read_decoder_dims(r, /*tie_default=*/false);
  const RopeConfig rope = read_rope_config(r, dims.head_dim);
  r.check(!r.get_bool("use_sliding_window", false), "use_sliding_window = true is not supported");
  r.check(dims.n_ff > 0, "intermediate_size must be positive");
  AttentionOptions attn;
  attn.qkv_bias = true;

  TensorGetter t(*src);
  return build_gqa_decoder(src, r, t, dims, rope, attn, "Qwen2ForCausalLM", opt, [&](int64_t, const std::string& p) {
    return std::make_unique<FfnSwiglu>(load_ffn(t, p + "mlp.", dims.n_embd, dims.n_ff));
  });
}

}  // namespace hearth::models
