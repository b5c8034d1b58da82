// Decode's work split (src/ops/stealing_shares.h): every block is handed out exactly once, an
// owner walks its share front to back in quarters of what is left, a thief takes single blocks
// from the back, and matmuls large enough to be split across threads and blocks give the
// batched path's results.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <random>
#include <thread>
#include <vector>

#include "quant/codec.h"
#include "src/ops/ops.h"
#include "src/ops/stealing_shares.h"

namespace hearth::ops {
namespace {

std::vector<int64_t> blocks_of(StealingShares::Range r) {
  std::vector<int64_t> v;
  for (int64_t b = r.begin; b < r.end; ++b) v.push_back(b);
  return v;
}

TEST(StealingShares, OwnerTakesQuartersFromTheFrontThenStealsSingleBlocksFromTheBack) {
  const int64_t bounds[3] = {0, 9, 12};  // thread 0 owns 0..8, thread 1 owns 9..11
  StealingShares s(bounds);
  std::vector<std::vector<int64_t>> got;
  for (StealingShares::Range r; !(r = s.next(0)).empty();) got.push_back(blocks_of(r));
  const std::vector<std::vector<int64_t>> want = {{0, 1, 2}, {3, 4}, {5}, {6}, {7}, {8}, {11}, {10}, {9}};
  EXPECT_EQ(got, want);
  EXPECT_TRUE(s.next(1).empty());
}

TEST(StealingShares, EmptySharesAndOneThread) {
  const int64_t none[3] = {0, 0, 0};
  StealingShares empty(none);
  EXPECT_TRUE(empty.next(0).empty());
  EXPECT_TRUE(empty.next(1).empty());
  const int64_t one[2] = {0, 2};
  StealingShares single(one);
  EXPECT_EQ(blocks_of(single.next(0)), (std::vector<int64_t>{0}));
  EXPECT_EQ(blocks_of(single.next(0)), (std::vector<int64_t>{1}));
  EXPECT_TRUE(single.next(0).empty());
}

// Threads racing, one of them slowed down: each block exactly once, all blocks taken.
TEST(StealingShares, EveryBlockExactlyOnceUnderContention) {
  for (int threads : {2, 3, 4}) {
    const int64_t n = 5000;
    std::vector<int64_t> bounds;
    for (int t = 0; t <= threads; ++t) bounds.push_back(n * t / threads);
    StealingShares s(bounds);
    std::vector<std::atomic<int>> taken(static_cast<size_t>(n));
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t)
      pool.emplace_back([&, t] {
        volatile int spin = 0;
        for (StealingShares::Range r; !(r = s.next(t)).empty();)
          for (int64_t b = r.begin; b < r.end; ++b) {
            taken[static_cast<size_t>(b)].fetch_add(1);
            if (t == 0)
              for (int i = 0; i < 2000; ++i) spin = spin + 1;  // the slow one: others steal from it
          }
      });
    for (auto& th : pool) th.join();
    for (int64_t b = 0; b < n; ++b) ASSERT_EQ(taken[static_cast<size_t>(b)].load(), 1) << "block " << b << ", threads " << threads;
  }
}

// Decode (1-2 tokens) splits the matrices into byte shares and 64 KiB blocks; its rows equal
// the batched path's (5 tokens, chunks handed out dynamically) for matrices of unequal sizes,
// with rows past the last whole block of 16.
TEST(StealingShares, DecodeMatmulEqualsBatchedPath) {
  const int64_t cols = 1024;
  const int64_t rows[3] = {2051, 1027, 515};
  std::vector<std::vector<uint8_t>> bytes(3);
  std::vector<TensorView> views(3);
  std::mt19937 rng(11);
  std::normal_distribution<float> nd(0.0f, 0.05f);
  for (int i = 0; i < 3; ++i) {
    std::vector<float> w(static_cast<size_t>(rows[i] * cols));
    for (auto& v : w) v = nd(rng);
    const Format f = i == 1 ? Format::kQ8G32 : Format::kQ4G32NL;
    bytes[i].resize(format_bytes(f, w.size()));
    ASSERT_TRUE(quantize_matrix(f, w.data(), rows[i], cols, bytes[i].data(), nullptr, QuantOptions{.search = false}).is_ok());
    views[i].format = f;
    views[i].shape = {rows[i], cols};
    views[i].data = bytes[i].data();
    views[i].nbytes = bytes[i].size();
  }
  const int64_t n_batch = 5;
  std::vector<float> x(static_cast<size_t>(n_batch * cols));
  for (auto& v : x) v = nd(rng) * 20;
  const TensorView* ws[3] = {&views[0], &views[1], &views[2]};
  std::vector<std::vector<float>> batched(3);
  for (int i = 0; i < 3; ++i) batched[i].assign(static_cast<size_t>(n_batch * rows[i]), 0.0f);
  PreparedInput all(x.data(), n_batch, cols);
  float* ys[3] = {batched[0].data(), batched[1].data(), batched[2].data()};
  matmul_many(ws, all, ys);
  for (bool in_team : {false, true})  // a forward pass runs its matmuls in a thread team
  for (int64_t n_tok : {1, 2}) {
    std::vector<std::vector<float>> got(3);
    for (int i = 0; i < 3; ++i) got[i].assign(static_cast<size_t>(n_tok * rows[i]), -1e30f);
    PreparedInput in(x.data(), n_tok, cols);
    float* gs[3] = {got[0].data(), got[1].data(), got[2].data()};
    if (in_team) with_team(num_threads(), [&] { matmul_many(ws, in, gs); }); else matmul_many(ws, in, gs);
    for (int i = 0; i < 3; ++i)
      for (int64_t k = 0; k < n_tok * rows[i]; ++k) {
        const float want = batched[i][static_cast<size_t>(k)];
        ASSERT_NEAR(got[i][static_cast<size_t>(k)], want, 1e-4f * (1.0f + std::abs(want)))
            << "matrix " << i << " token " << k / rows[i] << " row " << k % rows[i] << ", " << n_tok << " tokens"
            << (in_team ? ", in a team" : "");
      }
  }
}

}  // namespace
}  // namespace hearth::ops
