#include "src/model/mla_layout.h"

#include <string>

#include "src/base/size.h"

namespace hearth {

const char* mla_form_name(MlaForm form) { return form == MlaForm::kAbsorbed ? "absorbed" : "plain"; }

Result<MlaForm> parse_mla_form(std::string_view name) {
  if (name == "absorbed") return MlaForm::kAbsorbed;
  if (name == "plain") return MlaForm::kPlain;
  return Status::errorf("MLA form '{}' is not understood (expected absorbed or plain)", name);
}

Status MlaDims::validate() const {
  if (n_head <= 0) return Status::errorf("num_attention_heads must be positive, got {}", n_head);
  if (q_lora_rank < 0) return Status::errorf("q_lora_rank must be positive or null, got {}", q_lora_rank);
  if (kv_lora_rank <= 0) return Status::errorf("kv_lora_rank must be positive, got {}", kv_lora_rank);
  if (qk_nope_head_dim <= 0) return Status::errorf("qk_nope_head_dim must be positive, got {}", qk_nope_head_dim);
  if (qk_rope_head_dim <= 0 || qk_rope_head_dim % 2 != 0)
    return Status::errorf("qk_rope_head_dim must be even and positive, got {}", qk_rope_head_dim);
  if (v_head_dim <= 0) return Status::errorf("v_head_dim must be positive, got {}", v_head_dim);
  return Status::ok();
}

MlaDims read_mla_dims(ConfigReader& r) {
  MlaDims mla;
  mla.n_head = r.require_int("num_attention_heads");
  mla.q_lora_rank = r.get_optional_int("q_lora_rank").value_or(0);
  r.check(!r.has("q_lora_rank") || mla.q_lora_rank > 0, "field 'q_lora_rank' must be positive or null");
  mla.kv_lora_rank = r.require_int("kv_lora_rank");
  mla.qk_nope_head_dim = r.require_int("qk_nope_head_dim");
  mla.qk_rope_head_dim = r.require_int("qk_rope_head_dim");
  mla.v_head_dim = r.require_int("v_head_dim");
  if (r.status().is_ok()) {
    const Status s = mla.validate();
    if (!s.is_ok()) r.fail(s.message());
  }
  return mla;
}

void mla_kv_widths(const MlaDims& mla, MlaForm form, int64_t* k_width, int64_t* v_width) {
  if (form == MlaForm::kAbsorbed) {
    *k_width = mla.kv_lora_rank + mla.qk_rope_head_dim;
    *v_width = 0;
  } else {
    *k_width = mla.n_head * mla.qk_head_dim();
    *v_width = mla.n_head * mla.v_head_dim;
  }
}

KvCacheLayout mla_kv_layout(const MlaDims& mla, int64_t n_layer, MlaForm form) {
  KvCacheLayout layout;
  int64_t k = 0, v = 0;
  mla_kv_widths(mla, form, &k, &v);
  layout.k_width.assign(to_size(n_layer), k);
  layout.v_width.assign(to_size(n_layer), v);
  return layout;
}

}  // namespace hearth
