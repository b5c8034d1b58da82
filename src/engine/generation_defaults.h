// What every front end generates with unless told otherwise: one home, so `chat`, `generate`
// and the server to come agree.
// Not here: sampling defaults (SamplerParams, sampler.h), per-command flags.
#pragma once

#include <cstdint>
#include <vector>

#include "src/model/model.h"
#include "src/tokenizer/tokenizer.h"

namespace hearth {

// Prompt tokens per forward call during prefill: large enough to read each weight once for
// many rows, small enough to bound the activations' memory.
inline constexpr int64_t kPrefillBatch = 512;

// Token ids that end generation: the model's EOS ids (config.json, generation_config.json)
// and the tokenizer's eos_token (tokenizer_config.json), which chat models set to their
// end-of-turn token.
std::vector<int32_t> end_of_generation_ids(const Model& model, const Tokenizer& tok);

}  // namespace hearth
