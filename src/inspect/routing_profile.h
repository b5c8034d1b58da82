// Expert-routing profile of a token stream: per MoE layer, how often each expert was selected
// and with what gate weight (sum, mean), how many distinct experts a block of N consecutive
// tokens touches, the reuse-distance histogram (tokens since the same expert of the same layer
// was last selected), and optionally the per-token routing trace. Captured through the
// "router_choice" / "router_logits" probes of the MoE block. The JSON form (format
// "hearth.routing_profile", version 1, docs/TRANSPARENCY.md and docs/routing_profile.schema.json)
// is the input of hot-expert GPU placement: keep it stable, bump the version on any change.
// Not here: placement decisions, drawing (the PNG uses heatmap_png.h).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "src/base/status.h"
#include "src/inspect/heatmap_png.h"
#include "src/model/model.h"

namespace hearth {

inline constexpr int kRoutingProfileVersion = 1;

struct RoutingProfileOptions {
  int64_t ctx = 256;            // tokens per window; each window runs from position 0 in a fresh cache
  int64_t prefill_batch = 512;
  bool trace = false;           // keep every token's experts and weights
  std::vector<int64_t> coverage_tokens = {1, 4, 16, 64, 256};  // block sizes N for coverage
};

// Reuse distance bins: bin b holds distances d with kReuseBinUpper[b-1] < d <= kReuseBinUpper[b].
inline constexpr int kReuseBins = 17;  // upper bounds 1, 2, 4, ..., 65536; larger ones go to overflow

struct LayerRouting {
  int layer = 0;
  int64_t n_expert = 0;
  int64_t experts_per_token = 0;
  int64_t tokens = 0;
  std::vector<int64_t> count;       // [n_expert] times selected
  std::vector<double> weight_sum;   // [n_expert] sum of gate weights when selected
  std::vector<double> coverage_sum;     // [coverage N] sum over complete blocks of distinct experts
  std::vector<int64_t> coverage_blocks; // [coverage N] complete blocks seen
  std::vector<int64_t> reuse_counts;    // [kReuseBins]
  int64_t reuse_overflow = 0;           // distance > 65536
  int64_t first_use = 0;                // selections of an expert never selected before in this layer
};

struct RoutingTraceEntry {
  int64_t window = 0, position = 0;
  int32_t token = 0;
  std::vector<std::vector<int32_t>> experts;  // [moe layer][k]
  std::vector<std::vector<float>> weights;    // [moe layer][k]
};

struct RoutingProfile {
  std::string architecture;
  int64_t n_layer = 0;
  int64_t tokens = 0, ctx = 0, windows = 0;
  std::vector<int64_t> coverage_tokens;
  std::vector<LayerRouting> layers;  // MoE layers only, in layer order
  std::vector<RoutingTraceEntry> trace;
};

// progress(windows done, windows total) is called after each window (may be empty).
Result<RoutingProfile> profile_routing(Model& model, const std::vector<int32_t>& ids,
                                       const RoutingProfileOptions& options,
                                       const std::function<void(int64_t, int64_t)>& progress = {});

// The versioned JSON; pieces[i] is the display text of ids[i] for the trace (may be empty).
nlohmann::json routing_profile_json(const RoutingProfile& profile, const std::string& model_name,
                                    const std::vector<std::string>& pieces = {});

// Two panels, MoE layers x experts: selection share (count / (tokens * experts_per_token)) and
// mean gate weight.
std::vector<Heatmap> routing_heatmaps(const RoutingProfile& profile);

}  // namespace hearth
