// `hearth bench --concurrency 1,4,16,...`: many sequences through the serving engine at once.
// Each level submits that many requests together (prompt -p tokens, -n generated each, greedy,
// end-of-sequence ignored) to a fresh engine whose KV pool is faulted in first (warm, as a
// running server's), and times every token as it arrives.
// Not here: the single-sequence pp/tg runs (cmd_bench.cpp).
#pragma once

#include <cstdint>
#include <vector>

#include <nlohmann/json.hpp>

#include "src/base/status.h"
#include "src/engine/engine.h"

namespace hearth::tools {

struct ConcurrencyLevel {
  int64_t sequences = 0;
  // Generated tokens per second once every sequence has its first token (all of them decoding:
  // the rate a step of that many decode rows sustains); and over the whole run, prompts included.
  double generated_tokens_per_s = 0, end_to_end_tokens_per_s = 0;
  double ttft_p50_s = 0, ttft_p95_s = 0;  // submit to first token
  double itl_p50_s = 0, itl_p95_s = 0;    // between a sequence's consecutive tokens
  int64_t peak_kv_bytes = 0;
  double prefix_hit_ratio = 0;            // prompt tokens taken from the prefix cache
  double first_ttft_s = 0;                // the first-submitted request's time to first token
  int64_t preemptions = 0;
  nlohmann::json to_json() const;
};

// prompts[i] is request i's prompt (one per sequence); errors: a refused or failed request.
Result<ConcurrencyLevel> run_concurrency_level(Model& model, const EngineOptions& options,
                                               const std::vector<std::vector<int32_t>>& prompts, int32_t n_gen);

}  // namespace hearth::tools
