// Shared pieces of the architecture files: the config fields every decoder reads, a tensor
// getter that checks shapes against the config, and loaders for the standard attention and
// MLP weights. An architecture file stays a short, readable wiring of these blocks.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "src/io/weight_source.h"
#include "src/model/attention_gqa.h"
#include "src/model/config_reader.h"
#include "src/model/ffn_swiglu.h"
#include "src/model/load_options.h"
#include "src/model/moe.h"
#include "src/model/router.h"
#include "src/model/transformer.h"
#include "src/ops/packed_weights.h"

namespace hearth::models {

// Fields common to Llama-style decoders, read and checked once.
struct DecoderDims {
  int64_t n_vocab = 0, n_embd = 0, n_layer = 0, n_ff = 0;
  int64_t n_head = 0, n_head_kv = 0, head_dim = 0;
  float rms_eps = 1e-6f;
  bool tie_embeddings = false;
  int64_t max_position = 0;
};

// Reads vocab_size, hidden_size, num_hidden_layers, intermediate_size (if present),
// num_attention_heads, num_key_value_heads, head_dim, rms_norm_eps, tie_word_embeddings,
// max_position_embeddings, and checks hidden_act is SiLU.
DecoderDims read_decoder_dims(ConfigReader& r, bool tie_default);

// Fetches tensors, checking existence and shape; the first problem is kept. Matrices the
// model multiplies by (get) are repacked for the kernels (src/ops/packed_weights.h) and the
// original pages given back; lookups (get_rows: embeddings) and vectors stay as stored.
class TensorGetter {
 public:
  explicit TensorGetter(const WeightSource& source);
  TensorView get(const std::string& name, std::vector<int64_t> shape);
  TensorView get_rows(const std::string& name, std::vector<int64_t> shape);
  std::vector<float> get_f32(const std::string& name, std::vector<int64_t> shape);
  // t (from get_rows) prepared for matmul as get() would: the tied LM head.
  TensorView for_matmul(const TensorView& t);
  bool has(const std::string& name) const { return src_.has_tensor(name); }
  Status status() const { return status_; }
  // The packed copies the returned views point into; the model keeps them alive.
  std::shared_ptr<ops::PackedWeights> packed() const { return packed_; }

 private:
  const WeightSource& src_;
  Status status_;
  std::shared_ptr<ops::PackedWeights> packed_;
};

struct AttentionOptions {
  bool qkv_bias = false;  // Qwen2: q, k, v carry biases
  bool o_bias = false;    // Llama attention_bias: o_proj too
  bool qk_norm = false;   // Qwen3: per-head RMSNorm of q and k before RoPE
  int64_t sliding_window = 0;
};

// "<prefix>self_attn.{q,k,v,o}_proj" (+ biases, q_norm/k_norm).
std::unique_ptr<AttentionGqa> load_attention_gqa(TensorGetter& t, const std::string& prefix,
                                                 const DecoderDims& dims, const RopeConfig& rope,
                                                 const AttentionOptions& opt, int64_t* kv_width);

// "<prefix>{gate,up,down}_name" with the given FFN width.
FfnWeights load_ffn(TensorGetter& t, const std::string& prefix, int64_t n_embd, int64_t n_ff,
                    const char* gate = "gate_proj", const char* up = "up_proj",
                    const char* down = "down_proj");

// The routed part of a sparse MoE layer as Hugging Face stores it under prefix
// ("model.layers.3.mlp."): the router "<prefix>gate.weight" [n_expert][n_embd], its selection
// bias "<prefix>gate.e_score_correction_bias" [n_expert] when the router has one (DeepSeek-V3),
// and the experts "<prefix>experts.<e>.{gate,up,down}.weight" of width n_ff_expert (load_ffn).
// Shared experts and their gates are left to the caller: their names differ per family.
MoeWeights load_routed_experts(TensorGetter& t, const std::string& prefix, const RouterConfig& router,
                               int64_t n_embd, int64_t n_ff_expert, const char* gate = "gate_proj",
                               const char* up = "up_proj", const char* down = "down_proj");

// Embedding, final norm, LM head (tied or not), info: the parts around the layers.
void load_shell(TensorGetter& t, const ConfigReader& r, const WeightSource& src,
                const DecoderDims& dims, const std::string& architecture, TransformerSpec& spec);

// Layer norms "<prefix>input_layernorm" and "<prefix>post_attention_layernorm".
void load_layer_norms(TensorGetter& t, const std::string& prefix, const DecoderDims& dims, DecoderLayer& layer);

// Which layers of a Qwen-MoE style model are sparse: not in mlp_only_layers, experts > 0 and
// (layer + 1) % decoder_sparse_step == 0. Reads decoder_sparse_step and mlp_only_layers.
struct SparseSchedule {
  int64_t n_expert = 0;
  int64_t step = 1;
  std::vector<int64_t> mlp_only;
  bool is_sparse(int64_t layer) const;
};
SparseSchedule read_sparse_schedule(ConfigReader& r, int64_t n_expert);

// The Qwen-MoE router (Qwen2-MoE, Qwen3-MoE): softmax over num_experts, top
// num_experts_per_tok, renormalised when norm_topk_prob.
RouterConfig read_qwen_moe_router(ConfigReader& r);

// Builds the standard pre-norm decoder with GQA attention: for every layer the two norms,
// attention from load_attention_gqa, and the FFN block that make_ffn returns for it.
using FfnBuilder = std::function<std::unique_ptr<LayerBlock>(int64_t layer, const std::string& prefix)>;
Result<std::unique_ptr<Model>> build_gqa_decoder(std::shared_ptr<const WeightSource> src,
                                                 const ConfigReader& r, TensorGetter& t,
                                                 const DecoderDims& dims, const RopeConfig& rope,
                                                 const AttentionOptions& attn,
                                                 const std::string& architecture,
                                                 const LoadOptions& opt, const FfnBuilder& make_ffn);

// Collects config/tensor errors and builds the model as the load options say.
Result<std::unique_ptr<Model>> finish_transformer(std::shared_ptr<const WeightSource> src,
                                                  const ConfigReader& r, const TensorGetter& t,
                                                  TransformerSpec spec, const LoadOptions& opt);

// The executor a model's MoE blocks share: the load options' one, else a CPU executor.
std::shared_ptr<ExpertExecutor> expert_executor(const LoadOptions& opt);

}  // namespace hearth::models
