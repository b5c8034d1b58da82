// The KV cache over a page pool: sequences sharing a prefix share its pages until one writes
// (copy on write), truncate and remove return pages, and a whole model over a bounded pool
// fails a pass that does not fit with a Status (no crash, nothing half-written), then runs
// in pages freed by another sequence (not zero-filled) with the same logits as a fresh cache.
#include <gtest/gtest.h>

#include <vector>

#include "models/loader.h"
#include "src/model/batch.h"
#include "src/model/kv_cache.h"

namespace hearth {
namespace {

constexpr int64_t kPage = 4;
const KvCacheLayout kLayout{{8, 3}, {8, 0}};

std::vector<float> row(int32_t tag, int64_t pos, int64_t width) {
  std::vector<float> r(static_cast<size_t>(width));
  for (int64_t i = 0; i < width; ++i) r[static_cast<size_t>(i)] = static_cast<float>(tag * 1000 + pos * 10 + i);
  return r;
}

void write(KvCache& cache, int32_t seq, int64_t pos, int32_t tag) {
  cache.write_k(0, seq, pos, row(tag, pos, 8).data());
  cache.write_v(0, seq, pos, row(tag + 1, pos, 8).data());
  cache.write_k(1, seq, pos, row(tag + 2, pos, 3).data());
}

// The rows at pos hold what write(tag) stored.
void expect_rows(const KvCache& cache, int32_t seq, int64_t pos, int32_t tag) {
  float scratch[8];
  const KvLayerRows l0 = cache.rows(0, seq), l1 = cache.rows(1, seq);
  ASSERT_LT(pos, l0.length());
  const std::vector<float> k0 = row(tag, pos, 8), v0 = row(tag + 1, pos, 8), k1 = row(tag + 2, pos, 3);
  for (int i = 0; i < 8; ++i) {
    ASSERT_EQ(l0.k(pos, 0, 8, scratch)[i], k0[static_cast<size_t>(i)]) << "seq " << seq << " pos " << pos;
    ASSERT_EQ(l0.v(pos, 0, 8, scratch)[i], v0[static_cast<size_t>(i)]) << "seq " << seq << " pos " << pos;
  }
  for (int i = 0; i < 3; ++i) ASSERT_EQ(l1.k(pos, 0, 3, scratch)[i], k1[static_cast<size_t>(i)]);
}

TEST(KvCachePool, SharedPrefixIsCopiedOnlyWhenWritten) {
  KvCache cache(kLayout, KvPrecision::kF32, kPage);
  const int32_t a = cache.add_sequence();
  for (int64_t pos = 0; pos < 10; ++pos) write(cache, a, pos, 10);
  EXPECT_EQ(cache.pool().used_count(), 3);  // positions 0-3, 4-7, 8-9

  const int32_t b = cache.share_prefix(a, 6);  // pages 0 and 1, the second one partly
  EXPECT_EQ(cache.length(b), 6);
  EXPECT_EQ(cache.pool().used_count(), 3) << "sharing copies nothing";
  for (int64_t pos = 0; pos < 6; ++pos) expect_rows(cache, b, pos, 10);

  write(cache, b, 6, 20);  // into the shared page: b gets its own copy of it
  EXPECT_EQ(cache.pool().used_count(), 4);
  EXPECT_EQ(cache.length(b), 7);
  for (int64_t pos = 0; pos < 6; ++pos) expect_rows(cache, b, pos, 10);
  expect_rows(cache, b, 6, 20);
  for (int64_t pos = 0; pos < 10; ++pos) expect_rows(cache, a, pos, 10);  // a untouched

  write(cache, a, 1, 30);  // a writes into the page both still share: now a copies
  EXPECT_EQ(cache.pool().used_count(), 5);
  expect_rows(cache, a, 1, 30);
  expect_rows(cache, b, 1, 10);

  cache.remove_sequence(a);  // a's three pages go; b keeps the shared first page and its copy
  EXPECT_EQ(cache.pool().used_count(), 2);
  for (int64_t pos = 0; pos < 6; ++pos) expect_rows(cache, b, pos, 10);
  expect_rows(cache, b, 6, 20);
}

TEST(KvCachePool, TruncateReturnsWholePagesPastTheCut) {
  KvCache cache(kLayout, KvPrecision::kBf16, kPage);
  const int32_t a = cache.add_sequence();
  for (int64_t pos = 0; pos < 10; ++pos) write(cache, a, pos, 10);
  EXPECT_EQ(static_cast<int64_t>(cache.bytes_allocated()), 3 * kPage * cache.bytes_per_token());
  cache.truncate(a, 5);  // the page of 4-7 keeps position 4
  EXPECT_EQ(cache.pool().used_count(), 2);
  cache.truncate(a, 4);
  EXPECT_EQ(cache.pool().used_count(), 1);
  cache.truncate(a, 0);
  EXPECT_EQ(cache.pool().used_count(), 0);
}

TEST(KvCachePool, BoundedPoolFailsAPassWithAStatusAndReusesFreedPages) {
  auto loaded = models::load_model("", /*with_tokenizer=*/false);
  ASSERT_TRUE(loaded.is_ok()) << loaded.message();
  Model& model = *loaded->model;
  const KvCacheLayout layout = model.kv_layout();
  constexpr int64_t kPositions = 16;
  const int64_t page_bytes = KvCache::page_bytes(layout, KvPrecision::kF32, kPositions);
  auto pool = KvPagePool::create(page_bytes, 2 * page_bytes);  // 32 positions in all
  ASSERT_TRUE(pool.is_ok()) << pool.message();
  KvCache cache(layout, KvPrecision::kF32, kPositions, std::shared_ptr<KvPagePool>(std::move(pool.value())));

  auto run = [&](KvCache& c, int32_t seq, int n, int first_token) {
    Batch batch;
    for (int i = 0; i < n; ++i) batch.add(first_token + i, i, seq, i == n - 1);
    std::vector<float> logits;
    const Status st = model.forward(batch, c, logits);
    return std::make_pair(st, logits);
  };

  const int32_t too_long = cache.add_sequence();
  const auto [full, unused] = run(cache, too_long, 40, 5);
  ASSERT_FALSE(full.is_ok());
  EXPECT_NE(full.message().find("full"), std::string::npos) << full.message();
  cache.remove_sequence(too_long);
  EXPECT_EQ(cache.pool().used_count(), 0) << "a failed pass keeps no page once its sequence is gone";

  const int32_t first = cache.add_sequence();
  ASSERT_TRUE(run(cache, first, 20, 7).first.is_ok());  // two pages: the pool is full
  const int32_t second = cache.add_sequence();
  EXPECT_FALSE(run(cache, second, 3, 11).first.is_ok());
  cache.remove_sequence(second);
  cache.remove_sequence(first);

  // The freed pages still hold the first sequence's rows; a new one must not see them.
  const int32_t reused = cache.add_sequence();
  const auto [ok, logits] = run(cache, reused, 20, 11);
  ASSERT_TRUE(ok.is_ok()) << ok.message();
  KvCache fresh(layout, KvPrecision::kF32, kPositions);
  const auto [fresh_ok, fresh_logits] = run(fresh, fresh.add_sequence(), 20, 11);
  ASSERT_TRUE(fresh_ok.is_ok());
  ASSERT_EQ(logits.size(), fresh_logits.size());
  for (size_t i = 0; i < logits.size(); ++i) ASSERT_EQ(logits[i], fresh_logits[i]) << "logit " << i;
}

}  // namespace
}  // namespace hearth
