// Which storage format each tensor of a checkpoint gets: tensor classes read from Hugging Face
// names, the presets (--quant q8 | q4), the explicit form
// (--policy 'experts=q4g32nl,attn=q8g32,...') and the float fallbacks.
// Not here: the arithmetic (quant/), measuring error or escalating on --max-error (convert.cpp).
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "quant/format.h"
#include "src/base/status.h"

namespace hearth::convert {

enum class TensorClass : uint8_t {
  kExperts,        // routed experts' gate/up/down
  kSharedExperts,  // shared experts (DeepSeek, Qwen2-MoE)
  kMlp,            // dense MLP layers
  kAttn,           // attention projections (GQA q/k/v/o, MLA q_a/q_b/kv_a/kv_b/o)
  kEmbed,          // token embedding
  kLmHead,         // output projection
  kRouter,         // expert routers, their biases, shared-expert gates
  kNorm,           // RMSNorm weights (incl. q_norm/k_norm, MLA's latent norms)
  kOther,          // anything else (biases, ...)
  kCount
};
inline constexpr int kClassCount = static_cast<int>(TensorClass::kCount);

std::string_view class_name(TensorClass c);
std::optional<TensorClass> class_from_name(std::string_view name);
// The class of a tensor from its Hugging Face name. With tied embeddings (no lm_head.weight in
// the checkpoint) the embedding matrix is also the LM head, a matmul every token, so it takes
// the LM head's class and format.
TensorClass classify_tensor(std::string_view hf_name, bool embedding_is_lm_head = false);

struct QuantPolicy {
  std::string preset;  // "q8", "q4", or "" (explicit policy only)
  // Per class: the format to store, or nullopt = keep the checkpoint's float format.
  std::array<std::optional<Format>, kClassCount> format{};
  bool search = true;  // false: round-to-nearest (the RTN baseline)
  std::array<bool, kClassCount> from_user{};  // classes --policy set (budget rules leave them)
  double max_bpw = 0;  // the preset's budget over all tensors (q4: 5.0); 0 = none

  std::string describe() const;  // "experts=q4g32nl,attn=q8g32,...,router=keep"
  nlohmann::json to_json() const;
};

// preset: "q8" or "q4" (or "" when `policy` names every class it needs); `policy` overrides
// classes: comma-separated class=format, format one of quant/format.h's names or "keep".
Result<QuantPolicy> make_policy(const std::string& preset, const std::string& policy);

// One tensor as the budget sees it.
struct TensorPlan {
  TensorClass cls;
  Format source;
  std::vector<int64_t> shape;
};

// Bits per weight of these tensors under the policy (choose_format per tensor).
double planned_bpw(const QuantPolicy& policy, const std::vector<TensorPlan>& tensors);

// Holds policy.max_bpw: while the tensors would exceed it, the vocabulary matrices step down
// from q6g32 to q4g32nl, the embedding first, then the LM head (classes from --policy are left
// alone). Returns one line per change ("" when none was needed), for the summary.
std::string fit_budget(QuantPolicy& policy, const std::vector<TensorPlan>& tensors);

// The format tensor `name` gets under `policy`: 1-D tensors and classes set to keep stay in
// the source format; a quantized format whose block does not divide the row length falls back
// to the source float format (*fallback is set). source must be a float format.
Format choose_format(const QuantPolicy& policy, TensorClass cls, Format source,
                     const std::vector<int64_t>& shape, bool* fallback);

// The next more precise format when a tensor exceeds --max-error: any 4-bit -> q8g32 ->
// the source float format. Returns nullopt when already lossless.
std::optional<Format> escalate_format(Format current, Format source);

}  // namespace hearth::convert
