// Token sampling from logits: repetition penalty, then greedy (temperature 0) or
// top-k -> temperature -> softmax -> top-p -> min-p -> draw. The same seed gives the same
// tokens. Not here: stop conditions (GenerateOptions::stop_ids in session.h, stop strings in
// text_stream.h).
#pragma once

#include <cstdint>
#include <random>
#include <span>

namespace hearth {

struct SamplerParams {
  float temperature = 0.7f;     // 0 = greedy (argmax, lowest id on ties)
  int32_t top_k = 40;           // 0 = all tokens
  float top_p = 0.95f;          // 1 = off
  float min_p = 0.05f;          // 0 = off; relative to the most likely token
  float repeat_penalty = 1.0f;  // 1 = off; > 1 discourages tokens seen in the last window
  int32_t repeat_last_n = 64;  // window of the penalty in tokens; negative = the whole history
  uint64_t seed = 0;
};

class Sampler {
 public:
  explicit Sampler(const SamplerParams& params);
  // logits is modified by the repetition penalty (temperature works on a copy); history =
  // tokens so far (prompt + output).
  int32_t sample(std::span<float> logits, std::span<const int32_t> history);
  const SamplerParams& params() const { return params_; }

 private:
  SamplerParams params_;
  std::mt19937_64 rng_;
};

int32_t argmax(std::span<const float> logits);

}  // namespace hearth
