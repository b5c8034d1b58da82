// Llama (and Mistral, which shares the layout): RMSNorm, GQA with RoPE (optionally llama3
// scaling, optional attention_bias on q/k/v/o), SwiGLU MLP, optional tied embeddings.
// HF reference: transformers/models/llama/modeling_llama.py.
#include "models/arch_common.h"
#include "models/registry.h"

namespace hearth::models {

Result<std::unique_ptr<Model>> build_llama(std::shared_ptr<const WeightSource> src) {
  ConfigReader r(src->config(), src->description() + "/config.json");
  const DecoderDims d = read_decoder_dims(r, /*tie_default=*/false);
  const RopeConfig rope = read_rope_config(r, d.head_dim);
  AttentionOptions attn;
  attn.qkv_bias = attn.o_bias = r.get_bool("attention_bias", false);
  attn.sliding_window = r.get_int("sliding_window", 0);
  const bool mlp_bias = r.get_bool("mlp_bias", false);
  r.check(d.n_ff > 0, "intermediate_size must be positive");
  HEARTH_TRY(r.status());

  TensorGetter t(*src);
  TransformerSpec spec;
  load_shell(t, r, *src, d, "LlamaForCausalLM", spec);
  for (int64_t l = 0; l < d.n_layer; ++l) {
    const std::string p = fmt::format("model.layers.{}.", l);
    DecoderLayer layer;
    load_layer_norms(t, p, d, layer);
    layer.attention = load_attention_gqa(t, p, d, rope, attn, &layer.k_width);
    layer.v_width = layer.k_width;
    FfnWeights ffn = load_ffn(t, p + "mlp.", d.n_embd, d.n_ff);
    if (mlp_bias) {
      ffn.gate_bias = t.get_f32(p + "mlp.gate_proj.bias", {d.n_ff});
      ffn.up_bias = t.get_f32(p + "mlp.up_proj.bias", {d.n_ff});
      ffn.down_bias = t.get_f32(p + "mlp.down_proj.bias", {d.n_embd});
    }
    layer.ffn = std::make_unique<FfnSwiglu>(std::move(ffn));
    spec.layers.push_back(std::move(layer));
  }
  return finish_transformer(std::move(src), r, t, std::move(spec));
}

}  // namespace hearth::models
