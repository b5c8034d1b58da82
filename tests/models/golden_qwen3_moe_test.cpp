// Golden test: the bundled tiny Qwen3-MoE against reference.jsonl (float64 reference):
// prompt ids, last-position logits within 1e-3, 32 greedy tokens exactly — through whole-
// prompt prefill and through the KV cache one token at a time.
#include <gtest/gtest.h>

#include <cmath>

#include "models/loader.h"
#include "src/engine/session.h"
#include "tests/common/golden_test_util.h"

namespace hearth {
namespace {

const std::string kModelDir = std::string(HEARTH_SOURCE_DIR) + "/models/tiny-qwen3-moe";
const std::string kReference = std::string(HEARTH_TEST_DATA_DIR) + "/models/tiny-qwen3-moe/reference.jsonl";

double max_abs_diff(const std::vector<float>& a, const std::vector<double>& b) {
  EXPECT_EQ(a.size(), b.size());
  double m = 0;
  for (size_t i = 0; i < std::min(a.size(), b.size()); ++i) m = std::max(m, std::abs(a[i] - b[i]));
  return m;
}

class GoldenQwen3Moe : public ::testing::TestWithParam<std::string> {};

TEST_P(GoldenQwen3Moe, MatchesReference) {
  auto loaded = models::load_model(GetParam(), /*with_tokenizer=*/true);
  ASSERT_TRUE(loaded) << loaded.message();
  const auto cases = test::load_golden(kReference);
  ASSERT_EQ(cases.size(), 10u);
  for (const auto& c : cases) {
    SCOPED_TRACE(c.prompt);
    EXPECT_EQ(loaded->tokenizer->encode(c.prompt, /*add_special_tokens=*/true), c.input_ids);

    // Whole prompt in one prefill batch.
    Session batch_session(*loaded->model);
    auto logits = batch_session.feed(c.input_ids);
    ASSERT_TRUE(logits) << logits.message();
    EXPECT_LT(max_abs_diff(*logits, c.last_logits), 1e-3);

    // One token at a time through the KV cache.
    Session stepwise(*loaded->model, /*prefill_batch=*/1);
    auto logits_kv = stepwise.feed(c.input_ids);
    ASSERT_TRUE(logits_kv) << logits_kv.message();
    EXPECT_LT(max_abs_diff(*logits_kv, c.last_logits), 1e-3);

    GenerateOptions opt;
    opt.max_tokens = static_cast<int32_t>(c.greedy_ids.size());
    opt.ignore_eos = true;
    opt.sampler.temperature = 0;
    std::vector<int32_t> out;
    auto stats = batch_session.generate(c.input_ids, opt, [&](int32_t t) { out.push_back(t); return true; });
    ASSERT_TRUE(stats) << stats.message();
    EXPECT_EQ(out, c.greedy_ids);
  }
}

INSTANTIATE_TEST_SUITE_P(Sources, GoldenQwen3Moe,
                         ::testing::Values(kModelDir, std::string(models::kBundledModelName)),
                         [](const auto& info) { return info.index == 0 ? std::string("Folder") : std::string("Embedded"); });

}  // namespace
}  // namespace hearth
