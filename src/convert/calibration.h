// Activation statistics for importance-weighted quantization (--calibrate FILE): runs the
// float model over calibration text and collects, for every linear layer, the per-input-
// channel mean of x^2 over the tokens that reach it. Routed experts get their own statistics
// from the tokens routed to them; experts the text rarely reaches are blended toward the
// layer-wide statistics of the same input, by token count. The result maps a tensor's Hugging
// Face name to its importance vector [n_in], handed to quant/'s scale search.
// Not here: the scale search (quant/), choosing formats (policy.h).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "src/io/weight_source.h"
#include "src/model/model.h"

namespace hearth::convert {

struct ActivationStats {
  std::map<std::string, std::vector<float>> importance;  // HF tensor name -> [n_in]
  int64_t tokens = 0;
  int64_t windows = 0;
};

// Tokens routed to an expert count this much toward its own statistics against the layer's:
// imp = (n_e * mean_e + kBlendTokens * mean_layer) / (n_e + kBlendTokens).
inline constexpr double kBlendTokens = 64;

// Runs `model` (built on `source`, float weights) over `tokens` in windows of `ctx` tokens,
// each from position 0. on_progress(done_tokens, total) may be null.
Result<ActivationStats> collect_activation_stats(
    Model& model, const WeightSource& source, const std::vector<int32_t>& tokens, int64_t ctx,
    const std::function<void(int64_t, int64_t)>& on_progress = {});

}  // namespace hearth::convert
