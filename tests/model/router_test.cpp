// MoE router (src/model/router.h) against hand-computed cases: every DeepSeek topk_method
// (noaux_tc with a selection bias that changes the chosen groups and experts,
// group_limited_greedy, greedy), softmax vs sigmoid scoring, norm_topk_prob with and without
// DeepSeek-V2's "renormalise or scale" rule, routed_scaling_factor, and DeepSeek's -inf masking
// of dropped groups. Scores are chosen so the arithmetic can be checked by hand: logits are
// log(p) (softmax of them is p when sum p = 1) or logit(s) (sigmoid of them is s).
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "src/model/router.h"

namespace hearth {
namespace {

std::vector<float> log_of(const std::vector<double>& p) {
  std::vector<float> out;
  for (double v : p) out.push_back(static_cast<float>(std::log(v)));
  return out;
}

std::vector<float> logit_of(const std::vector<double>& s) {
  std::vector<float> out;
  for (double v : s) out.push_back(static_cast<float>(std::log(v / (1 - v))));
  return out;
}

struct Routed {
  std::vector<int32_t> ids;
  std::vector<float> weights;
};

Routed route(const RouterConfig& c, const std::vector<float>& logits, const std::vector<float>& bias = {}) {
  EXPECT_TRUE(c.validate().is_ok()) << c.validate().message();
  Routed r;
  r.ids.resize(static_cast<size_t>(c.n_expert_used));
  r.weights.resize(static_cast<size_t>(c.n_expert_used));
  route_token(c, logits.data(), bias.empty() ? nullptr : bias.data(), r.ids.data(), r.weights.data());
  return r;
}

void expect_routed(const Routed& got, const std::vector<int32_t>& ids, const std::vector<double>& weights) {
  ASSERT_EQ(got.ids, ids);
  for (size_t i = 0; i < weights.size(); ++i) EXPECT_NEAR(got.weights[i], weights[i], 2e-6) << "slot " << i;
}

// DeepSeek-V3 noaux_tc: sigmoid, 8 experts in 4 groups of 2, keep 2 groups, top-2, renormalise,
// times 2.5. Group score = sum of the two best biased scores.
RouterConfig v3_config() {
  RouterConfig c;
  c.scoring = RouterScoring::kSigmoid;
  c.n_expert = 8;
  c.n_expert_used = 2;
  c.n_group = 4;
  c.topk_group = 2;
  c.group_score = GroupScore::kSumTop2;
  c.has_selection_bias = true;
  c.norm_topk_prob = true;
  c.routed_scaling_factor = 2.5;
  c.norm_epsilon = 1e-20;
  return c;
}

const std::vector<double> kV3Scores = {0.9, 0.05, 0.5, 0.4, 0.6, 0.5, 0.2, 0.1};

TEST(Router, NoauxTcWithoutBias) {
  // groups: 0.95, 0.9, 1.1, 0.3 -> keep groups 2 and 0 -> experts 0 (0.9), 4 (0.6)
  // weights 0.9/1.5, 0.6/1.5, times 2.5
  expect_routed(route(v3_config(), logit_of(kV3Scores), std::vector<float>(8, 0.0f)), {0, 4}, {1.5, 1.0});
}

TEST(Router, NoauxTcBiasChangesGroupsAndExperts) {
  // bias +0.3 on group 1: biased group scores 0.95, 1.5, 1.1, 0.3 -> keep groups 1 and 2; expert 0
  // (the best unbiased score) is out. Candidates 0.8, 0.7, 0.6, 0.5 -> experts 2, 3.
  // Weights from the UNBIASED scores 0.5, 0.4: 0.5/0.9*2.5, 0.4/0.9*2.5.
  const std::vector<float> bias = {0, 0, 0.3f, 0.3f, 0, 0, 0, 0};
  expect_routed(route(v3_config(), logit_of(kV3Scores), bias), {2, 3}, {0.5 / 0.9 * 2.5, 0.4 / 0.9 * 2.5});
}

TEST(Router, NoauxTcDroppedGroupsAreMinusInfinity) {
  // DeepSeek-V3 inference/model.py (Gate) masks dropped groups with -inf: with all biased scores of
  // the kept group negative, its experts are still chosen (HF's 0.0 fill would pick the dropped ones).
  RouterConfig c = v3_config();
  c.n_expert = 4;
  c.n_group = 2;
  c.topk_group = 1;
  const std::vector<float> bias = {-0.6f, -0.6f, -0.9f, -0.9f};
  // biased: -0.3, -0.4 | -0.4, -0.45 -> group 0 (-0.7) over group 1 (-0.85)
  expect_routed(route(c, logit_of({0.3, 0.2, 0.5, 0.45}), bias), {0, 1}, {0.6 * 2.5, 0.4 * 2.5});
}

TEST(Router, NoauxTcWithoutRenormalisation) {
  RouterConfig c = v3_config();
  c.norm_topk_prob = false;
  expect_routed(route(c, logit_of(kV3Scores), std::vector<float>(8, 0.0f)), {0, 4}, {0.9 * 2.5, 0.6 * 2.5});
}

// Softmax probabilities summing to 1, 8 experts in 4 groups of 2.
const std::vector<double> kProbs = {0.30, 0.02, 0.20, 0.18, 0.15, 0.10, 0.03, 0.02};

RouterConfig v2_config() {
  RouterConfig c;
  c.scoring = RouterScoring::kSoftmax;
  c.n_expert = 8;
  c.n_expert_used = 2;
  c.scale_only_unnormalised = true;
  c.norm_epsilon = 1e-20;
  return c;
}

TEST(Router, GroupLimitedGreedyUsesGroupMax) {
  RouterConfig c = v2_config();
  c.n_group = 4;
  c.topk_group = 1;
  c.group_score = GroupScore::kMax;
  // group max 0.30, 0.20, 0.15, 0.03 -> group 0 only -> experts 0, 1
  expect_routed(route(c, log_of(kProbs)), {0, 1}, {0.30, 0.02});
  c.topk_group = 2;  // groups 0 and 1 -> experts 0, 2
  expect_routed(route(c, log_of(kProbs)), {0, 2}, {0.30, 0.20});
}

TEST(Router, GroupSumTop2PicksADifferentGroupThanMax) {
  RouterConfig c = v2_config();
  c.n_group = 4;
  c.topk_group = 1;
  c.group_score = GroupScore::kSumTop2;
  // group sums 0.32, 0.38, 0.25, 0.05 -> group 1 -> experts 2, 3
  expect_routed(route(c, log_of(kProbs)), {2, 3}, {0.20, 0.18});
}

TEST(Router, GreedyIgnoresGroups) {
  expect_routed(route(v2_config(), log_of(kProbs)), {0, 2}, {0.30, 0.20});
}

TEST(Router, DeepseekV2ScalesOnlyWhenNotRenormalised) {
  RouterConfig c = v2_config();
  c.routed_scaling_factor = 2.0;
  // norm_topk_prob false: scale only
  expect_routed(route(c, log_of(kProbs)), {0, 2}, {0.60, 0.40});
  // norm_topk_prob true, top_k 2: renormalise only, no scaling
  c.norm_topk_prob = true;
  expect_routed(route(c, log_of(kProbs)), {0, 2}, {0.6, 0.4});
  c.routed_scaling_factor = 3.0;
  expect_routed(route(c, log_of(kProbs)), {0, 2}, {0.6, 0.4});
  // norm_topk_prob true but top_k 1: DeepSeek-V2 does not renormalise; it scales
  c.n_expert_used = 1;
  expect_routed(route(c, log_of(kProbs)), {0}, {0.30 * 3.0});
}

TEST(Router, V3RenormalisesAndScalesEvenForTopOne) {
  RouterConfig c = v2_config();
  c.scale_only_unnormalised = false;
  c.norm_topk_prob = true;
  c.routed_scaling_factor = 2.5;
  c.n_expert_used = 1;
  expect_routed(route(c, log_of(kProbs)), {0}, {2.5});
}

TEST(Router, SoftmaxAndSigmoidOnTheSameLogits) {
  RouterConfig c;
  c.n_expert = 4;
  c.n_expert_used = 2;
  const std::vector<float> logits = {1, -1, 2, 0};
  c.scoring = RouterScoring::kSoftmax;
  const double z = std::exp(1.0) + std::exp(-1.0) + std::exp(2.0) + 1.0;
  expect_routed(route(c, logits), {2, 0}, {std::exp(2.0) / z, std::exp(1.0) / z});
  c.scoring = RouterScoring::kSigmoid;
  expect_routed(route(c, logits), {2, 0}, {1 / (1 + std::exp(-2.0)), 1 / (1 + std::exp(-1.0))});
  c.norm_topk_prob = true;  // Qwen/Mixtral-style renormalisation (no epsilon)
  const double a = 1 / (1 + std::exp(-2.0)), b = 1 / (1 + std::exp(-1.0));
  expect_routed(route(c, logits), {2, 0}, {a / (a + b), b / (a + b)});
}

TEST(Router, ValidateRejectsImpossibleGroups) {
  RouterConfig c = v3_config();
  c.n_group = 3;  // does not divide 8
  EXPECT_FALSE(c.validate().is_ok());
  c = v3_config();
  c.topk_group = 5;
  EXPECT_FALSE(c.validate().is_ok());
  c = v3_config();
  c.topk_group = 1;
  c.n_expert_used = 3;  // one group of 2 cannot supply 3
  EXPECT_FALSE(c.validate().is_ok());
}

}  // namespace
}  // namespace hearth
