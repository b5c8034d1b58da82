// One conversation over a Model: a serving engine of its own running one request at a time
// on the calling thread, so chat and generate share the engine's generation loop. Each turn's
// pages stay in the engine's prefix cache, so the next turn (multi-turn chat re-sends the
// whole history) computes only what is new, from the last whole KV page on.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "src/engine/engine.h"
#include "src/engine/generation_defaults.h"
#include "src/engine/sampler.h"
#include "src/model/model.h"

namespace hearth {

struct GenerateOptions {
  int32_t max_tokens = 256;
  bool ignore_eos = false;
  std::vector<int32_t> stop_ids;  // generation ends after emitting one of these (EOS ids)
  SamplerParams sampler;
};

enum class StopReason { kMaxTokens, kEos, kCallback, kContextFull };

struct GenerateStats {
  int64_t prompt_tokens = 0;   // tokens actually computed for the prompt (cached ones excluded)
  int64_t cached_tokens = 0;   // prompt tokens reused from the cache
  int64_t generated_tokens = 0;
  double prompt_seconds = 0;
  double generate_seconds = 0;
  StopReason stop = StopReason::kMaxTokens;
};

class Session {
 public:
  explicit Session(Model& model, int64_t prefill_batch = kPrefillBatch, KvPrecision kv = KvPrecision::kF32);

  // Makes the sequence equal `tokens` (reusing the cached prefix) and returns the logits of
  // the last token. Errors: empty input, ids out of range, context full.
  Result<std::vector<float>> feed(std::span<const int32_t> tokens, GenerateStats* stats = nullptr);

  // Feeds `prompt`, then samples up to max_tokens, calling on_token for each new token; the
  // callback returns false to stop (a stop string was seen, the user interrupted).
  Result<GenerateStats> generate(std::span<const int32_t> prompt, const GenerateOptions& options,
                                 const std::function<bool(int32_t)>& on_token);

  // The conversation so far: the last prompt and what was generated after it.
  const std::vector<int32_t>& tokens() const { return tokens_; }
  // Forgets the cached history.
  void reset();
  Model& model() { return model_; }

 private:
  // Runs one request to its end; the completion (its status set on errors).
  Completion run(Request request);

  Model& model_;
  std::unique_ptr<Engine> engine_;
  std::vector<int32_t> tokens_;
};

}  // namespace hearth
