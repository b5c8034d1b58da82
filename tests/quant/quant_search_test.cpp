// Unit tests of the quant/ scale search and the dot-product references: the searched scale is
// never worse than round-to-nearest on the importance-weighted metric (per group, many random
// groups of gaussian, laplacian, uniform and outlier-heavy data), importance weighting lowers
// the weighted error, q4g32nl beats q4g32 at the same 4.5 bpw, and dot_row / int8-activation
// dot_row_q8act agree with dequantize-then-dot.
// Not here: layouts, round trips and bounds (quant_codec_test.cpp).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "quant/codec.h"
#include "tests/common/quant_test_util.h"
#include "quant/error.h"

namespace hearth {
namespace {

using namespace test;  // NOLINT: the shared helpers read as part of these tests


const char* kDists[] = {"gaussian", "laplacian", "uniform", "outliers"};

std::vector<float> quant_dequant(Format f, const std::vector<float>& w, const float* imp,
                                 bool search) {
  QuantOptions opt;
  opt.search = search;
  const int64_t n = static_cast<int64_t>(w.size());
  std::vector<uint8_t> q(format_bytes(f, w.size()));
  const Status s = quantize_row(f, w.data(), n, q.data(), imp, opt);
  EXPECT_TRUE(s.is_ok()) << s.message();
  std::vector<float> out(w.size());
  dequantize_row(f, q.data(), n, out.data());
  return out;
}

TEST(QuantSearch, NeverWorseThanRtnPerGroup) {
  constexpr int kGroups = 2048;
  for (Format f : kQuantFormats)
    for (const char* dist : kDists)
      for (bool weighted : {false, true}) {
        const auto w = random_weights(dist, 32 * kGroups, 21);
        const auto imp = random_importance(32 * kGroups, 22);
        const float* c = weighted ? imp.data() : nullptr;
        const auto rtn = quant_dequant(f, w, c, false);
        const auto srch = quant_dequant(f, w, c, true);
        double sum_rtn = 0, sum_srch = 0;
        for (int g = 0; g < kGroups; ++g) {
          const double e_rtn = weighted_sq_error(&w[g * 32], &rtn[g * 32], c ? c + g * 32 : c, 32);
          const double e_srch =
              weighted_sq_error(&w[g * 32], &srch[g * 32], c ? c + g * 32 : c, 32);
          ASSERT_LE(e_srch, e_rtn * (1 + 1e-6) + 1e-30)
              << format_traits(f).name << " " << dist << " weighted=" << weighted << " g=" << g;
          sum_rtn += e_rtn;
          sum_srch += e_srch;
        }
        // And better in aggregate (measured 2% lower squared error for q4g32 on outlier-heavy
        // groups, where the outlier fixes the scale; 8-45% elsewhere).
        EXPECT_LT(sum_srch, 0.99 * sum_rtn) << format_traits(f).name << " " << dist;
      }
}

TEST(QuantSearch, ImportanceLowersWeightedError) {
  constexpr int64_t n = 32 * 2048;
  for (Format f : kQuantFormats)
    for (const char* dist : kDists) {
      const auto w = random_weights(dist, n, 31);
      const auto imp = random_importance(n, 32);
      const auto plain = quant_dequant(f, w, nullptr, true);
      const auto aware = quant_dequant(f, w, imp.data(), true);
      const double e_plain = weighted_sq_error(w.data(), plain.data(), imp.data(), n);
      const double e_aware = weighted_sq_error(w.data(), aware.data(), imp.data(), n);
      // q6g32 on "outliers" is the one measured exception: 64 levels under a scale pinned by the
      // x20 outliers leave the weighting nothing to trade (measured 0.5% worse than plain).
      const bool pinned = f == Format::kQ6G32 && std::string(dist) == "outliers";
      EXPECT_LT(e_aware, (pinned ? 1.01 : 0.9) * e_plain) << format_traits(f).name << " " << dist;
      // The unweighted error may rise, but not absurdly.
      const double u_plain = weighted_sq_error(w.data(), plain.data(), nullptr, n);
      const double u_aware = weighted_sq_error(w.data(), aware.data(), nullptr, n);
      EXPECT_LT(u_aware, 2.0 * u_plain) << format_traits(f).name << " " << dist;
    }
}

TEST(QuantSearch, ZeroImportanceGroupsStillQuantize) {
  const auto w = random_weights("gaussian", 64, 3);
  const std::vector<float> imp(64, 0.0f);
  for (Format f : kQuantFormats) {
    const auto out = quant_dequant(f, w, imp.data(), true);
    EXPECT_LT(measure_error(w.data(), out.data(), 64).rel_rmse, 0.15) << format_traits(f).name;
  }
}

// The product's 4-bit expert format must beat IQ4_NL-equivalent and plain int4 at 4.5 bpw.
TEST(QuantSearch, NonUniformCodebookBeatsUniformInt4) {
  constexpr int64_t n = 32 * 4096;
  for (const char* dist : {"gaussian", "laplacian"}) {
    const auto w = random_weights(dist, n, 41);
    const auto q4 = quant_dequant(Format::kQ4G32, w, nullptr, true);
    const auto nl = quant_dequant(Format::kQ4G32NL, w, nullptr, true);
    const double e_q4 = measure_error(w.data(), q4.data(), n).rel_rmse;
    const double e_nl = measure_error(w.data(), nl.data(), n).rel_rmse;
    EXPECT_LT(e_nl, 0.93 * e_q4) << dist;  // measured ~0.90 gaussian, ~0.83 laplacian
  }
}

TEST(QuantSearch, GaussianErrorFigures) {
  // Pins the figures quoted in docs/QUANT.md (gaussian, unweighted, relative RMSE) loosely.
  constexpr int64_t n = 32 * 4096;
  const auto w = random_weights("gaussian", n, 7);
  struct Case { Format f; bool search; double lo, hi; };
  const Case cases[] = {{Format::kQ8G32, false, 0.0050, 0.0058}, {Format::kQ8G32, true, 0.0046, 0.0053},
                        {Format::kQ4G32, false, 0.082, 0.091},   {Format::kQ4G32, true, 0.077, 0.085},
                        {Format::kQ4G32Z, false, 0.074, 0.083},  {Format::kQ4G32Z, true, 0.065, 0.074},
                        {Format::kQ4G32NL, false, 0.076, 0.084}, {Format::kQ4G32NL, true, 0.069, 0.077}};
  for (const Case& c : cases) {
    const auto out = quant_dequant(c.f, w, nullptr, c.search);
    const double e = measure_error(w.data(), out.data(), n).rel_rmse;
    EXPECT_GT(e, c.lo) << format_traits(c.f).name << " search=" << c.search;
    EXPECT_LT(e, c.hi) << format_traits(c.f).name << " search=" << c.search;
  }
}

TEST(QuantDot, DotRowMatchesDequantizedDot) {
  for (Format f : kAllFormats)
    for (int64_t n : {32, 64, 4096}) {
      const auto w = random_weights("laplacian", n, 51), x = random_weights("gaussian", n, 52);
      std::vector<uint8_t> q(format_bytes(f, static_cast<size_t>(n)));
      ASSERT_TRUE(quantize_row(f, w.data(), n, q.data(), nullptr, QuantOptions{}));
      std::vector<float> deq(static_cast<size_t>(n));
      dequantize_row(f, q.data(), n, deq.data());
      double ref = 0, mag = 0;
      for (int64_t i = 0; i < n; ++i) {
        ref += static_cast<double>(deq[i]) * x[i];
        mag += std::fabs(static_cast<double>(deq[i]) * x[i]);
      }
      EXPECT_NEAR(dot_row(f, q.data(), x.data(), n), ref, 1e-5 * mag + 1e-6)
          << format_traits(f).name << " n=" << n;
    }
}

TEST(QuantDot, ActivationQuantizationBoundAndQ8ActDot) {
  constexpr int64_t n = 4096;
  const auto x = random_weights("outliers", n, 61);
  std::vector<ActQ8G32> xq(n / 32 + 1);
  xq.back().scale = 12345.0f;  // guard block
  ASSERT_TRUE(quantize_activations_q8(x.data(), n, xq.data()));
  EXPECT_EQ(xq.back().scale, 12345.0f);
  std::vector<float> xd(n);
  for (int64_t i = 0; i < n; ++i) {
    const ActQ8G32& b = xq[i / 32];
    xd[i] = b.scale * b.q[i % 32];
    // scale = amax/127 exactly (float), q = round(x/scale): error <= scale/2 (+ float rounding).
    ASSERT_LE(std::fabs(xd[i] - x[i]), b.scale * 0.5f * (1 + 1e-5f)) << i;
  }
  for (Format f : kAllFormats) {
    const auto w = random_weights("gaussian", n, 62);
    std::vector<uint8_t> q(format_bytes(f, n));
    ASSERT_TRUE(quantize_row(f, w.data(), n, q.data(), nullptr, QuantOptions{}));
    const float exact_act = dot_row(f, q.data(), xd.data(), n);  // same math, float activations
    double mag = 0;
    for (int64_t i = 0; i < n; ++i) mag += std::fabs(static_cast<double>(w[i]) * xd[i]);
    EXPECT_NEAR(dot_row_q8act(f, q.data(), xq.data(), n), exact_act, 1e-5 * mag)
        << format_traits(f).name;
  }
  std::vector<float> bad(x.begin(), x.begin() + 64);
  bad[9] = NAN;
  EXPECT_FALSE(quantize_activations_q8(bad.data(), 64, xq.data()).is_ok());
  EXPECT_FALSE(quantize_activations_q8(x.data(), 33, xq.data()).is_ok());
}

}  // namespace
}  // namespace hearth
