// `hearth verify`: how far a (quantized) model drifts from a reference on the same text.
// Both run over consecutive non-overlapping windows of `ctx` tokens, each evaluated from
// position 0, and EVERY predicted position of a window is scored (a window of c tokens scores
// c - 1 predictions; llama.cpp's perplexity scores only the second half of each window, so
// its figures are not directly comparable). Reported: perplexity of both, KL(P_ref || P_model)
// per position (mean / median / p99 / max), top-1 agreement, mean |p_ref - p_model| of the
// correct next token, and per-layer cosine similarity of the residual stream (probe "hidden").
// Not here: loading models or tokenizing (tools/cmd_verify.cpp), quantization (src/convert/).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "src/model/model.h"

namespace hearth::verify {

struct VerifyOptions {
  int64_t ctx = 256;
  KvPrecision kv_reference = KvPrecision::kF32;  // KV cache precision of each side; the model
  KvPrecision kv_model = KvPrecision::kF32;      // against itself at --kv q8 measures the cache alone
};

struct LayerAgreement {
  int layer = 0;
  double cos_mean = 0, cos_min = 0;  // over every token position
};

struct VerifyReport {
  int64_t tokens = 0;   // tokens read
  int64_t scored = 0;   // predictions scored
  int64_t windows = 0;
  int64_t ctx = 0;
  KvPrecision kv_reference = KvPrecision::kF32, kv_model = KvPrecision::kF32;
  double ppl_reference = 0, ppl_model = 0;
  double kl_mean = 0, kl_median = 0, kl_p99 = 0, kl_max = 0;
  double top1_agreement = 0;     // fraction of positions whose argmax tokens agree
  double mean_abs_dp_correct = 0; // mean |p_ref(correct) - p_model(correct)|
  std::vector<LayerAgreement> layers;
};

// on_progress(done_tokens, total_tokens) may be null.
Result<VerifyReport> compare_models(Model& reference, Model& model, const std::vector<int32_t>& tokens,
                                    const VerifyOptions& opt,
                                    const std::function<void(int64_t, int64_t)>& on_progress = {});

nlohmann::json to_json(const VerifyReport& r);
std::string to_text(const VerifyReport& r);

}  // namespace hearth::verify
