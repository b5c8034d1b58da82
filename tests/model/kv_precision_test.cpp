// KV cache row storage at f32, bf16 and q8: encode/decode error bounds derived from each
// format (bf16 keeps 8 significant bits; q8 rounds to the nearest multiple of its group's
// scale amax/127), partial-range reads equal to the whole row's slice, rows whose width is not
// a multiple of the q8 group, and the cache's byte accounting.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "src/base/half.h"
#include "src/model/kv_cache.h"

namespace hearth {
namespace {

std::vector<float> random_row(int64_t width, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, 3.0f);
  std::vector<float> v(static_cast<size_t>(width));
  for (auto& x : v) x = dist(rng);
  if (width > 7) v[7] = 40.0f;  // an outlier: only its own group's scale grows
  return v;
}

std::vector<float> round_trip(const std::vector<float>& row, KvPrecision p) {
  const auto width = static_cast<int64_t>(row.size());
  std::vector<uint8_t> bytes(static_cast<size_t>(kv_row_bytes(width, p)));
  kv_encode_row(row.data(), width, p, bytes.data());
  std::vector<float> out(row.size());
  kv_decode_range(bytes.data(), width, p, 0, width, out.data());
  return out;
}

TEST(KvPrecision, NamesParse) {
  for (KvPrecision p : kKvPrecisions)
    EXPECT_EQ(parse_kv_precision(kv_precision_name(p)), p);
  EXPECT_FALSE(parse_kv_precision("q4").has_value());
}

TEST(KvPrecision, RowBytes) {
  EXPECT_EQ(kv_row_bytes(576, KvPrecision::kF32), 2304);
  EXPECT_EQ(kv_row_bytes(576, KvPrecision::kBf16), 1152);
  EXPECT_EQ(kv_row_bytes(576, KvPrecision::kQ8), 576 + 18 * 2);
  EXPECT_EQ(kv_row_bytes(45, KvPrecision::kQ8), 45 + 2 * 2);  // a short last group
  EXPECT_EQ(kv_row_bytes(0, KvPrecision::kQ8), 0);
}

TEST(KvPrecision, RoundTripErrorBounds) {
  for (int64_t width : {1, 31, 32, 45, 96, 576}) {
    SCOPED_TRACE(width);
    const std::vector<float> row = random_row(width, static_cast<uint32_t>(width));
    EXPECT_EQ(round_trip(row, KvPrecision::kF32), row);
    const std::vector<float> bf = round_trip(row, KvPrecision::kBf16);
    for (size_t i = 0; i < row.size(); ++i) EXPECT_LE(std::fabs(bf[i] - row[i]), std::fabs(row[i]) * 0x1p-8f);
    const std::vector<float> q8 = round_trip(row, KvPrecision::kQ8);
    for (int64_t g = 0; g * kKvQ8Group < width; ++g) {
      const int64_t a = g * kKvQ8Group, b = std::min(width, a + kKvQ8Group);
      float amax = 0;
      for (int64_t i = a; i < b; ++i) amax = std::max(amax, std::fabs(row[static_cast<size_t>(i)]));
      const float scale = f16_to_f32(f32_to_f16(amax / 127.0f));
      for (int64_t i = a; i < b; ++i) {
        const auto k = static_cast<size_t>(i);
        // Half a step of rounding; the float16 scale may sit just under amax/127, so the
        // largest value can also be clamped by up to 127 x its relative rounding (2^-11).
        EXPECT_LE(std::fabs(q8[k] - row[k]), 0.5f * scale + amax * 0x1p-10f) << i;
      }
    }
  }
}

TEST(KvPrecision, ZeroRowStaysZero) {
  const std::vector<float> zeros(40, 0.0f);
  EXPECT_EQ(round_trip(zeros, KvPrecision::kQ8), zeros);
  EXPECT_EQ(round_trip(zeros, KvPrecision::kBf16), zeros);
}

TEST(KvPrecision, RangeDecodeIsTheRowsSlice) {
  const int64_t width = 100;
  const std::vector<float> row = random_row(width, 7);
  for (KvPrecision p : kKvPrecisions) {
    std::vector<uint8_t> bytes(static_cast<size_t>(kv_row_bytes(width, p)));
    kv_encode_row(row.data(), width, p, bytes.data());
    const std::vector<float> whole = round_trip(row, p);
    for (auto [off, count] : {std::pair<int64_t, int64_t>{0, 100}, {5, 20}, {30, 40}, {64, 36}, {99, 1}}) {
      std::vector<float> part(static_cast<size_t>(count));
      kv_decode_range(bytes.data(), width, p, off, count, part.data());
      EXPECT_EQ(part, std::vector<float>(whole.begin() + off, whole.begin() + off + count))
          << kv_precision_name(p) << " [" << off << ", " << off + count << ")";
    }
  }
}

TEST(KvPrecision, CacheStoresAndReadsEachPrecision) {
  const KvCacheLayout layout{{48, 20}, {48, 0}};
  for (KvPrecision p : kKvPrecisions) {
    SCOPED_TRACE(std::string(kv_precision_name(p)));
    KvCache cache(layout, p, /*page_positions=*/4);
    const int32_t seq = cache.add_sequence();
    for (int64_t pos = 0; pos < 6; ++pos) {
      for (int layer = 0; layer < 2; ++layer) {
        const auto l = static_cast<size_t>(layer);
        const std::vector<float> k = random_row(layout.k_width[l], static_cast<uint32_t>(100 * pos + layer));
        cache.write_k(layer, seq, pos, k.data());
        if (layout.v_width[l] > 0) {
          const std::vector<float> v = random_row(layout.v_width[l], static_cast<uint32_t>(100 * pos + layer + 50));
          cache.write_v(layer, seq, pos, v.data());
        }
      }
    }
    EXPECT_EQ(cache.length(seq), 6);
    std::vector<float> scratch(48);
    for (int64_t pos = 0; pos < 6; ++pos) {
      const std::vector<float> k = round_trip(random_row(48, static_cast<uint32_t>(100 * pos)), p);
      const std::vector<float> v = round_trip(random_row(48, static_cast<uint32_t>(100 * pos + 50)), p);
      const KvLayerRows rows = cache.rows(0, seq);
      EXPECT_EQ(rows.begin(), 0);
      EXPECT_EQ(rows.length(), 6);
      const float* kv = rows.k(pos, 16, 24, scratch.data());
      EXPECT_EQ(std::vector<float>(kv, kv + 24), std::vector<float>(k.begin() + 16, k.begin() + 40));
      const float* vv = rows.v(pos, 0, 48, scratch.data());
      EXPECT_EQ(std::vector<float>(vv, vv + 48), v);
    }
    // Two pages of 4 positions for each layer, at this precision's row bytes.
    const int64_t per_pos = kv_row_bytes(48, p) * 2 + kv_row_bytes(20, p);
    EXPECT_EQ(cache.bytes_per_token(), per_pos);
    EXPECT_EQ(static_cast<int64_t>(cache.bytes_allocated()), 8 * per_pos);
    EXPECT_EQ(cache.bytes_for_positions(6), 8 * per_pos);
  }
}

}  // namespace
}  // namespace hearth
