// Llama (and Mistral, which shares the layout): RMSNorm, GQA with RoPE (optionally llama3
// scaling, optional attention_bias on q/k/v/o, optional sliding window), SwiGLU MLP (optional
// mlp_bias), optional tied embeddings.
// HF reference: transformers/models/llama/modeling_llama.py.
#include "models/arch_common.h"
#include "models/registry.h"

namespace hearth::models {

Result<std::unique_ptr<Model>> build_llama(std::shared_ptr<const WeightSource> src, const LoadOptions& opt) {
  ConfigReader r(src->config(), src->description() + "/config.json");
  const DecoderDims dims = read_decoder_dims(r, /*tie_default=*/false);
  const RopeConfig rope = read_rope_config(r, dims.head_dim);
  AttentionOptions attn;
  attn.qkv_bias = attn.o_bias = r.get_bool("attention_bias", false);
  attn.sliding_window = r.get_int("sliding_window", 0);
  const bool mlp_bias = r.get_bool("mlp_bias", false);
  r.check(dims.n_ff > 0, "intermediate_size must be positive");

  TensorGetter t(*src);
  return build_gqa_decoder(src, r, t, dims, rope, attn, "LlamaForCausalLM", opt, [&](int64_t, const std::string& p) {
    FfnWeights ffn = load_ffn(t, p + "mlp.", dims.n_embd, dims.n_ff);
    if (mlp_bias) {
      ffn.gate_bias = t.get_f32(p + "mlp.gate_proj.bias", {dims.n_ff});  // [n_ff]
      ffn.up_bias = t.get_f32(p + "mlp.up_proj.bias", {dims.n_ff});      // [n_ff]
      ffn.down_bias = t.get_f32(p + "mlp.down_proj.bias", {dims.n_embd});  // [n_embd]
    }
    return std::make_unique<FfnSwiglu>(std::move(ffn));
  });
}

}  // namespace hearth::models
