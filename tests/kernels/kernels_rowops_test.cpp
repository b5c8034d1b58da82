// Row helpers and the q8 activation preparation of every tier against the reference tier and
// quant/codec.h quantize_activations_q8, over awkward lengths, with guard values after outputs.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "src/dispatch/kernel_dispatch.h"
#include "quant/codec.h"
#include "src/base/half.h"

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

// Every tier's q8 preparation against the codec: q and the scale bit for bit, the integer sum
// and the scaled sum from q itself, nothing written past the last group. Sizes cover one group,
// a few, exactly sixteen (the AVX-512 tier reduces sixteen groups together) and many with a tail.
TEST(KernelsRowOps, PrepareQ8MatchesCodecExactly) {
  for (int ti = 0; ti < table_count(); ++ti) {
    const KernelTable& t = table_at(ti);
    for (int64_t n : {32, 64, 96, 512, 544, 4064}) {
      std::vector<float> x = random_vec(n, static_cast<uint32_t>(n), 3.0f);
      for (int64_t i = 0; i < n; i += 7) x[i] = std::round(x[i]) + 0.5f;  // exact ties
      for (int i = 32; i < 64 && i < n; ++i) x[i] = 0.0f;                  // an all-zero group
      for (int64_t i = 0; i < 32 && n >= 512; ++i) x[448 + i] *= 1e-3f;     // one small group among large ones
      std::vector<ActQ8G32> want(static_cast<size_t>(n / 32));
      ASSERT_TRUE(quantize_activations_q8(x.data(), n, want.data()).is_ok());
      std::vector<int8_t> q(static_cast<size_t>(n + 64), 99);
      std::vector<float> d(static_cast<size_t>(n / 32 + 1), kGuard), ds(d);
      std::vector<int32_t> qsum(d.size(), -7);
      t.prepare_q8(x.data(), n, q.data(), d.data(), ds.data(), qsum.data());
      for (int64_t g = 0; g < n / 32; ++g) {
        ASSERT_EQ(d[g], want[g].scale) << t.tier << " group " << g;
        int sum = 0;
        for (int i = 0; i < 32; ++i) {
          ASSERT_EQ(q[g * 32 + i], want[g].q[i]) << t.tier << " element " << g * 32 + i;
          sum += q[g * 32 + i];
        }
        ASSERT_EQ(qsum[g], sum) << t.tier << " group " << g;
        ASSERT_FLOAT_EQ(ds[g], d[g] * static_cast<float>(sum));
      }
      EXPECT_EQ(q[n], 99);
      EXPECT_EQ(d[n / 32], kGuard);
      EXPECT_EQ(ds[n / 32], kGuard);
      EXPECT_EQ(qsum[n / 32], -7);
    }
  }
}

// int16 activations (ActForm::kQ16G32): per group d = max|x| / 32767, every value within d / 2
// of x, the largest magnitude at +-32767, an all-zero group all zeros with d = 0.
TEST(KernelsRowOps, PrepareQ16RoundsWithinHalfAStep) {
  std::mt19937 rng(11);
  std::normal_distribution<float> nd(0.0f, 1.0f);
  const int64_t n = 32 * 38;  // two runs of sixteen groups (reduced together by AVX-512) and 6 more
  std::vector<float> x(static_cast<size_t>(n));
  for (auto& v : x) v = nd(rng);
  for (int i = 32; i < 64; ++i) x[static_cast<size_t>(i)] = 0.0f;  // group 1: zeros
  for (int i = 32 * 36; i < 32 * 37; ++i) x[static_cast<size_t>(i)] = 0.0f;  // group 36: zeros
  x[70] = 300.0f;                                                   // group 2: an outlier
  for (int i = 96; i < 128; ++i) x[static_cast<size_t>(i)] *= 1e-30f;  // group 3: tiny values
  std::vector<int16_t> q(static_cast<size_t>(n));
  std::vector<float> d(static_cast<size_t>(n / 32));
  prepare_q16(x.data(), n, q.data(), d.data());
  for (int ti = 0; ti < table_count(); ++ti) {  // every tier's preparation is exactly the definition
    std::vector<int16_t> tq(q.size());
    std::vector<float> td(d.size());
    ASSERT_NE(table_at(ti).prepare_q16, nullptr) << table_at(ti).tier;
    table_at(ti).prepare_q16(x.data(), n, tq.data(), td.data());
    EXPECT_EQ(tq, q) << table_at(ti).tier;
    EXPECT_EQ(td, d) << table_at(ti).tier;
  }
  for (int64_t g = 0; g < n / 32; ++g) {
    float amax = 0;
    int qmax = 0;
    for (int64_t i = 32 * g; i < 32 * g + 32; ++i) {
      amax = std::max(amax, std::fabs(x[i]));
      qmax = std::max(qmax, std::abs(static_cast<int>(q[i])));
    }
    EXPECT_FLOAT_EQ(d[g], amax / 32767.0f) << "group " << g;
    EXPECT_EQ(qmax, amax > 0 ? 32767 : 0) << "group " << g;
    for (int64_t i = 32 * g; i < 32 * g + 32; ++i)
      EXPECT_LE(std::fabs(q[i] * d[g] - x[i]), d[g] * 0.5f * 1.0001f + 1e-38f) << "element " << i;
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

// A block of attention queries against a double-precision softmax-weighted sum: awkward head
// widths, 1..33 queries (either side of the kernels' tile threshold) with causal, shifted and
// arbitrary ranges, key and value rows scattered in memory, guard values after every output.
TEST(KernelsRowOps, AttendBlockMatchesDoubleSoftmax) {
  for (int ti = 0; ti < table_count(); ++ti) {
    const RowOps& ops = table_at(ti).row;
    ASSERT_NE(ops.attend, nullptr) << table_at(ti).tier;
    for (int64_t dk : {16, 40, 128, 192})
      for (int64_t dv : {16, 40, 128})
        for (int64_t n_q : {1, 2, 3, 4, 5, 6, 7, 9, 33}) {
          const int64_t span = 70 + n_q;
          SCOPED_TRACE(testing::Message() << table_at(ti).tier << " dk " << dk << " dv " << dv << " queries " << n_q);
          const std::vector<float> kstore = random_vec(span * (dk + 3), 21, 2.0f), vstore = random_vec(span * (dv + 5), 22),
                                   qstore = random_vec(n_q * dk, 23, 2.0f);
          std::vector<const float*> k(static_cast<size_t>(span)), v(k.size()), q(static_cast<size_t>(n_q));
          for (int64_t p = 0; p < span; ++p) {  // rows in reverse order of memory, strided
            k[p] = kstore.data() + (span - 1 - p) * (dk + 3);
            v[p] = vstore.data() + (span - 1 - p) * (dv + 5);
          }
          std::vector<int64_t> begin(static_cast<size_t>(n_q)), end(begin.size());
          std::mt19937 rng(static_cast<uint32_t>(n_q * 131 + dk));
          for (int64_t i = 0; i < n_q; ++i) {
            q[i] = qstore.data() + i * dk;
            if (i % 3 == 2) {  // arbitrary range
              begin[i] = rng() % (span - 1);
              end[i] = begin[i] + 1 + rng() % (span - begin[i]);
            } else {  // causal: one more row per query, a sliding window start for some
              end[i] = span - n_q + i + 1;
              begin[i] = i % 3 == 1 ? std::max<int64_t>(0, end[i] - 17) : 0;
            }
          }
          const int64_t ldo = dv + 4;
          std::vector<float> out(static_cast<size_t>(n_q * ldo), kGuard);
          std::vector<float*> outs(static_cast<size_t>(n_q));
          for (int64_t i = 0; i < n_q; ++i) outs[i] = out.data() + i * ldo;
          std::vector<float> scratch(static_cast<size_t>(attend_scratch_floats(n_q, span, dk, dv)));
          const AttendBlock b{q.data(), outs.data(), begin.data(), end.data(), n_q, k.data(), v.data(), dk, dv, 0.125f};
          ops.attend(b, scratch.data());
          for (int64_t i = 0; i < n_q; ++i) {
            std::vector<double> sc;
            double mx = -1e300, sum = 0;
            for (int64_t p = begin[i]; p < end[i]; ++p) {
              double d = 0;
              for (int64_t j = 0; j < dk; ++j) d += static_cast<double>(q[i][j]) * k[p][j];
              sc.push_back(d * 0.125);
              mx = std::max(mx, sc.back());
            }
            for (double& x : sc) sum += x = std::exp(x - mx);
            for (int64_t j = 0; j < ldo; ++j) {
              const float got = out[static_cast<size_t>(i * ldo + j)];
              if (j >= dv) {
                ASSERT_EQ(got, kGuard) << "wrote past query " << i << "'s output";
                continue;
              }
              double want = 0, mag = 0;
              for (int64_t p = begin[i]; p < end[i]; ++p) {
                want += sc[p - begin[i]] / sum * v[p][j];
                mag += sc[p - begin[i]] / sum * std::fabs(v[p][j]);
              }
              ASSERT_NEAR(got, want, 2e-5 * (mag + 1e-3)) << "query " << i << " value " << j;
            }
          }
        }
  }
}

// Decode attention over whole rows (one query row, every head) against a double-precision
// softmax: GQA groups of 1-8 heads, awkward head widths, 1..129 positions folded in chunks of
// several sizes (the running softmax carried between calls), rows scattered in memory, guard
// values after the state and the scratch. Tiers that read bf16 rows themselves
// (attend_rows_bf16) run the same cases over bf16 copies of rows rounded to bf16.
TEST(KernelsRowOps, AttendRowsMatchDoubleSoftmax) {
  struct Heads {
    int64_t n_head, group;
  };
  for (int ti = 0; ti < table_count(); ++ti) {
    const RowOps& ops = table_at(ti).row;
    ASSERT_NE(ops.attend_rows, nullptr) << table_at(ti).tier;
    for (bool bf16 : {false, true}) {
      if (bf16 && ops.attend_rows_bf16 == nullptr) continue;
      for (Heads hd : {Heads{1, 1}, Heads{4, 2}, Heads{6, 3}, Heads{8, 8}, Heads{5, 1}})
        for (int64_t dk : {16, 40, 128})
          for (int64_t dv : {16, 72, 128})
            for (int64_t n : {1, 3, 31, 33, 129})
              for (int64_t chunk : {int64_t{7}, int64_t{64}, n}) {
                SCOPED_TRACE(testing::Message() << table_at(ti).tier << (bf16 ? " bf16 rows" : "") << " heads " << hd.n_head
                                                << "/" << hd.group << " dk " << dk << " dv " << dv << " positions " << n
                                                << " chunk " << chunk);
                const int64_t n_kv = hd.n_head / hd.group, kw = n_kv * dk + 3, vw = n_kv * dv + 5;
                std::vector<float> kstore = random_vec(n * kw, 31, 2.0f), vstore = random_vec(n * vw, 32);
                const std::vector<float> q = random_vec(hd.n_head * dk, 33, 2.0f);
                std::vector<uint16_t> k16(kstore.size()), v16(vstore.size());
                if (bf16) {  // the reference below reads the rounded values
                  for (size_t i = 0; i < kstore.size(); ++i) kstore[i] = bf16_to_f32(k16[i] = f32_to_bf16(kstore[i]));
                  for (size_t i = 0; i < vstore.size(); ++i) vstore[i] = bf16_to_f32(v16[i] = f32_to_bf16(vstore[i]));
                }
                std::vector<const float*> k(static_cast<size_t>(n)), v(k.size());
                std::vector<const uint16_t*> kb(k.size()), vb(k.size());
                for (int64_t p = 0; p < n; ++p) {  // rows in reverse order of memory, strided
                  k[p] = kstore.data() + (n - 1 - p) * kw;
                  v[p] = vstore.data() + (n - 1 - p) * vw;
                  kb[p] = k16.data() + (n - 1 - p) * kw;
                  vb[p] = v16.data() + (n - 1 - p) * vw;
                }
                std::vector<float> m(static_cast<size_t>(hd.n_head + 1), -INFINITY), l(m.size(), 0.0f);
                std::vector<float> o(static_cast<size_t>(hd.n_head * dv + 16), 0.0f);
                m.back() = l.back() = kGuard;
                std::fill(o.begin() + hd.n_head * dv, o.end(), kGuard);
                const int64_t scratch_floats = attend_rows_scratch_floats(hd.n_head, std::min(chunk, n));
                std::vector<float> scratch(static_cast<size_t>(scratch_floats + 16), kGuard);
                for (int64_t p0 = 0; p0 < n; p0 += chunk) {
                  const int64_t c = std::min(chunk, n - p0);
                  const AttendRows a{q.data(), k.data() + p0, v.data() + p0, c, hd.n_head, hd.group, dk, dv, 0.125f,
                                     kb.data() + p0, vb.data() + p0};
                  (bf16 ? ops.attend_rows_bf16 : ops.attend_rows)(a, AttendState{m.data(), l.data(), o.data()}, scratch.data());
                }
                ASSERT_EQ(m.back(), kGuard);
                ASSERT_EQ(l.back(), kGuard);
                for (int64_t i = hd.n_head * dv; i < static_cast<int64_t>(o.size()); ++i) ASSERT_EQ(o[i], kGuard) << "wrote past the state";
                for (int64_t i = scratch_floats; i < scratch_floats + 16; ++i) ASSERT_EQ(scratch[i], kGuard) << "wrote past the scratch";
                for (int64_t h = 0; h < hd.n_head; ++h) {
                  const int64_t g = h / hd.group;
                  std::vector<double> sc;
                  double mx = -1e300, sum = 0;
                  for (int64_t p = 0; p < n; ++p) {
                    double d = 0;
                    for (int64_t j = 0; j < dk; ++j) d += static_cast<double>(q[h * dk + j]) * k[p][g * dk + j];
                    sc.push_back(d * 0.125);
                    mx = std::max(mx, sc.back());
                  }
                  for (double& x : sc) sum += x = std::exp(x - mx);
                  ASSERT_NEAR(m[h], mx, 1e-5 * (std::fabs(mx) + 1)) << "head " << h;
                  ASSERT_NEAR(l[h], sum, 1e-5 * sum) << "head " << h;
                  for (int64_t j = 0; j < dv; ++j) {
                    double want = 0, mag = 0;
                    for (int64_t p = 0; p < n; ++p) {
                      want += sc[p] / sum * v[p][g * dv + j];
                      mag += sc[p] / sum * std::fabs(v[p][g * dv + j]);
                    }
                    ASSERT_NEAR(o[h * dv + j] / l[h], want, 2e-5 * (mag + 1e-3)) << "head " << h << " value " << j;
                  }
                }
              }
    }
  }
}

}  // namespace
}  // namespace hearth::kernels
