// The paged KV cache (src/model/kv_cache.h): rows of several sequences written interleaved at
// positions spanning several small pages, with odd and zero widths per layer, read back
// exactly (f32) or within the format's bound (bf16, q8: the bounds of kv_precision_test) for
// every layer, sequence and position; sequences independent of each other; length() and
// begin(); truncate (to 0, inside a page, across page boundaries, then rewritten) and
// remove_sequence. Not here: the row codecs themselves (kv_precision_test).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <vector>

#include "src/base/half.h"
#include "src/model/kv_cache.h"

namespace hearth {
namespace {

constexpr int64_t kPage = 4;
// Three layers: odd widths, one wider than a q8 group with a short last group, and a layer
// with no value row (as absorbed MLA stores).
const KvCacheLayout kLayout{{5, 45, 7}, {3, 45, 0}};

// The row a test writes at (layer, seq, pos); `gen` tells a rewrite apart from the first write.
// Values of varied sign and magnitude, distinct for every argument.
std::vector<float> row_values(int layer, int32_t seq, int64_t pos, bool is_v, int gen) {
  const auto l = static_cast<size_t>(layer);
  const int64_t width = is_v ? kLayout.v_width[l] : kLayout.k_width[l];
  std::vector<float> row(static_cast<size_t>(width));
  uint32_t h = static_cast<uint32_t>(((layer * 131 + seq) * 1009 + pos) * 4 + (is_v ? 2 : 0) + gen) * 2654435761u;
  for (auto& x : row) {
    h = h * 1664525u + 1013904223u;
    x = (static_cast<float>(h >> 8) / 16777216.0f - 0.5f) * 8.0f;  // [-4, 4)
  }
  if (width > 9) row[9] = 30.0f + static_cast<float>(pos);  // an outlier in the first q8 group
  return row;
}

// What each sequence should hold: the generation written at each position.
using Expected = std::map<int32_t, std::vector<int>>;

void write_position(KvCache& cache, int32_t seq, int64_t pos, int gen) {
  for (int layer = 0; layer < 3; ++layer) {
    const auto l = static_cast<size_t>(layer);
    cache.write_k(layer, seq, pos, row_values(layer, seq, pos, false, gen).data());
    if (kLayout.v_width[l] > 0) cache.write_v(layer, seq, pos, row_values(layer, seq, pos, true, gen).data());
  }
}

// |stored - written| within what the format allows: 0 for f32; bf16 keeps 8 significant bits;
// q8 half a step of its group's float16 scale, plus the clamp of the group's largest value.
void expect_close(const float* got, const std::vector<float>& want, int64_t offset, int64_t count, KvPrecision p) {
  for (int64_t i = offset; i < offset + count; ++i) {
    const float w = want[static_cast<size_t>(i)], g = got[i - offset];
    if (p == KvPrecision::kF32) {
      ASSERT_EQ(g, w) << "value " << i;
    } else if (p == KvPrecision::kBf16) {
      ASSERT_LE(std::fabs(g - w), std::fabs(w) * 0x1p-8f) << "value " << i;
    } else {
      const int64_t a = i / kKvQ8Group * kKvQ8Group, b = std::min<int64_t>(a + kKvQ8Group, static_cast<int64_t>(want.size()));
      float amax = 0;
      for (int64_t j = a; j < b; ++j) amax = std::max(amax, std::fabs(want[static_cast<size_t>(j)]));
      const float scale = f16_to_f32(f32_to_f16(amax / 127.0f));
      ASSERT_LE(std::fabs(g - w), 0.5f * scale + amax * 0x1p-10f) << "value " << i;
    }
  }
}

// Reads every layer and position of every sequence in `expected`: whole rows and a slice.
void expect_contents(const KvCache& cache, const Expected& expected) {
  std::vector<float> scratch(64);
  for (const auto& [seq, gens] : expected) {
    SCOPED_TRACE(testing::Message() << "seq " << seq);
    ASSERT_TRUE(cache.has_sequence(seq));
    ASSERT_EQ(cache.length(seq), static_cast<int64_t>(gens.size()));
    ASSERT_EQ(cache.begin(seq), 0);
    for (int layer = 0; layer < 3; ++layer) {
      const auto l = static_cast<size_t>(layer);
      const KvLayerRows rows = cache.rows(layer, seq);
      ASSERT_EQ(rows.begin(), 0);
      ASSERT_EQ(rows.length(), static_cast<int64_t>(gens.size()));
      for (int64_t pos = 0; pos < rows.length(); ++pos) {
        SCOPED_TRACE(testing::Message() << "layer " << layer << " pos " << pos);
        const int gen = gens[static_cast<size_t>(pos)];
        const int64_t kw = kLayout.k_width[l], vw = kLayout.v_width[l];
        const std::vector<float> k = row_values(layer, seq, pos, false, gen);
        expect_close(rows.k(pos, 0, kw, scratch.data()), k, 0, kw, cache.precision());
        expect_close(rows.k(pos, 1, kw - 2, scratch.data()), k, 1, kw - 2, cache.precision());
        if (vw > 0) {
          const std::vector<float> v = row_values(layer, seq, pos, true, gen);
          expect_close(rows.v(pos, 0, vw, scratch.data()), v, 0, vw, cache.precision());
          expect_close(rows.v(pos, vw - 2, 2, scratch.data()), v, vw - 2, 2, cache.precision());
        }
      }
    }
  }
}

class KvCachePaging : public testing::TestWithParam<KvPrecision> {};

// Three sequences written round-robin (11, 4 and 9 positions: 3, 1 and 3 pages of 4), read
// back; then one grows and has a row rewritten, and the others keep what they held.
TEST_P(KvCachePaging, InterleavedSequencesReadBackAndStayIndependent) {
  KvCache cache(kLayout, GetParam(), kPage);
  const int32_t a = cache.add_sequence(), b = cache.add_sequence(), c = cache.add_sequence();
  ASSERT_NE(a, b);
  ASSERT_NE(b, c);
  ASSERT_NE(a, c);
  Expected expected{{a, std::vector<int>(11, 0)}, {b, std::vector<int>(4, 0)}, {c, std::vector<int>(9, 0)}};
  for (int64_t pos = 0; pos < 11; ++pos)
    for (int32_t seq : {c, a, b})
      if (pos < static_cast<int64_t>(expected[seq].size())) write_position(cache, seq, pos, 0);
  expect_contents(cache, expected);

  // Whole pages per sequence and layer: 3 + 1 + 3 pages of 4 positions.
  EXPECT_EQ(static_cast<int64_t>(cache.bytes_allocated()), 7 * kPage * cache.bytes_per_token());

  // b grows past its first page (one position left unwritten, then filled) and rewrites
  // position 2; a and c are unchanged.
  write_position(cache, b, 6, 1);
  EXPECT_EQ(cache.length(b), 7);  // highest written + 1
  write_position(cache, b, 5, 1);
  write_position(cache, b, 4, 1);
  write_position(cache, b, 2, 1);
  expected[b] = {0, 0, 1, 0, 1, 1, 1};
  expect_contents(cache, expected);
}

TEST_P(KvCachePaging, TruncateForgetsLaterPositionsAndKeepsEarlierOnes) {
  KvCache cache(kLayout, GetParam(), kPage);
  const int32_t a = cache.add_sequence(), b = cache.add_sequence();
  Expected expected{{a, std::vector<int>(11, 0)}, {b, std::vector<int>(10, 0)}};
  for (int64_t pos = 0; pos < 11; ++pos) {
    write_position(cache, a, pos, 0);
    if (pos < 10) write_position(cache, b, pos, 0);
  }
  expect_contents(cache, expected);

  // Across two page boundaries to the middle of the first page; a larger n changes nothing.
  cache.truncate(a, 3);
  EXPECT_EQ(cache.length(a), 3);
  cache.truncate(a, 8);
  EXPECT_EQ(cache.length(a), 3);
  expected[a] = {0, 0, 0};
  expect_contents(cache, expected);
  // Rewritten past the cut with new values, across the boundaries again.
  for (int64_t pos = 3; pos < 9; ++pos) write_position(cache, a, pos, 1);
  expected[a] = {0, 0, 0, 1, 1, 1, 1, 1, 1};
  expect_contents(cache, expected);

  // Exactly at a page boundary.
  cache.truncate(b, 8);
  expected[b].resize(8);
  expect_contents(cache, expected);
  write_position(cache, b, 8, 2);
  expected[b].push_back(2);
  expect_contents(cache, expected);

  // To 0: empty, then written again from the start.
  cache.truncate(a, 0);
  EXPECT_EQ(cache.length(a), 0);
  EXPECT_EQ(cache.begin(a), 0);
  EXPECT_EQ(cache.rows(0, a).length(), 0);
  expected[a] = {};
  expect_contents(cache, expected);
  for (int64_t pos = 0; pos < 5; ++pos) write_position(cache, a, pos, 3);
  expected[a] = {3, 3, 3, 3, 3};
  expect_contents(cache, expected);
}

TEST_P(KvCachePaging, RemoveSequenceLeavesTheOthers) {
  KvCache cache(kLayout, GetParam(), kPage);
  const int32_t a = cache.add_sequence(), b = cache.add_sequence(), c = cache.add_sequence();
  for (int64_t pos = 0; pos < 6; ++pos)
    for (int32_t seq : {a, b, c}) write_position(cache, seq, pos, 0);
  cache.remove_sequence(b);
  EXPECT_FALSE(cache.has_sequence(b));
  EXPECT_TRUE(cache.has_sequence(a));
  EXPECT_TRUE(cache.has_sequence(c));
  // b's pages are gone: two sequences of 2 pages each remain.
  EXPECT_EQ(static_cast<int64_t>(cache.bytes_allocated()), 4 * kPage * cache.bytes_per_token());
  const int32_t d = cache.add_sequence();  // a new sequence starts empty
  EXPECT_TRUE(cache.has_sequence(d));
  EXPECT_EQ(cache.length(d), 0);
  write_position(cache, d, 0, 5);
  expect_contents(cache, Expected{{a, std::vector<int>(6, 0)}, {c, std::vector<int>(6, 0)}, {d, {5}}});
}

INSTANTIATE_TEST_SUITE_P(KvCache, KvCachePaging, testing::ValuesIn(kKvPrecisions),
                         [](const testing::TestParamInfo<KvPrecision>& info) {
                           return std::string(kv_precision_name(info.param));
                         });

// A sequence whose first write is at position 6 begins there (a window of a long document at
// its true positions); truncating it to its start or before empties it.
TEST(KvCache, SequenceStartingLaterBeginsAtItsFirstWrite) {
  KvCache cache(kLayout, KvPrecision::kF32, kPage);
  const int32_t s = cache.add_sequence();
  for (int64_t pos = 6; pos < 11; ++pos) write_position(cache, s, pos, 0);
  // ASSERT: rows() and the writes below check the start themselves and abort when it is wrong.
  ASSERT_EQ(cache.begin(s), 6);
  ASSERT_EQ(cache.length(s), 11);
  std::vector<float> scratch(64);
  for (int layer = 0; layer < 3; ++layer) {
    const KvLayerRows rows = cache.rows(layer, s);
    EXPECT_EQ(rows.begin(), 6);
    EXPECT_EQ(rows.length(), 11);
    for (int64_t pos = 6; pos < 11; ++pos) {
      const int64_t kw = kLayout.k_width[static_cast<size_t>(layer)];
      expect_close(rows.k(pos, 0, kw, scratch.data()), row_values(layer, s, pos, false, 0), 0, kw, KvPrecision::kF32);
    }
  }
  cache.truncate(s, 8);  // still past the start
  EXPECT_EQ(cache.begin(s), 6);
  EXPECT_EQ(cache.length(s), 8);
  cache.truncate(s, 6);  // nothing left
  ASSERT_EQ(cache.length(s), 0);
  ASSERT_EQ(cache.begin(s), 0);
  // The next write sets the start again.
  write_position(cache, s, 2, 0);
  EXPECT_EQ(cache.begin(s), 2);
  EXPECT_EQ(cache.length(s), 3);
}

TEST(KvCacheDeathTest, RemovedSequenceIsUnknown) {
  KvCache cache(kLayout, KvPrecision::kF32, kPage);
  const int32_t s = cache.add_sequence();
  write_position(cache, s, 0, 0);
  cache.remove_sequence(s);
  EXPECT_DEATH(cache.length(s), "unknown sequence");
  EXPECT_DEATH(cache.rows(0, s), "unknown sequence");
}

}  // namespace
}  // namespace hearth
