// Unit tests of the quant/ reference codecs: block sizes and the format table, exact round
// trips where values are representable, error bounds derived from each format's RTN rule,
// awkward lengths and their rejection, edge groups (zero, constant, one outlier), overflow and
// non-finite input, and guard bytes after every output buffer.
// Not here: scale search quality and the dot-product references (quant_search_test.cpp).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "quant/blocks.h"
#include "quant/codec.h"
#include "tests/common/quant_test_util.h"
#include "quant/error.h"
#include "src/base/half.h"

namespace hearth {
namespace {

using namespace test;  // NOLINT: the shared helpers read as part of these tests


QuantOptions rtn() {
  QuantOptions o;
  o.search = false;
  return o;
}

// Quantizes then dequantizes n values through guarded buffers; checks the guards.
std::vector<float> round_trip(Format f, const std::vector<float>& w, const QuantOptions& opt,
                              const float* imp = nullptr) {
  const int64_t n = static_cast<int64_t>(w.size());
  Guarded q(format_bytes(f, w.size()));
  const Status s = quantize_row(f, w.data(), n, q.data(), imp, opt);
  EXPECT_TRUE(s.is_ok()) << s.message();
  EXPECT_TRUE(q.guard_intact()) << format_traits(f).name << " quantize overran, n=" << n;
  Guarded out(w.size() * sizeof(float));
  dequantize_row(f, q.data(), n, out.floats());
  EXPECT_TRUE(out.guard_intact()) << format_traits(f).name << " dequantize overran, n=" << n;
  return std::vector<float>(out.floats(), out.floats() + n);
}

TEST(QuantFormat, BlockSizesMatchTable) {
  EXPECT_EQ(sizeof(BlockQ8G32), format_traits(Format::kQ8G32).block_bytes);
  EXPECT_EQ(sizeof(BlockQ4G32), format_traits(Format::kQ4G32).block_bytes);
  EXPECT_EQ(sizeof(BlockQ4G32Z), format_traits(Format::kQ4G32Z).block_bytes);
  EXPECT_EQ(sizeof(BlockQ4G32NL), format_traits(Format::kQ4G32NL).block_bytes);
  EXPECT_EQ(sizeof(BlockQ6G32), format_traits(Format::kQ6G32).block_bytes);
  EXPECT_DOUBLE_EQ(format_traits(Format::kQ6G32).bits_per_weight(), 6.5);
  EXPECT_EQ(static_cast<int>(Format::kQ6G32), 7);
  EXPECT_DOUBLE_EQ(format_traits(Format::kQ8G32).bits_per_weight(), 8.5);
  EXPECT_DOUBLE_EQ(format_traits(Format::kQ4G32).bits_per_weight(), 4.5);
  EXPECT_DOUBLE_EQ(format_traits(Format::kQ4G32Z).bits_per_weight(), 5.0);
  EXPECT_DOUBLE_EQ(format_traits(Format::kQ4G32NL).bits_per_weight(), 4.5);
  // Enum values are part of the file format and must never change.
  EXPECT_EQ(static_cast<int>(Format::kQ8G32), 3);
  EXPECT_EQ(static_cast<int>(Format::kQ4G32), 4);
  EXPECT_EQ(static_cast<int>(Format::kQ4G32Z), 5);
  EXPECT_EQ(static_cast<int>(Format::kQ4G32NL), 6);
  for (Format f : kAllFormats) EXPECT_EQ(format_from_name(format_traits(f).name), f);
  EXPECT_FALSE(format_from_name("q3g32").has_value());
}

TEST(QuantFormat, NibbleOrderLowIsFirstHalf) {
  BlockQ4G32 b{};
  b.scale_f16 = f32_to_f16(1.0f);
  for (int j = 0; j < 16; ++j) b.q[j] = static_cast<uint8_t>(j | ((15 - j) << 4));
  float out[32];
  dequantize_row(Format::kQ4G32, &b, 32, out);
  for (int j = 0; j < 16; ++j) {
    EXPECT_EQ(out[j], static_cast<float>(j - 8)) << j;
    EXPECT_EQ(out[j + 16], static_cast<float>(15 - j - 8)) << j;
  }
}

TEST(QuantCodec, FloatFormatsExactOnRepresentableValues) {
  std::vector<float> w = {0.0f, -0.0f, 1.0f, -2.5f, 65504.0f, 6.103515625e-05f /*min normal*/,
                          5.9604644775390625e-08f /*min subnormal*/, 0.333251953125f};
  w.resize(31, 0.75f);  // awkward length: float formats have no block
  for (Format f : kFloatFormats) {
    const auto out = round_trip(f, w, QuantOptions{});
    for (size_t i = 0; i < w.size(); ++i) {
      float expect = w[i];
      if (f == Format::kBF16) expect = bf16_to_f32(f32_to_bf16(w[i]));  // bf16: 8-bit mantissa
      EXPECT_EQ(out[i], expect) << format_traits(f).name << " i=" << i;
    }
  }
}

TEST(QuantCodec, FloatFormatsRelativeErrorBound) {
  const auto w = random_weights("gaussian", 4096, 1);
  const double eps[] = {0.0, std::ldexp(1.0, -11), std::ldexp(1.0, -8)};  // half an ulp
  for (Format f : kFloatFormats) {
    const auto out = round_trip(f, w, QuantOptions{});
    for (size_t i = 0; i < w.size(); ++i)
      ASSERT_LE(std::fabs(out[i] - w[i]), eps[static_cast<int>(f)] * std::fabs(w[i]) + 1e-7)
          << format_traits(f).name << " i=" << i;
  }
}

// Values that each format represents exactly, so RTN and search both reproduce them.
std::vector<float> representable(Format f, int groups, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<float> w;
  for (int g = 0; g < groups; ++g) {
    const float s = std::ldexp(1.0f, static_cast<int>(rng() % 20) - 14);  // power of two
    for (int i = 0; i < 32; ++i) {
      const int r = static_cast<int>(rng() % 255);
      if (f == Format::kQ8G32) w.push_back(s * (i == 5 ? -127 : r - 127));
      if (f == Format::kQ4G32) w.push_back(s * (i == 5 ? -8 : r % 16 - 8));
      if (f == Format::kQ4G32NL) w.push_back(s * kCodebookQ4NL[i == 5 ? 0 : r % 16]);
      if (f == Format::kQ6G32) w.push_back(s * (i == 5 ? -32 : r % 64 - 32));
      if (f == Format::kQ4G32Z) w.push_back(0.5f + s * (i == 5 ? 0 : i == 6 ? 15 : r % 16));
    }
  }
  return w;
}

TEST(QuantCodec, ExactRoundTripOfRepresentableValues) {
  for (Format f : kQuantFormats)
    for (bool search : {false, true}) {
      QuantOptions opt;
      opt.search = search;
      const auto w = representable(f, 64, 3);
      const auto out = round_trip(f, w, opt);
      for (size_t i = 0; i < w.size(); ++i)
        ASSERT_EQ(out[i], w[i]) << format_traits(f).name << " search=" << search << " i=" << i;
    }
}

// RTN bounds, per group, from each format's scale rule. With stored scale dh (and min mh),
// the levels dh*L span [lo_end, hi_end]; nearest-level rounding errs by at most half the
// widest gap inside that span (q8g32, q4g32: dh/2; q4g32z: sh/2; q4g32nl: 24/2 dh, the gap
// 89..113) and by the distance to the span outside it. The RTN rule puts one end of the span
// on max|w| up to the fp16 rounding of the scale (relative 2^-11 while the scale is a normal
// fp16 number), so the clipped part is at most 2^-11 * 127 steps for q8g32; for q4g32 and q6g32 a full
// step (elements of the other sign meet +7 against the -8 rule: 8 * (1 + 2^-11) - 7) and for
// q4g32nl 14 steps (127 * (1 + 2^-11) - 113); for q4g32z 2^-11 (|lo| + hi - lo).
void check_rtn_bound(Format f, const std::vector<float>& w, const std::vector<float>& out,
                     const std::string& what) {
  for (size_t g = 0; g < w.size() / 32; ++g) {
    const float* x = &w[g * 32];
    float lo = x[0], hi = x[0], amax = 0, mx = 0;
    for (int i = 0; i < 32; ++i) {
      lo = std::min(lo, x[i]);
      hi = std::max(hi, x[i]);
      if (std::fabs(x[i]) > amax) { amax = std::fabs(x[i]); mx = x[i]; }
    }
    double d0 = 0, half_gap = 0, lo_end = 0, hi_end = 0, clip_allowed = 0;
    if (f == Format::kQ4G32Z) {
      d0 = (hi - lo) / 15.0f;
      const double sh = f16_to_f32(f32_to_f16(d0)), mh = f16_to_f32(f32_to_f16(lo));
      half_gap = sh / 2;
      lo_end = mh;
      hi_end = mh + 15 * sh;
      clip_allowed = std::ldexp(1.0, -11) * (std::fabs(lo) + hi - lo);
    } else {
      const double lmin = f == Format::kQ8G32 ? -127 : f == Format::kQ4G32 ? -8 : f == Format::kQ6G32 ? -32 : -127;
      const double lmax = f == Format::kQ8G32 ? 127 : f == Format::kQ4G32 ? 7 : f == Format::kQ6G32 ? 31 : 113;
      d0 = f == Format::kQ8G32 ? amax / 127.0f : mx / static_cast<float>(lmin);
      const double dh = f16_to_f32(f32_to_f16(static_cast<float>(d0)));
      half_gap = std::fabs(dh) * (f == Format::kQ4G32NL ? 12.0 : 0.5);
      lo_end = std::min(dh * lmin, dh * lmax);
      hi_end = std::max(dh * lmin, dh * lmax);
      const double end_steps = lmax;
      clip_allowed = std::fabs(dh) * (-lmin * (1 + std::ldexp(1.0, -11)) - end_steps);
    }
    const double slack = 4e-7 * (std::fabs(lo) + std::fabs(hi)) + 1e-30;  // float arithmetic
    for (int i = 0; i < 32; ++i) {
      const double err = std::fabs(static_cast<double>(out[g * 32 + i]) - x[i]);
      const double clip = std::max({0.0, lo_end - x[i], x[i] - hi_end});
      ASSERT_LE(err, std::max(half_gap, clip) + slack)
          << format_traits(f).name << " " << what << " group " << g << " i=" << i;
      if (std::fabs(d0) >= std::ldexp(1.0, -14)) {  // fp16 normal range
        ASSERT_LE(clip, clip_allowed + slack) << format_traits(f).name << " group " << g;
      }
    }
  }
}

TEST(QuantCodec, RtnErrorBoundsPerFormat) {
  for (Format f : kQuantFormats)
    for (std::string dist : {"gaussian", "laplacian", "uniform", "outliers"})
      for (float scale : {1.0f, 1e-3f, 37.0f}) {
        const auto w = random_weights(dist, 32 * 256, 5, scale);
        check_rtn_bound(f, w, round_trip(f, w, rtn()), dist);
      }
}

TEST(QuantCodec, AwkwardLengthsAndGuards) {
  for (Format f : kAllFormats)
    for (int64_t n : {1, 3, 31, 32, 33, 64, 127, 129, 4095, 4096}) {
      const auto w = random_weights("gaussian", n, static_cast<uint32_t>(n));
      const bool ok = n % format_traits(f).block_elements == 0;
      if (ok) {
        const auto out = round_trip(f, w, QuantOptions{});
        EXPECT_LT(measure_error(w.data(), out.data(), n).rel_rmse, 0.15);
        continue;
      }
      Guarded q(format_bytes(f, static_cast<size_t>(n)) + 64);
      const Status s = quantize_row(f, w.data(), n, q.data(), nullptr, QuantOptions{});
      ASSERT_FALSE(s.is_ok()) << format_traits(f).name << " n=" << n;
      EXPECT_NE(s.message().find("not a multiple of the block size 32"), std::string::npos)
          << s.message();
      EXPECT_TRUE(q.guard_intact());
    }
}

TEST(QuantCodecDeathTest, DequantizeRejectsPartialBlock) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  std::vector<uint8_t> q(64);
  std::vector<float> out(64);
  EXPECT_DEATH(dequantize_row(Format::kQ4G32, q.data(), 33, out.data()), "multiple");
}

TEST(QuantCodec, AllZeroGroupsDecodeToZero) {
  const std::vector<float> w(96, 0.0f);
  for (Format f : kAllFormats)
    for (bool search : {false, true}) {
      QuantOptions opt;
      opt.search = search;
      for (float v : round_trip(f, w, opt)) ASSERT_EQ(v, 0.0f) << format_traits(f).name;
    }
}

TEST(QuantCodec, ConstantGroups) {
  for (float c : {0.75f, -3.0f, 1e-3f, 1000.0f}) {
    const std::vector<float> w(64, c);
    for (Format f : kQuantFormats)
      for (bool search : {false, true}) {
        QuantOptions opt;
        opt.search = search;
        const auto out = round_trip(f, w, opt);
        // One fp16 rounding of the scale (or of the minimum, exact for q4g32z here).
        for (float v : out) ASSERT_NEAR(v, c, std::fabs(c) * std::ldexp(1.0, -10)) << c;
        if (f == Format::kQ4G32Z) {
          for (float v : out) ASSERT_EQ(v, f16_to_f32(f32_to_f16(c)));
        }
      }
  }
}

TEST(QuantCodec, OneHugeOutlierKeepsBothOutlierAndBulk) {
  auto w = random_weights("gaussian", 64, 9, 0.01f);
  w[17] = 100.0f;
  w[32 + 3] = -100.0f;
  for (Format f : kQuantFormats)
    for (bool search : {false, true}) {
      QuantOptions opt;
      opt.search = search;
      const auto out = round_trip(f, w, opt);
      EXPECT_NEAR(out[17], 100.0f, 100.0f * 0.002f) << format_traits(f).name;
      EXPECT_NEAR(out[35], -100.0f, 100.0f * 0.002f) << format_traits(f).name;
      for (float v : out) ASSERT_TRUE(std::isfinite(v));
    }
}

TEST(QuantCodec, RejectsNonFiniteInputAndBadImportance) {
  auto w = random_weights("gaussian", 64, 2);
  std::vector<uint8_t> q(format_bytes(Format::kQ8G32, 64));
  w[40] = NAN;
  Status s = quantize_row(Format::kQ8G32, w.data(), 64, q.data(), nullptr, QuantOptions{});
  ASSERT_FALSE(s.is_ok());
  EXPECT_NE(s.message().find("NaN or Inf (first at index 40"), std::string::npos) << s.message();
  w[40] = 0.5f;
  std::vector<float> imp(64, 1.0f);
  imp[7] = -1.0f;
  s = quantize_row(Format::kQ8G32, w.data(), 64, q.data(), imp.data(), QuantOptions{});
  ASSERT_FALSE(s.is_ok());
  EXPECT_NE(s.message().find("importance[7]"), std::string::npos) << s.message();
}

TEST(QuantCodec, ScaleOverflowIsAnError) {
  for (Format f : kAllFormats) {
    if (f == Format::kF32 || f == Format::kBF16) continue;
    std::vector<float> w(32, 1.0f);
    w[3] = 1e7f * (f == Format::kQ8G32 ? 2.0f : 1.0f);
    std::vector<uint8_t> q(format_bytes(f, 32));
    const Status s = quantize_row(f, w.data(), 32, q.data(), nullptr, QuantOptions{});
    ASSERT_FALSE(s.is_ok()) << format_traits(f).name;
    EXPECT_NE(s.message().find("range"), std::string::npos) << s.message();
  }
}

TEST(QuantCodec, MatrixMatchesRowsAndReportsBadRow) {
  const int64_t rows = 37, cols = 128;
  auto w = random_weights("laplacian", rows * cols, 4);
  const auto imp = random_importance(cols, 5);
  for (Format f : kAllFormats) {
    const size_t row_bytes = format_bytes(f, cols);
    Guarded m(row_bytes * rows);
    ASSERT_TRUE(quantize_matrix(f, w.data(), rows, cols, m.data(), imp.data(), QuantOptions{}));
    EXPECT_TRUE(m.guard_intact());
    std::vector<uint8_t> r(row_bytes);
    for (int64_t i = 0; i < rows; ++i) {
      ASSERT_TRUE(quantize_row(f, &w[i * cols], cols, r.data(), imp.data(), QuantOptions{}));
      ASSERT_EQ(std::memcmp(r.data(), m.data() + i * row_bytes, row_bytes), 0) << i;
    }
  }
  w[20 * cols + 5] = INFINITY;
  std::vector<uint8_t> q(format_bytes(Format::kQ4G32, rows * cols));
  const Status s = quantize_matrix(Format::kQ4G32, w.data(), rows, cols, q.data(), nullptr,
                                   QuantOptions{});
  ASSERT_FALSE(s.is_ok());
  EXPECT_NE(s.message().find("row 20 of 37"), std::string::npos) << s.message();
}

TEST(QuantError, MeasureAndCheckFinite) {
  const float ref[4] = {1, -2, 3, 0}, approx[4] = {1, -2.5f, 3, 0.5f};
  const QuantError e = measure_error(ref, approx, 4);
  EXPECT_NEAR(e.rmse, std::sqrt(0.5 / 4), 1e-12);
  EXPECT_NEAR(e.rel_rmse, std::sqrt(0.5 / 14), 1e-12);
  EXPECT_DOUBLE_EQ(e.max_abs, 0.5);
  EXPECT_EQ(e.max_abs_at, 1);
  const float imp[4] = {1, 2, 3, 4};
  EXPECT_DOUBLE_EQ(weighted_sq_error(ref, approx, imp, 4), 2 * 0.25 + 4 * 0.25);
  EXPECT_EQ(measure_error(approx, approx, 4).rel_rmse, 0.0);
  EXPECT_TRUE(check_finite(ref, 4, "w").is_ok());
  const float bad[3] = {1, INFINITY, NAN};
  const Status s = check_finite(bad, 3, "blk.0.ffn_up");
  ASSERT_FALSE(s.is_ok());
  EXPECT_NE(s.message().find("blk.0.ffn_up: 2 of 3 values are NaN or Inf (first at index 1"),
            std::string::npos)
      << s.message();
}

}  // namespace
}  // namespace hearth
