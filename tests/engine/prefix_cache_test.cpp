// PrefixCache: full pages indexed by their tokens are found again for a request with the same
// prefix (whole pages, never the last token), differing tokens end the match, eviction frees
// least recently used pages only the index holds, and a model continuing from reused pages
// gives the logits of computing the whole prompt.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

#include "models/loader.h"
#include "src/engine/prefix_cache.h"
#include "src/model/batch.h"

namespace hearth {
namespace {

constexpr int64_t kPage = 4;
const KvCacheLayout kLayout{{2}, {2}};

// A sequence whose row at pos holds (tag, pos) in its key.
int32_t filled(KvCache& cache, int64_t n, float tag) {
  const int32_t seq = cache.add_sequence();
  for (int64_t pos = 0; pos < n; ++pos) {
    const float k[2] = {tag, static_cast<float>(pos)}, v[2] = {0, 0};
    cache.write_k(0, seq, pos, k);
    cache.write_v(0, seq, pos, v);
  }
  return seq;
}

float key_tag(const KvCache& cache, int32_t seq, int64_t pos) {
  float scratch[2];
  return cache.rows(0, seq).k(pos, 0, 2, scratch)[0];
}

std::vector<int32_t> iota(int n, int first) {
  std::vector<int32_t> v(static_cast<size_t>(n));
  std::iota(v.begin(), v.end(), first);
  return v;
}

TEST(PrefixCache, FindsWholePagesOfTheSamePrefixAndNeverTheLastToken) {
  KvCache cache(kLayout, KvPrecision::kF32, kPage);
  PrefixCache index(cache);
  const std::vector<int32_t> tokens = iota(10, 100);
  const int32_t a = filled(cache, 10, 7.0f);
  index.insert(a, tokens);
  EXPECT_EQ(index.indexed_pages(), 2);  // positions 0-7; 8-9 are not a full page

  auto hit = index.lookup(tokens);
  EXPECT_EQ(hit.positions, 8);
  ASSERT_GE(hit.seq, 0);
  EXPECT_EQ(cache.length(hit.seq), 8);
  for (int64_t pos = 0; pos < 8; ++pos) EXPECT_EQ(key_tag(cache, hit.seq, pos), 7.0f);

  // Exactly two pages of tokens: the second page would leave no token to compute.
  EXPECT_EQ(index.lookup(iota(8, 100)).positions, 4);
  // A different token in the second page ends the match after the first.
  std::vector<int32_t> other = tokens;
  other[5] = 1;
  EXPECT_EQ(index.lookup(other).positions, 4);
  // A different first token: nothing.
  other[0] = 1;
  auto miss = index.lookup(other);
  EXPECT_EQ(miss.positions, 0);
  EXPECT_EQ(miss.seq, -1);
  EXPECT_EQ(index.lookups(), 4);
  EXPECT_EQ(index.hit_tokens(), 8 + 4 + 4);
}

TEST(PrefixCache, EvictsLeastRecentlyUsedPagesNobodyElseHolds) {
  KvCache cache(kLayout, KvPrecision::kF32, kPage);
  PrefixCache index(cache);
  const int32_t a = filled(cache, 8, 1.0f), b = filled(cache, 8, 2.0f);
  index.insert(a, iota(8, 0));
  index.insert(b, iota(8, 50));
  cache.remove_sequence(a);
  cache.remove_sequence(b);
  EXPECT_EQ(cache.pool().used_count(), 4) << "the index keeps the pages of finished sequences";

  auto hit = index.lookup(iota(9, 0));  // a's prefix used again (and held by the hit)
  EXPECT_EQ(hit.positions, 8);
  EXPECT_EQ(index.evict(1), 1);  // b's second page: the LRU leaf only the index holds
  EXPECT_EQ(index.indexed_pages(), 3);
  const auto b_hit = index.lookup(iota(9, 50));
  EXPECT_EQ(b_hit.positions, 4) << "b's first page is still there";
  cache.remove_sequence(hit.seq);
  EXPECT_EQ(index.evict(10), 2) << "a's two pages; b's first is held by b_hit";
  cache.remove_sequence(b_hit.seq);
  EXPECT_EQ(index.evict(10), 1);
  EXPECT_EQ(index.indexed_pages(), 0);
  EXPECT_EQ(cache.pool().used_count(), 0);
}

TEST(PrefixCache, AModelContinuingFromReusedPagesGivesTheWholePromptsLogits) {
  auto loaded = models::load_model("", /*with_tokenizer=*/false);
  ASSERT_TRUE(loaded.is_ok()) << loaded.message();
  Model& model = *loaded->model;
  constexpr int64_t kPositions = 16;
  const std::vector<int32_t> prompt = iota(45, 20);
  auto prefill = [&](KvCache& cache, int32_t seq, int64_t from) {
    Batch batch;
    for (int64_t pos = from; pos < static_cast<int64_t>(prompt.size()); ++pos)
      batch.add(prompt[static_cast<size_t>(pos)], static_cast<int32_t>(pos), seq,
                pos + 1 == static_cast<int64_t>(prompt.size()));
    std::vector<float> logits;
    EXPECT_TRUE(model.forward(batch, cache, logits).is_ok());
    return logits;
  };

  KvCache whole(model.kv_layout(), KvPrecision::kF32, kPositions);
  const std::vector<float> want = prefill(whole, whole.add_sequence(), 0);

  KvCache cache(model.kv_layout(), KvPrecision::kF32, kPositions);
  PrefixCache index(cache);
  const int32_t first = cache.add_sequence();
  prefill(cache, first, 0);
  index.insert(first, prompt);
  cache.remove_sequence(first);

  const auto hit = index.lookup(prompt);
  ASSERT_EQ(hit.positions, 32);
  const std::vector<float> got = prefill(cache, hit.seq, hit.positions);
  ASSERT_EQ(got.size(), want.size());
  float scale = 0;
  for (float x : want) scale = std::max(scale, std::fabs(x));
  for (size_t i = 0; i < got.size(); ++i) ASSERT_NEAR(got[i], want[i], 1e-5f * scale) << "logit " << i;
}

}  // namespace
}  // namespace hearth
