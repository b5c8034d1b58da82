// Attention maps of one prompt: the softmax probabilities every head of every layer used
// (captured through the "attn_probs" probe of the attention blocks, GQA and MLA alike), the
// head mean, and attention rollout across layers (Abnar & Zuidema 2020). These are the numbers
// the heatmaps draw; nothing here renders.
// Not here: drawing (heatmap_png.h, heatmap_html.h), batching several prompts.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "src/base/size.h"
#include "src/base/status.h"
#include "src/model/model.h"

namespace hearth {

class Tokenizer;

// One square matrix [n_query][n_key], row-major; query i attends keys 0..i (causal).
struct SquareMatrix {
  int64_t n = 0;
  std::vector<float> v;  // [n][n]
  float at(int64_t q, int64_t k) const { return v[to_size(q * n + k)]; }
};

struct AttentionMaps {
  std::vector<int32_t> token_ids;    // [n_tok]
  std::vector<std::string> tokens;   // [n_tok] display text of each token (UTF-8)
  int64_t n_layer = 0;
  int64_t n_head = 0;
  // probs[layer][head] : [n_tok][n_tok]; probs[layer] is empty for a layer not captured.
  std::vector<std::vector<SquareMatrix>> probs;

  int64_t n_tok() const { return static_cast<int64_t>(token_ids.size()); }
  bool has_layer(int64_t layer) const {
    return layer >= 0 && layer < n_layer && !probs[to_size(layer)].empty();
  }
};

// Runs `ids` through a fresh KV cache of `model` (prefill in chunks of prefill_batch tokens)
// and keeps the attention probabilities of `layers` (empty = all). Errors: empty prompt, a
// layer out of range, a model that does not expose "attn_probs".
Result<AttentionMaps> capture_attention(Model& model, const std::vector<int32_t>& ids,
                                        const std::vector<int>& layers = {}, int64_t prefill_batch = 512);

// Display text of each token: the token decoded on its own; control characters are escaped
// ("\n" shows as the two characters \ n), an empty piece as its vocabulary string.
std::vector<std::string> token_labels(const Tokenizer& tokenizer, const std::vector<int32_t>& ids);

// Mean over heads of one layer.
SquareMatrix head_mean(const AttentionMaps& maps, int64_t layer);

// Attention rollout (Abnar & Zuidema 2020, "Quantifying Attention Flow in Transformers", eq. for
// raw attention rollout): per layer A_l = mean over heads, A'_l = row-normalise(A_l + I), then
// R = A'_{L-1} ... A'_1 A'_0 (the product runs from the first layer up). R[q][k] says how much
// query token q, at the last layer, draws on input token k through all residual paths.
// Needs every layer captured.
Result<SquareMatrix> attention_rollout(const AttentionMaps& maps);

// A named matrix to draw ("layer 3 head 1", "layer 3 mean", "rollout").
struct HeatmapPanel {
  std::string title;
  SquareMatrix m;
};

// Selection as the `attention` command takes it: layer "all" or a number, head "mean", "all" or
// a number; "rollout" as layer gives the rollout panel. Errors name the valid range.
Result<std::vector<HeatmapPanel>> select_panels(const AttentionMaps& maps, const std::string& layer,
                                                const std::string& head);

// The part of the JSON file (attention_json) and the HTML page's data (heatmap_html.cpp) that
// both share, each matrix encoded by `matrix`: layers = [{"layer": l, <heads_key>: [matrix(head),
// ...]}, ...] over the captured layers, and rollout = matrix(rollout) when every layer was
// captured, null otherwise.
using MatrixToJson = std::function<nlohmann::json(const SquareMatrix&)>;
struct AttentionLayersJson {
  nlohmann::json layers;
  nlohmann::json rollout;
};
AttentionLayersJson attention_layers_json(const AttentionMaps& maps, const std::string& heads_key,
                                          const MatrixToJson& matrix);

// The machine-readable form (format "hearth.attention", version 1; docs/TRANSPARENCY.md):
// tokens, and probs[layer][head][q][k] for the captured layers, with rollout when all layers are.
nlohmann::json attention_json(const AttentionMaps& maps);

}  // namespace hearth
