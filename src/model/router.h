// Mixture-of-Experts routing: from one token's router logits to its chosen experts and their
// weights. Every family's rule is a RouterConfig value, never code per model:
//  - softmax over all experts, top-k, optional renormalisation (Mixtral: always; Qwen-MoE:
//    norm_topk_prob; DeepSeek-V2: softmax + greedy / group_limited_greedy);
//  - sigmoid scores with a selection bias and group-limited top-k (DeepSeek-V3 noaux_tc):
//    the bias only selects experts, the weights come from the unbiased scores
//    (DeepSeek-V3 inference/model.py, class Gate).
#pragma once

#include <cstdint>
#include <vector>

#include "src/base/status.h"

namespace hearth {

enum class RouterScoring { kSoftmax, kSigmoid };
enum class GroupScore {
  kMax,      // group_limited_greedy: best expert score in the group
  kSumTop2   // noaux_tc: sum of the two best (biased) scores in the group
};

struct RouterConfig {
  RouterScoring scoring = RouterScoring::kSoftmax;
  int64_t n_expert = 0;
  int64_t n_expert_used = 0;
  bool norm_topk_prob = false;
  double routed_scaling_factor = 1.0;
  // DeepSeek-V2 applies the scaling factor only when the weights are not renormalised.
  bool scale_only_unnormalised = false;
  int64_t n_group = 1;     // experts are split into n_group equal groups
  int64_t topk_group = 1;  // groups kept before the top-k (when n_group > 1)
  GroupScore group_score = GroupScore::kMax;
  bool has_selection_bias = false;
  // Denominator guard added when renormalising (DeepSeek adds 1e-20; Qwen/Mixtral none).
  double norm_epsilon = 0.0;

  Status validate() const;
};

// ids/weights receive n_expert_used entries, best first. bias may be null.
void route_token(const RouterConfig& config, const float* logits, const float* bias,
                 int32_t* ids, float* weights);

}  // namespace hearth
