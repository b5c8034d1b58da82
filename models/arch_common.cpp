#include "models/arch_common.h"

#include <algorithm>

#include "models/registry.h"
#include "src/base/size.h"
#include "src/ops/ops.h"

namespace hearth::models {

DecoderDims read_decoder_dims(ConfigReader& r, bool tie_default) {
  DecoderDims dims;
  dims.n_vocab = r.require_int("vocab_size");
  dims.n_embd = r.require_int("hidden_size");
  dims.n_layer = r.require_int("num_hidden_layers");
  dims.n_ff = r.get_int("intermediate_size", 0);
  dims.n_head = r.require_int("num_attention_heads");
  dims.n_head_kv = r.get_int("num_key_value_heads", dims.n_head);
  dims.head_dim = r.get_int("head_dim", dims.n_head > 0 ? dims.n_embd / dims.n_head : 0);
  dims.rms_eps = static_cast<float>(r.get_double("rms_norm_eps", 1e-6));
  dims.tie_embeddings = r.get_bool("tie_word_embeddings", tie_default);
  dims.max_position = r.get_int("max_position_embeddings", 0);
  r.check(dims.n_vocab > 0 && dims.n_embd > 0 && dims.n_layer > 0 && dims.n_head > 0 && dims.head_dim > 0,
          "vocab_size, hidden_size, num_hidden_layers, num_attention_heads and head_dim must be positive");
  r.check(dims.n_head_kv > 0 && dims.n_head % std::max<int64_t>(dims.n_head_kv, 1) == 0,
          fmt::format("num_attention_heads ({}) must be a multiple of num_key_value_heads ({})", dims.n_head, dims.n_head_kv));
  const std::string act = r.get_string("hidden_act", "silu");
  r.check(act == "silu" || act == "swish",
          fmt::format("hidden_act '{}' is not supported (supported: silu)", act));
  return dims;
}

TensorGetter::TensorGetter(const WeightSource& source)
    : src_(source),
      packed_(std::make_shared<ops::PackedWeights>([&source](const TensorView& t) { source.drop_resident(t); })) {}

TensorView TensorGetter::get(const std::string& name, std::vector<int64_t> shape) {
  return for_matmul(get_rows(name, std::move(shape)));
}

TensorView TensorGetter::for_matmul(const TensorView& t) {
  if (!status_.is_ok() || t.data == nullptr) return t;
  return packed_->pack(t);
}

TensorView TensorGetter::get_rows(const std::string& name, std::vector<int64_t> shape) {
  if (!status_.is_ok()) return {};
  auto t = src_.tensor(name);
  if (!t) {
    status_ = t.status();
    return {};
  }
  if (t->shape != shape) {
    TensorView expect;
    expect.shape = shape;
    status_ = Status::errorf("{}: tensor '{}' has shape {} but config.json implies {}",
                             src_.description(), name, t->shape_string(), expect.shape_string());
    return {};
  }
  return t.value();
}

std::vector<float> TensorGetter::get_f32(const std::string& name, std::vector<int64_t> shape) {
  TensorView t = get_rows(name, std::move(shape));
  if (!status_.is_ok()) return {};
  return ops::to_f32(t);
}

std::unique_ptr<AttentionGqa> load_attention_gqa(TensorGetter& t, const std::string& prefix,
                                                 const DecoderDims& dims, const RopeConfig& rope,
                                                 const AttentionOptions& opt, int64_t* kv_width) {
  const int64_t q_w = dims.n_head * dims.head_dim, kv_w = dims.n_head_kv * dims.head_dim;
  const std::string p = prefix + "self_attn.";
  AttentionGqaWeights w;
  w.wq = t.get(p + "q_proj.weight", {q_w, dims.n_embd});
  w.wk = t.get(p + "k_proj.weight", {kv_w, dims.n_embd});
  w.wv = t.get(p + "v_proj.weight", {kv_w, dims.n_embd});
  w.wo = t.get(p + "o_proj.weight", {dims.n_embd, q_w});
  if (opt.qkv_bias) {
    w.bq = t.get_f32(p + "q_proj.bias", {q_w});
    w.bk = t.get_f32(p + "k_proj.bias", {kv_w});
    w.bv = t.get_f32(p + "v_proj.bias", {kv_w});
  }
  if (opt.o_bias) w.bo = t.get_f32(p + "o_proj.bias", {dims.n_embd});
  if (opt.qk_norm) {
    w.q_norm = t.get_f32(p + "q_norm.weight", {dims.head_dim});
    w.k_norm = t.get_f32(p + "k_norm.weight", {dims.head_dim});
  }
  AttentionGqaConfig c;
  c.n_embd = dims.n_embd;
  c.n_head = dims.n_head;
  c.n_head_kv = dims.n_head_kv;
  c.head_dim = dims.head_dim;
  c.qk_norm_eps = dims.rms_eps;
  c.rope = rope;
  c.sliding_window = opt.sliding_window;

  *kv_width = kv_w;
  return std::make_unique<AttentionGqa>(std::move(c), std::move(w));
}

FfnWeights load_ffn(TensorGetter& t, const std::string& prefix, int64_t n_embd, int64_t n_ff,
                    const char* gate, const char* up, const char* down) {
  FfnWeights w;
  w.gate = t.get(prefix + gate + ".weight", {n_ff, n_embd});
  w.up = t.get(prefix + up + ".weight", {n_ff, n_embd});
  w.down = t.get(prefix + down + ".weight", {n_embd, n_ff});
  return w;
}

MoeWeights load_routed_experts(TensorGetter& t, const std::string& prefix, const RouterConfig& router,
                               int64_t n_embd, int64_t n_ff_expert, const char* gate, const char* up,
                               const char* down) {
  MoeWeights moe;
  moe.router = t.get(prefix + "gate.weight", {router.n_expert, n_embd});  // [n_expert][n_embd]
  if (router.has_selection_bias)
    moe.selection_bias = t.get_f32(prefix + "gate.e_score_correction_bias", {router.n_expert});  // [n_expert]
  for (int64_t e = 0; e < router.n_expert; ++e)
    moe.experts.push_back(load_ffn(t, fmt::format("{}experts.{}.", prefix, e), n_embd, n_ff_expert, gate, up, down));
  return moe;
}

void load_layer_norms(TensorGetter& t, const std::string& prefix, const DecoderDims& dims, DecoderLayer& layer) {
  layer.attn_norm = t.get_f32(prefix + "input_layernorm.weight", {dims.n_embd});
  layer.ffn_norm = t.get_f32(prefix + "post_attention_layernorm.weight", {dims.n_embd});
}

namespace {

std::vector<int32_t> read_ids(const nlohmann::json& j, const char* key) {
  std::vector<int32_t> ids;
  auto it = j.find(key);
  if (it == j.end()) return ids;
  if (it->is_number_integer()) ids.push_back(it->get<int32_t>());
  if (it->is_array())
    for (const auto& e : *it)
      if (e.is_number_integer()) ids.push_back(e.get<int32_t>());
  return ids;
}

}  // namespace

void load_shell(TensorGetter& t, const ConfigReader& r, const WeightSource& src,
                const DecoderDims& dims, const std::string& architecture, TransformerSpec& spec) {
  spec.info.architecture = architecture;
  spec.info.n_vocab = dims.n_vocab;
  spec.info.n_embd = dims.n_embd;
  spec.info.n_layer = dims.n_layer;
  spec.info.max_position = dims.max_position;
  spec.info.eos_ids = read_ids(src.generation_config(), "eos_token_id");
  if (spec.info.eos_ids.empty()) spec.info.eos_ids = read_ids(r.json(), "eos_token_id");
  if (auto b = read_ids(r.json(), "bos_token_id"); !b.empty()) spec.info.bos_id = b[0];
  spec.norm_eps = dims.rms_eps;
  spec.token_embd = t.get_rows("model.embed_tokens.weight", {dims.n_vocab, dims.n_embd});
  spec.output_norm = t.get_f32("model.norm.weight", {dims.n_embd});
  if (dims.tie_embeddings) {
    spec.lm_head = t.for_matmul(spec.token_embd);
  } else {
    spec.lm_head = t.get("lm_head.weight", {dims.n_vocab, dims.n_embd});
  }
}

bool SparseSchedule::is_sparse(int64_t layer) const {
  return n_expert > 0 && std::find(mlp_only.begin(), mlp_only.end(), layer) == mlp_only.end() &&
         (layer + 1) % step == 0;
}

SparseSchedule read_sparse_schedule(ConfigReader& r, int64_t n_expert) {
  SparseSchedule s;
  s.n_expert = n_expert;
  s.step = r.get_int("decoder_sparse_step", 1);
  s.mlp_only = r.get_int_list("mlp_only_layers");
  r.check(s.step > 0, "decoder_sparse_step must be positive");
  if (s.step <= 0) s.step = 1;
  return s;
}

RouterConfig read_qwen_moe_router(ConfigReader& r) {
  RouterConfig router;
  router.scoring = RouterScoring::kSoftmax;
  router.n_expert = r.get_int("num_experts", 0);
  router.n_expert_used = r.get_int("num_experts_per_tok", 0);
  router.norm_topk_prob = r.get_bool("norm_topk_prob", false);
  return router;
}

Result<std::unique_ptr<Model>> build_gqa_decoder(std::shared_ptr<const WeightSource> src,
                                                 const ConfigReader& r, TensorGetter& t,
                                                 const DecoderDims& dims, const RopeConfig& rope,
                                                 const AttentionOptions& attn,
                                                 const std::string& architecture,
                                                 const LoadOptions& opt, const FfnBuilder& make_ffn) {
  HEARTH_TRY(r.status());
  TransformerSpec spec;
  load_shell(t, r, *src, dims, architecture, spec);
  for (int64_t l = 0; l < dims.n_layer; ++l) {
    const std::string p = fmt::format("model.layers.{}.", l);
    DecoderLayer layer;
    load_layer_norms(t, p, dims, layer);
    layer.attention = load_attention_gqa(t, p, dims, rope, attn, &layer.k_width);
    layer.v_width = layer.k_width;
    layer.ffn = make_ffn(l, p);
    spec.layers.push_back(std::move(layer));
  }
  return finish_transformer(std::move(src), r, t, std::move(spec), opt);
}

Result<std::unique_ptr<Model>> finish_transformer(std::shared_ptr<const WeightSource> src,
                                                  const ConfigReader& r, const TensorGetter& t,
                                                  TransformerSpec spec, const LoadOptions& opt) {
  HEARTH_TRY(r.status());
  HEARTH_TRY(t.status());
  spec.packed = t.packed();
  spec.threads = opt.threads;
  return std::unique_ptr<Model>(new Transformer(std::move(src), std::move(spec)));
}

std::shared_ptr<ExpertExecutor> expert_executor(const LoadOptions& opt) {
  return opt.experts ? opt.experts : std::make_shared<CpuExpertExecutor>();
}

}  // namespace hearth::models

namespace hearth::models {

Result<KvPlan> gqa_kv_plan(ConfigReader& r, const LoadOptions& /*options*/) {
  const DecoderDims dims = read_decoder_dims(r, /*tie_default=*/false);
  HEARTH_TRY(r.status());
  KvPlan plan;
  plan.form = fmt::format("GQA: {} kv heads x {} for {} query heads", dims.n_head_kv, dims.head_dim, dims.n_head);
  plan.cached.k_width.assign(to_size(dims.n_layer), dims.n_head_kv * dims.head_dim);
  plan.cached.v_width = plan.cached.k_width;
  plan.mha.k_width.assign(to_size(dims.n_layer), dims.n_head * dims.head_dim);
  plan.mha.v_width = plan.mha.k_width;
  return plan;
}

}  // namespace hearth::models
