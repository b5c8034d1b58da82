// Multi-head Latent Attention (MLA, DeepSeek-V2/V3) dimensions as read from a Hugging Face
// config, the choice between its two computation forms, and the KV cache layout each form
// needs. One function (mla_kv_layout) serves the model and the memory report
// (docs/DEEPSEEK.md, `hearth inspect --kv`), so the figures are the layout the model uses.
// Not the attention itself: see attention_mla.h.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "src/base/status.h"
#include "src/model/config_reader.h"
#include "src/model/kv_cache.h"

namespace hearth {

// How MLA is computed.
//  kAbsorbed: cache only the normalised latent (kv_lora_rank) plus the rotated rope key
//             (qk_rope_head_dim) per token; kv_b_proj is folded into the query (q_nope . W_UK)
//             and output (latent-weighted sum, then W_UV) sides. The decode form a CPU wants.
//  kPlain:    decompress the latent with kv_b_proj into per-head keys and values and cache
//             those, as Hugging Face does. The test reference.
enum class MlaForm { kAbsorbed, kPlain };

const char* mla_form_name(MlaForm form);

// "absorbed" or "plain" (mla_form_name's words); anything else is an error naming both.
Result<MlaForm> parse_mla_form(std::string_view name);

struct MlaDims {
  int64_t n_head = 0;
  int64_t q_lora_rank = 0;  // 0: plain q_proj (config "q_lora_rank": null)
  int64_t kv_lora_rank = 0;
  int64_t qk_nope_head_dim = 0;
  int64_t qk_rope_head_dim = 0;
  int64_t v_head_dim = 0;

  int64_t qk_head_dim() const { return qk_nope_head_dim + qk_rope_head_dim; }
  Status validate() const;
};

// Reads num_attention_heads, q_lora_rank (integer or null), kv_lora_rank, qk_nope_head_dim,
// qk_rope_head_dim, v_head_dim; problems are recorded in the reader.
MlaDims read_mla_dims(ConfigReader& r);

// Cache row widths (in values) of one MLA layer:
//   absorbed: k = kv_lora_rank + qk_rope_head_dim, v = 0
//   plain:    k = n_head * (qk_nope_head_dim + qk_rope_head_dim), v = n_head * v_head_dim
void mla_kv_widths(const MlaDims& mla, MlaForm form, int64_t* k_width, int64_t* v_width);

// The whole model's layout: n_layer MLA layers.
KvCacheLayout mla_kv_layout(const MlaDims& mla, int64_t n_layer, MlaForm form);

}  // namespace hearth
