// Token sampling (src/engine/sampler.h), one filter at a time against hand-computed
// expectations: greedy and its tie rule, top-k, top-p, min-p (relative to the top
// probability), the repetition penalty's rule on the logits themselves (llama.cpp's: positive
// logits divided, negative multiplied, only tokens in the last repeat_last_n), temperature as
// empirical frequencies against softmax(logits / T), and the seed. Not here: stop conditions.
#include <gtest/gtest.h>

#include <cmath>
#include <set>
#include <vector>

#include "src/engine/sampler.h"

namespace hearth {
namespace {

// Every filter off: the plain softmax(logits / temperature) distribution.
SamplerParams unfiltered(float temperature) {
  SamplerParams p;
  p.temperature = temperature;
  p.top_k = 0;
  p.top_p = 1.0f;
  p.min_p = 0.0f;
  p.repeat_penalty = 1.0f;
  return p;
}

// How often each id comes out of n draws, one fresh sampler per draw with seeds 0..n-1.
std::vector<int> counts_over_seeds(SamplerParams p, const std::vector<float>& logits, int n) {
  std::vector<int> counts(logits.size(), 0);
  for (int s = 0; s < n; ++s) {
    p.seed = static_cast<uint64_t>(s);
    Sampler sampler(p);
    std::vector<float> l = logits;
    const int32_t id = sampler.sample(l, {});
    EXPECT_GE(id, 0);
    EXPECT_LT(id, static_cast<int32_t>(logits.size()));
    ++counts[static_cast<size_t>(id)];
  }
  return counts;
}

std::set<int32_t> seen(const std::vector<int>& counts) {
  std::set<int32_t> ids;
  for (size_t i = 0; i < counts.size(); ++i)
    if (counts[i] > 0) ids.insert(static_cast<int32_t>(i));
  return ids;
}

// Logits whose softmax at temperature 1 is exactly `probs` (up to rounding): log p.
std::vector<float> logits_of(const std::vector<double>& probs) {
  std::vector<float> l;
  for (double p : probs) l.push_back(static_cast<float>(std::log(p)));
  return l;
}

TEST(Sampler, ArgmaxTakesTheLowestIdOnTies) {
  EXPECT_EQ(argmax(std::vector<float>{0.5f, 2.0f, -1.0f}), 1);
  EXPECT_EQ(argmax(std::vector<float>{1.0f, 3.0f, 2.0f, 3.0f}), 1);
  EXPECT_EQ(argmax(std::vector<float>{-4.0f, -2.0f, -2.0f, -3.0f}), 1);
  EXPECT_EQ(argmax(std::vector<float>{7.0f}), 0);
}

TEST(Sampler, GreedyAtTemperatureZeroIgnoresSeedAndFilters) {
  const std::vector<float> logits = {0.1f, 2.5f, -1.0f, 2.5f, 2.4f};
  for (uint64_t seed : {0u, 1u, 99u}) {
    SamplerParams p;  // defaults: top_k 40, top_p 0.95, min_p 0.05 -- irrelevant when greedy
    p.temperature = 0.0f;
    p.seed = seed;
    Sampler sampler(p);
    for (int i = 0; i < 20; ++i) {
      std::vector<float> l = logits;
      EXPECT_EQ(sampler.sample(l, {}), 1) << "seed " << seed;  // 1 and 3 tie: the lower id
    }
  }
}

TEST(Sampler, TopKDrawsOnlyTheKLargest) {
  // A high temperature makes every token likely, so only the filter keeps the rest out.
  const std::vector<float> logits = {0.5f, 2.0f, -1.0f, 1.5f, 0.1f, 1.9f, 0.0f, -0.5f, 1.0f, 0.3f};
  SamplerParams p = unfiltered(5.0f);
  p.top_k = 3;
  EXPECT_EQ(seen(counts_over_seeds(p, logits, 3000)), (std::set<int32_t>{1, 5, 3}));
  p.top_k = 1;
  const std::vector<int> one = counts_over_seeds(p, logits, 500);
  EXPECT_EQ(one[1], 500);  // always the argmax
  p.top_k = 0;             // 0 = every token
  EXPECT_EQ(seen(counts_over_seeds(p, logits, 3000)).size(), logits.size());
  p.top_k = 1000;  // more than the vocabulary: every token
  EXPECT_EQ(seen(counts_over_seeds(p, logits, 3000)).size(), logits.size());
}

TEST(Sampler, TopPKeepsTheSmallestSetReachingP) {
  // Probabilities at temperature 1, by id: id 3 0.5, id 0 0.25, id 4 0.15, id 1 0.07, id 2 0.03.
  // Cumulative in order of probability: 0.5, 0.75, 0.9, 0.97, 1.0.
  const std::vector<float> logits = logits_of({0.25, 0.07, 0.03, 0.5, 0.15});
  SamplerParams p = unfiltered(1.0f);
  const int n = 4000;
  p.top_p = 0.3f;  // 0.5 already reaches it: only the top token
  EXPECT_EQ(seen(counts_over_seeds(p, logits, n)), (std::set<int32_t>{3}));
  p.top_p = 0.7f;  // 0.5 < 0.7 <= 0.75
  const std::vector<int> two = counts_over_seeds(p, logits, n);
  EXPECT_EQ(seen(two), (std::set<int32_t>{3, 0}));
  // Renormalised over the kept set: 0.5 / 0.75 and 0.25 / 0.75 (binomial sd 0.0075 at n 4000).
  EXPECT_NEAR(static_cast<double>(two[3]) / n, 2.0 / 3.0, 0.04);
  p.top_p = 0.8f;  // 0.75 < 0.8 <= 0.9
  EXPECT_EQ(seen(counts_over_seeds(p, logits, n)), (std::set<int32_t>{3, 0, 4}));
  p.top_p = 0.95f;  // 0.9 < 0.95 <= 0.97
  EXPECT_EQ(seen(counts_over_seeds(p, logits, n)), (std::set<int32_t>{3, 0, 4, 1}));
  p.top_p = 1.0f;  // off
  EXPECT_EQ(seen(counts_over_seeds(p, logits, n)), (std::set<int32_t>{0, 1, 2, 3, 4}));
}

TEST(Sampler, MinPDropsTokensBelowMinPTimesTheTopProbability) {
  // Probabilities by id: 0.1, 0.4, 0.05, 0.3, 0.15.
  const std::vector<float> logits = logits_of({0.1, 0.4, 0.05, 0.3, 0.15});
  SamplerParams p = unfiltered(1.0f);
  const int n = 4000;
  p.min_p = 0.3f;  // floor 0.3 x 0.4 = 0.12: 0.4, 0.3, 0.15 stay (an absolute 0.3 would drop 0.15)
  EXPECT_EQ(seen(counts_over_seeds(p, logits, n)), (std::set<int32_t>{1, 3, 4}));
  p.min_p = 0.5f;  // floor 0.2: 0.4 and 0.3
  EXPECT_EQ(seen(counts_over_seeds(p, logits, n)), (std::set<int32_t>{1, 3}));
  p.min_p = 0.2f;  // floor 0.08: all but 0.05
  EXPECT_EQ(seen(counts_over_seeds(p, logits, n)), (std::set<int32_t>{0, 1, 3, 4}));
  p.min_p = 0.9f;  // floor 0.36: the top token only
  EXPECT_EQ(seen(counts_over_seeds(p, logits, n)), (std::set<int32_t>{1}));
  p.min_p = 0.0f;  // off
  EXPECT_EQ(seen(counts_over_seeds(p, logits, n)), (std::set<int32_t>{0, 1, 2, 3, 4}));
}

TEST(Sampler, RepeatPenaltyDividesPositiveAndMultipliesNegativeLogitsInTheWindow) {
  const std::vector<float> logits = {2.0f, -1.0f, 3.0f, 0.5f, -2.0f, 1.0f};
  SamplerParams p = unfiltered(0.0f);  // greedy: the penalised logits decide
  p.repeat_penalty = 2.0f;
  p.repeat_last_n = 3;
  // The last 3 tokens are {1, 2, 2}: 0 and 4 are older and keep their logits; 2 repeated
  // within the window is penalised once.
  const std::vector<int32_t> history = {4, 0, 1, 2, 2};
  {
    Sampler sampler(p);
    std::vector<float> l = logits;
    EXPECT_EQ(sampler.sample(l, history), 0);  // 3.0 / 2 = 1.5 falls below 2.0
    EXPECT_EQ(l, (std::vector<float>{2.0f, -2.0f, 1.5f, 0.5f, -2.0f, 1.0f}));
  }
  {  // A window longer than the history covers all of it.
    p.repeat_last_n = 64;
    Sampler sampler(p);
    std::vector<float> l = logits;
    EXPECT_EQ(sampler.sample(l, history), 2);  // 0 is penalised too now: 1.5 leads
    EXPECT_EQ(l, (std::vector<float>{1.0f, -2.0f, 1.5f, 0.5f, -4.0f, 1.0f}));
  }
  {  // Ids outside the vocabulary in the history are ignored.
    Sampler sampler(p);
    std::vector<float> l = logits;
    const std::vector<int32_t> odd = {-1, 6, 100, 3};
    EXPECT_EQ(sampler.sample(l, odd), 2);
    EXPECT_EQ(l, (std::vector<float>{2.0f, -1.0f, 3.0f, 0.25f, -2.0f, 1.0f}));
  }
  for (auto [penalty, last_n] : {std::pair<float, int32_t>{1.0f, 3}, {2.0f, 0}}) {  // either one turns it off
    p.repeat_penalty = penalty;
    p.repeat_last_n = last_n;
    Sampler sampler(p);
    std::vector<float> l = logits;
    EXPECT_EQ(sampler.sample(l, history), 2);
    EXPECT_EQ(l, logits);
  }
}

TEST(Sampler, TemperatureDrawsFollowSoftmaxOfLogitsOverT) {
  const std::vector<float> logits = {1.0f, 0.0f, -1.0f, 0.5f};
  const int n = 20000;
  // Binomial standard deviation at n = 20000 is at most 0.0036; 0.015 is over 4 of them.
  const double tol = 0.015;
  std::vector<double> top_prob;
  for (float t : {0.5f, 1.0f, 2.0f}) {
    SCOPED_TRACE(t);
    SamplerParams p = unfiltered(t);
    p.seed = 1234;
    Sampler sampler(p);  // one generator, many draws
    std::vector<int> counts(logits.size(), 0);
    for (int i = 0; i < n; ++i) {
      std::vector<float> l = logits;
      ++counts[static_cast<size_t>(sampler.sample(l, {}))];
    }
    double sum = 0;
    for (float l : logits) sum += std::exp(static_cast<double>(l) / t);
    for (size_t i = 0; i < logits.size(); ++i) {
      const double expected = std::exp(static_cast<double>(logits[i]) / t) / sum;
      EXPECT_NEAR(static_cast<double>(counts[i]) / n, expected, tol) << "id " << i;
    }
    top_prob.push_back(static_cast<double>(counts[0]) / n);
  }
  // The expectations themselves: 0.657 at T 0.5, 0.474 at T 1, 0.363 at T 2.
  EXPECT_GT(top_prob[0], top_prob[1] + 0.1);
  EXPECT_GT(top_prob[1], top_prob[2] + 0.08);
}

std::vector<int32_t> draws(uint64_t seed, int n) {
  SamplerParams p = unfiltered(1.0f);
  p.seed = seed;
  Sampler sampler(p);
  const std::vector<float> logits(8, 0.0f);  // uniform over 8 tokens
  std::vector<int32_t> out;
  for (int i = 0; i < n; ++i) {
    std::vector<float> l = logits;
    out.push_back(sampler.sample(l, {}));
  }
  return out;
}

TEST(Sampler, SameSeedSameDrawsDifferentSeedDifferentDraws) {
  const std::vector<int32_t> a = draws(42, 200);
  EXPECT_EQ(draws(42, 200), a);
  EXPECT_EQ(std::set<int32_t>(a.begin(), a.end()).size(), 8u);  // the draws do vary
  // Two different seeds giving the same 200 draws from 8 equally likely tokens: 8^-200.
  EXPECT_NE(draws(43, 200), a);
  EXPECT_NE(draws(0, 200), a);
  EXPECT_NE(draws(0, 200), draws(1, 200));
}

}  // namespace
}  // namespace hearth
