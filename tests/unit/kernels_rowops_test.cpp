// Row helpers and the q8 activation preparation of every tier against the reference tier and
// quant/codec.h quantize_activations_q8, over awkward lengths, with guard values after outputs.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "kernels_avx512/kernel_table.h"
#include "quant/codec.h"

namespace hearth::kernels {
namespace {

constexpr float kGuard = -777.0f;

std::vector<float> random_vec(int64_t n, uint32_t seed, float scale = 1.0f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> v(static_cast<size_t>(n));
  for (auto& x : v) x = normal(rng) * scale;
  return v;
}

TEST(KernelsRowOps, PrepareQ8MatchesCodecExactly) {
  for (int ti = 0; ti < table_count(); ++ti) {
    const KernelTable& t = table_at(ti);
    for (int64_t n : {32, 64, 96, 4064}) {
      std::vector<float> x = random_vec(n, static_cast<uint32_t>(n), 3.0f);
      for (int64_t i = 0; i < n; i += 7) x[i] = std::round(x[i]) + 0.5f;  // exact ties
      for (int i = 32; i < 64 && i < n; ++i) x[i] = 0.0f;                  // an all-zero group
      std::vector<ActQ8G32> want(static_cast<size_t>(n / 32));
      ASSERT_TRUE(quantize_activations_q8(x.data(), n, want.data()).is_ok());
      std::vector<int8_t> q(static_cast<size_t>(n + 64), 99);
      std::vector<float> d(static_cast<size_t>(n / 32 + 1), kGuard), ds(d);
      t.prepare_q8(x.data(), n, q.data(), d.data(), ds.data());
      for (int64_t g = 0; g < n / 32; ++g) {
        ASSERT_EQ(d[g], want[g].scale) << t.tier << " group " << g;
        int sum = 0;
        for (int i = 0; i < 32; ++i) {
          ASSERT_EQ(q[g * 32 + i], want[g].q[i]) << t.tier << " element " << g * 32 + i;
          sum += q[g * 32 + i];
        }
        ASSERT_FLOAT_EQ(ds[g], d[g] * static_cast<float>(sum));
      }
      EXPECT_EQ(q[n], 99);
      EXPECT_EQ(d[n / 32], kGuard);
      EXPECT_EQ(ds[n / 32], kGuard);
    }
  }
}

TEST(KernelsRowOps, RowHelpersMatchReference) {
  const RowOps& ref = reference_table().row;
  for (int ti = 0; ti < table_count(); ++ti) {
    const RowOps& ops = table_at(ti).row;
    for (int64_t n : {1, 3, 31, 33, 127, 129, 4095}) {
      SCOPED_TRACE(testing::Message() << table_at(ti).tier << " n " << n);
      const std::vector<float> a = random_vec(n, 1, 4.0f), b = random_vec(n, 2), w = random_vec(n, 3);
      std::vector<float> got(static_cast<size_t>(n + 1), kGuard), want(got);
      ops.rms_norm(a.data(), w.data(), n, 1e-6f, got.data());
      ref.rms_norm(a.data(), w.data(), n, 1e-6f, want.data());
      for (int64_t i = 0; i <= n; ++i) ASSERT_FLOAT_EQ(got[i], want[i]) << "rms_norm " << i;
      ops.swiglu(a.data(), b.data(), n, got.data());
      ref.swiglu(a.data(), b.data(), n, want.data());
      for (int64_t i = 0; i <= n; ++i) ASSERT_NEAR(got[i], want[i], 4e-7f * std::fabs(want[i]) + 1e-30f) << "swiglu " << i;
      got.assign(b.begin(), b.end()); got.push_back(kGuard);
      want = got;
      ops.axpy(0.75f, a.data(), n, got.data());
      ref.axpy(0.75f, a.data(), n, want.data());
      for (int64_t i = 0; i <= n; ++i) ASSERT_NEAR(got[i], want[i], i < n ? 1e-6f * (std::fabs(b[i]) + std::fabs(a[i])) : 0.0f) << "axpy " << i;
      double mag = 0;
      for (int64_t i = 0; i < n; ++i) mag += std::fabs(a[i] * b[i]);
      EXPECT_NEAR(ops.dot(a.data(), b.data(), n), ref.dot(a.data(), b.data(), n), 1e-6 * mag);
    }
  }
}

// Attention's batched helpers against a double-precision sum: n rows (0 included) of awkward
// widths, rows scattered in memory as a paged cache leaves them, guard values after out.
TEST(KernelsRowOps, RowBatchesMatchDoubleSums) {
  for (int ti = 0; ti < table_count(); ++ti) {
    const RowOps& ops = table_at(ti).row;
    for (int64_t dim : {1, 15, 16, 17, 64, 127, 128, 129, 300}) {
      for (int64_t n : {0, 1, 5, 33}) {
        SCOPED_TRACE(testing::Message() << table_at(ti).tier << " dim " << dim << " n " << n);
        const int64_t stride = dim + 7;  // rows not contiguous
        const std::vector<float> store = random_vec(std::max<int64_t>(n, 1) * stride, 11), q = random_vec(dim, 12),
                                 w = random_vec(std::max<int64_t>(n, 1), 13);
        std::vector<const float*> rows;
        for (int64_t p = 0; p < n; ++p) rows.push_back(store.data() + (n - 1 - p) * stride);
        std::vector<float> scores(static_cast<size_t>(n + 1), kGuard);
        ops.dot_rows(q.data(), rows.data(), n, dim, scores.data());
        for (int64_t p = 0; p < n; ++p) {
          double want = 0, mag = 0;
          for (int64_t i = 0; i < dim; ++i) {
            want += double(q[i]) * rows[p][i];
            mag += std::fabs(double(q[i]) * rows[p][i]);
          }
          ASSERT_NEAR(scores[p], want, 1e-6 * mag + 1e-30) << "dot_rows " << p;
        }
        EXPECT_EQ(scores[n], kGuard);
        std::vector<float> out(static_cast<size_t>(dim + 1), kGuard);
        ops.weighted_sum_rows(w.data(), rows.data(), n, dim, out.data());
        for (int64_t i = 0; i < dim; ++i) {
          double want = 0, mag = 0;
          for (int64_t p = 0; p < n; ++p) {
            want += double(w[p]) * rows[p][i];
            mag += std::fabs(double(w[p]) * rows[p][i]);
          }
          ASSERT_NEAR(out[i], want, 1e-6 * mag + 1e-30) << "weighted_sum_rows " << i;
        }
        EXPECT_EQ(out[dim], kGuard);
      }
    }
  }
}

}  // namespace
}  // namespace hearth::kernels
