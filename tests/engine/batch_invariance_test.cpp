// Batch invariance on both golden models: every golden prompt run alone through the engine
// and run among 15 other requests of different lengths (chunked prefill mixing with decode
// rows) gives the reference's 32 greedy tokens, the same tokens both ways, and logits within
// 1e-5 relative of each other, at the prompt's last position and at the last decode step.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "models/loader.h"
#include "src/engine/engine.h"
#include "tests/common/golden_test_util.h"

namespace hearth {
namespace {

struct Outcome {
  std::vector<int32_t> tokens;
  std::vector<float> prompt_logits, last_logits;
};

// max |a - b| over max |b|: the difference relative to the logits' scale.
double relative_difference(const std::vector<float>& a, const std::vector<float>& b) {
  EXPECT_EQ(a.size(), b.size());
  double diff = 0, scale = 0;
  for (size_t i = 0; i < std::min(a.size(), b.size()); ++i) {
    diff = std::max(diff, static_cast<double>(std::abs(a[i] - b[i])));
    scale = std::max(scale, static_cast<double>(std::abs(b[i])));
  }
  return diff / scale;
}

// Runs each prompt twice, once for its prompt's logits (max_tokens 0) and once for 32 greedy
// tokens: all submitted before the first step, or each run to its end before the next.
std::vector<Outcome> run(Model& model, const std::vector<std::vector<int32_t>>& prompts, bool one_at_a_time) {
  EngineOptions o;
  o.batch_tokens = 48;  // prompts arrive in chunks beside other sequences' decode rows
  o.prefix_cache = false;  // each computes its own prompt
  auto engine = Engine::create(model, o);
  EXPECT_TRUE(engine) << engine.message();
  std::vector<Outcome> out(prompts.size());
  for (size_t i = 0; i < prompts.size(); ++i)
    for (int32_t max_tokens : {0, 32}) {
      Request r;
      r.prompt = prompts[i];
      r.params.sampler.temperature = 0;
      r.params.max_tokens = max_tokens;
      r.params.keep_logits = true;
      r.on_done = [&out, i, max_tokens](Completion&& c) {
        EXPECT_TRUE(c.status) << c.status.message();
        if (max_tokens == 0) {
          out[i].prompt_logits = std::move(c.logits);
        } else {
          out[i].tokens = std::move(c.tokens);
          out[i].last_logits = std::move(c.logits);
        }
      };
      EXPECT_TRUE((*engine)->submit(std::move(r)));
      if (one_at_a_time) (*engine)->run_until_idle();
    }
  (*engine)->run_until_idle();
  return out;
}

void check_invariance(const std::string& model_dir, const std::string& reference) {
  auto loaded = models::load_model(model_dir, /*with_tokenizer=*/false);
  ASSERT_TRUE(loaded) << loaded.message();
  const auto cases = test::load_golden(reference);
  ASSERT_GE(cases.size(), 8u);
  std::vector<std::vector<int32_t>> crowd;
  for (const auto& c : cases) crowd.push_back(c.input_ids);
  const auto n_vocab = static_cast<int32_t>(loaded->model->info().n_vocab);
  for (int extra = 0; crowd.size() < 16; ++extra) {  // others of other lengths, up to 16 in all
    std::vector<int32_t> p;
    for (int i = 0; i < 7 + 23 * extra; ++i) p.push_back((i * 131 + extra * 17 + 5) % n_vocab);
    crowd.push_back(p);
  }
  const std::vector<Outcome> together = run(*loaded->model, crowd, /*one_at_a_time=*/false);
  double worst = 0;
  for (size_t i = 0; i < cases.size(); ++i) {
    SCOPED_TRACE(cases[i].prompt);
    const std::vector<Outcome> alone = run(*loaded->model, {cases[i].input_ids}, /*one_at_a_time=*/true);
    EXPECT_EQ(alone[0].tokens, cases[i].greedy_ids);
    EXPECT_EQ(together[i].tokens, alone[0].tokens);
    const double prompt_diff = relative_difference(together[i].prompt_logits, alone[0].prompt_logits);
    const double last_diff = relative_difference(together[i].last_logits, alone[0].last_logits);
    EXPECT_LT(prompt_diff, 1e-5);
    EXPECT_LT(last_diff, 1e-5);
    worst = std::max({worst, prompt_diff, last_diff});
  }
  std::printf("largest relative logit difference, alone vs among 15 others: %.3g\n", worst);
}

TEST(BatchInvariance, TinyQwen3Moe) {
  check_invariance(std::string(HEARTH_SOURCE_DIR) + "/models/tiny-qwen3-moe",
                   std::string(HEARTH_TEST_DATA_DIR) + "/models/tiny-qwen3-moe/reference.jsonl");
}

TEST(BatchInvariance, TinyDeepseekV3) {
  const std::string dir = std::string(HEARTH_TEST_DATA_DIR) + "/models/tiny-deepseek-v3";
  check_invariance(dir, dir + "/reference.jsonl");
}

}  // namespace
}  // namespace hearth
