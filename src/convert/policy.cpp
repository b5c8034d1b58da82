#include "src/convert/policy.h"

#include <algorithm>
#include <sstream>

namespace hearth::convert {
namespace {

constexpr std::string_view kClassNames[kClassCount] = {
    "experts", "shared_experts", "mlp", "attn", "embed", "lm_head", "router", "norm", "other"};

bool contains(std::string_view s, std::string_view part) { return s.find(part) != std::string_view::npos; }
bool ends_with(std::string_view s, std::string_view end) {
  return s.size() >= end.size() && s.substr(s.size() - end.size()) == end;
}

void set(QuantPolicy& p, TensorClass c, std::optional<Format> f) { p.format[static_cast<int>(c)] = f; }

}  // namespace

std::string_view class_name(TensorClass c) { return kClassNames[static_cast<int>(c)]; }

std::optional<TensorClass> class_from_name(std::string_view name) {
  for (int i = 0; i < kClassCount; ++i)
    if (kClassNames[i] == name) return static_cast<TensorClass>(i);
  return std::nullopt;
}

TensorClass classify_tensor(std::string_view n, bool embedding_is_lm_head) {
  if (contains(n, "embed_tokens")) return embedding_is_lm_head ? TensorClass::kLmHead : TensorClass::kEmbed;
  if (n == "lm_head.weight" || ends_with(n, ".lm_head.weight")) return TensorClass::kLmHead;
  if (contains(n, "norm")) return TensorClass::kNorm;  // *_layernorm, q_norm, k_norm, model.norm
  if (contains(n, "shared_expert_gate") || contains(n, "e_score_correction_bias") ||
      ends_with(n, ".mlp.gate.weight") || ends_with(n, ".block_sparse_moe.gate.weight"))
    return TensorClass::kRouter;
  if (contains(n, ".shared_expert.") || contains(n, ".shared_experts.")) return TensorClass::kSharedExperts;
  if (contains(n, ".experts.")) return TensorClass::kExperts;
  if (ends_with(n, ".bias")) return TensorClass::kOther;
  if (contains(n, ".self_attn.")) return TensorClass::kAttn;
  if (contains(n, ".mlp.")) return TensorClass::kMlp;
  return TensorClass::kOther;
}

Result<QuantPolicy> make_policy(const std::string& preset, const std::string& policy) {
  QuantPolicy p;
  p.preset = preset;
  const Format q8 = Format::kQ8G32, q6 = Format::kQ6G32, q4 = Format::kQ4G32NL;
  if (preset == "q8") {
    // The embedding stays in its source precision: a lookup reads one row per token, so it
    // costs no bandwidth, and 8-bit rounding of it was a quarter of q8's KL
    // (benchmarks/results/quality.md). Tied embeddings are the LM head and take q8.
    for (TensorClass c : {TensorClass::kExperts, TensorClass::kSharedExperts, TensorClass::kMlp,
                          TensorClass::kAttn, TensorClass::kLmHead, TensorClass::kOther})
      set(p, c, q8);
  } else if (preset == "q4") {
    // Measured on the tiny Qwen3-MoE (benchmarks/results/quality.md): the non-uniform 4-bit
    // codebook beats q4g32 and q4g32z at equal or lower bpw; the embedding and the LM head
    // are the most sensitive tensors per byte, and both at 6 bits beat 4 + 8 bits at the same
    // size.
    for (TensorClass c : {TensorClass::kExperts, TensorClass::kSharedExperts, TensorClass::kMlp,
                          TensorClass::kAttn, TensorClass::kOther})
      set(p, c, q4);
    set(p, TensorClass::kEmbed, q6);
    set(p, TensorClass::kLmHead, q6);
    // Routers stay float but at 16 bits: an f32 checkpoint's routers would otherwise push the
    // file past 5.0 bpw. float16, not bfloat16: 10 mantissa bits, and router weights sit well
    // inside its range.
    set(p, TensorClass::kRouter, Format::kF16);
    p.max_bpw = 5.0;
  } else if (!preset.empty()) {
    return Status::errorf("--quant '{}' is not a preset (expected q8 or q4)", preset);
  }
  std::stringstream ss(policy);
  std::string item;
  while (std::getline(ss, item, ',')) {
    item.erase(0, item.find_first_not_of(" \t"));
    item.erase(item.find_last_not_of(" \t") + 1);
    if (item.empty()) continue;
    const size_t eq = item.find('=');
    if (eq == std::string::npos)
      return Status::errorf("--policy item '{}' should be class=format (e.g. experts=q4g32)", item);
    const std::string cls = item.substr(0, eq), fmt_name = item.substr(eq + 1);
    auto c = class_from_name(cls);
    if (!c)
      return Status::errorf("--policy: unknown tensor class '{}' (expected one of experts, "
                            "shared_experts, mlp, attn, embed, lm_head, router, norm, other)", cls);
    p.from_user[static_cast<size_t>(*c)] = true;
    if (fmt_name == "keep") {
      set(p, *c, std::nullopt);
      continue;
    }
    auto f = format_from_name(fmt_name);
    if (!f)
      return Status::errorf("--policy: unknown format '{}' for {} (expected f32, f16, bf16, "
                            "q8g32, q6g32, q4g32, q4g32z, q4g32nl or keep)", fmt_name, cls);
    set(p, *c, *f);
  }
  return p;
}

std::string QuantPolicy::describe() const {
  std::string s;
  for (int i = 0; i < kClassCount; ++i) {
    if (i) s += ',';
    s.append(kClassNames[i]).append("=");
    s.append(format[i] ? format_traits(*format[i]).name : std::string_view("keep"));
  }
  return s;
}

nlohmann::json QuantPolicy::to_json() const {
  nlohmann::json j = nlohmann::json::object();
  j["preset"] = preset;
  j["search"] = search;
  for (int i = 0; i < kClassCount; ++i)
    j["classes"][std::string(kClassNames[i])] = format[i] ? std::string(format_traits(*format[i]).name) : "keep";
  return j;
}

Format choose_format(const QuantPolicy& policy, TensorClass cls, Format source,
                     const std::vector<int64_t>& shape, bool* fallback) {
  *fallback = false;
  const std::optional<Format> want = policy.format[static_cast<int>(cls)];
  if (!want || shape.size() < 2) return source;
  const FormatTraits& t = format_traits(*want);
  if (shape.back() % t.block_elements != 0) {
    *fallback = true;
    return source;
  }
  return *want;
}

double planned_bpw(const QuantPolicy& policy, const std::vector<TensorPlan>& tensors) {
  double bits = 0, params = 0;
  for (const TensorPlan& t : tensors) {
    double n = 1;
    for (int64_t d : t.shape) n *= static_cast<double>(d);
    bool fallback = false;
    bits += n * format_traits(choose_format(policy, t.cls, t.source, t.shape, &fallback)).bits_per_weight();
    params += n;
  }
  return params > 0 ? bits / params : 0.0;
}

std::string fit_budget(QuantPolicy& policy, const std::vector<TensorPlan>& tensors) {
  if (policy.max_bpw <= 0) return "";
  std::string changes;
  for (TensorClass c : {TensorClass::kEmbed, TensorClass::kLmHead}) {
    const double before = planned_bpw(policy, tensors);
    if (before <= policy.max_bpw) break;
    const auto i = static_cast<size_t>(c);
    const bool present = std::any_of(tensors.begin(), tensors.end(), [c](const TensorPlan& t) { return t.cls == c; });
    if (!present || policy.from_user[i] || policy.format[i] != Format::kQ6G32) continue;  // e.g. tied embeddings
    policy.format[i] = Format::kQ4G32NL;
    changes += fmt::format("budget: {} q6g32 -> q4g32nl ({:.3f} -> {:.3f} bpw; the preset's limit is {:.1f})\n",
                           class_name(c), before, planned_bpw(policy, tensors), policy.max_bpw);
  }
  return changes;
}

std::optional<Format> escalate_format(Format current, Format source) {
  if (!format_traits(current).quantized) return std::nullopt;
  if (current != Format::kQ8G32) return Format::kQ8G32;  // 4- and 6-bit formats step to 8-bit
  return source;
}

}  // namespace hearth::convert
