#include "src/model/router.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "src/base/size.h"

namespace hearth {

Status RouterConfig::validate() const {
  if (n_expert <= 0) return Status::errorf("number of experts must be positive, got {}", n_expert);
  if (n_expert_used <= 0 || n_expert_used > n_expert)
    return Status::errorf("experts per token must be in 1..{}, got {}", n_expert, n_expert_used);
  if (n_group <= 0 || n_expert % n_group != 0)
    return Status::errorf("n_group {} must divide the {} experts", n_group, n_expert);
  if (topk_group <= 0 || topk_group > n_group)
    return Status::errorf("topk_group must be in 1..n_group ({}), got {}", n_group, topk_group);
  if (n_group > 1 && topk_group * (n_expert / n_group) < n_expert_used)
    return Status::errorf("topk_group {} groups of {} experts cannot supply {} experts per token",
                          topk_group, n_expert / n_group, n_expert_used);
  return Status::ok();
}

void route_token(const RouterConfig& c, const float* logits, const float* bias, int32_t* ids,
                 float* weights) {
  const auto n = to_size(c.n_expert);
  std::vector<double> scores(n), choice(n);
  if (c.scoring == RouterScoring::kSoftmax) {
    const double mx = *std::max_element(logits, logits + n);
    double sum = 0;
    for (size_t e = 0; e < n; ++e) sum += scores[e] = std::exp(static_cast<double>(logits[e]) - mx);
    for (double& s : scores) s /= sum;
  } else {
    for (size_t e = 0; e < n; ++e) scores[e] = 1.0 / (1.0 + std::exp(-static_cast<double>(logits[e])));
  }
  for (size_t e = 0; e < n; ++e) choice[e] = scores[e] + (bias ? bias[e] : 0.0);

  // Group-limited selection: keep the topk_group best groups, mask the rest.
  if (c.n_group > 1) {
    const auto per_group = n / to_size(c.n_group);
    std::vector<double> group_scores(to_size(c.n_group));
    for (size_t g = 0; g < group_scores.size(); ++g) {
      std::vector<double> s(choice.begin() + static_cast<long>(g * per_group),
                            choice.begin() + static_cast<long>((g + 1) * per_group));
      std::sort(s.begin(), s.end(), std::greater<>());
      group_scores[g] = c.group_score == GroupScore::kMax ? s[0] : s[0] + (s.size() > 1 ? s[1] : 0.0);
    }
    std::vector<size_t> order(group_scores.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(),
                     [&](size_t a, size_t b) { return group_scores[a] > group_scores[b]; });
    std::vector<bool> keep(group_scores.size(), false);
    for (int64_t i = 0; i < c.topk_group; ++i) keep[order[to_size(i)]] = true;
    for (size_t e = 0; e < n; ++e)
      if (!keep[e / per_group]) choice[e] = -INFINITY;
  }

  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  const auto k = to_size(c.n_expert_used);
  std::partial_sort(order.begin(), order.begin() + static_cast<long>(k), order.end(),
                    [&](size_t a, size_t b) { return choice[a] > choice[b] || (choice[a] == choice[b] && a < b); });
  double sum = 0;
  for (size_t i = 0; i < k; ++i) sum += scores[order[i]];
  const bool renorm = c.norm_topk_prob && (k > 1 || !c.scale_only_unnormalised);
  for (size_t i = 0; i < k; ++i) {
    double w = scores[order[i]];
    if (renorm) w /= (sum + c.norm_epsilon);
    if (!c.scale_only_unnormalised || !renorm) w *= c.routed_scaling_factor;
    ids[i] = static_cast<int32_t>(order[i]);
    weights[i] = static_cast<float>(w);
  }
}

}  // namespace hearth
