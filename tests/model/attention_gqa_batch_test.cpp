// A batch holding rows of several sequences at once gives each sequence what it gets alone.
// Block level: a GQA attention block (3 query heads per KV head, q/k biases and norms) over
// four sequences in one batch -- two decode steps on filled caches, a fresh prefill long
// enough to be split into several query blocks, a prefill continuing a filled cache -- rows
// interleaved, equals each sequence run alone in its own cache (for every KV precision), and
// both equal a plain double-precision reference of the block written here. Model level: the
// bundled tiny Qwen3-MoE's logits for a mixed batch equal each sequence's logits alone.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "models/loader.h"
#include "src/model/attention_gqa.h"
#include "src/model/batch.h"
#include "src/model/kv_cache.h"
#include "src/ops/ops.h"
#include "tests/common/quant_test_util.h"

namespace hearth {
namespace {

constexpr int64_t kEmbd = 48, kHead = 6, kHeadKv = 2, kHeadDim = 16;

TensorView f32_view(const std::vector<float>& values, int64_t rows, int64_t cols) {
  TensorView t;
  t.format = Format::kF32;
  t.shape = {rows, cols};
  t.data = reinterpret_cast<const uint8_t*>(values.data());
  t.nbytes = values.size() * sizeof(float);
  return t;
}

// The block's weights, kept here (the block's TensorViews point into them).
struct Block {
  AttentionGqaConfig c;
  std::vector<float> wq, wk, wv, wo;  // [n_head*head_dim][n_embd], [n_head_kv*head_dim][n_embd] x2, [n_embd][n_head*head_dim]
  AttentionGqaWeights w;

  Block() {
    c.n_embd = kEmbd;
    c.n_head = kHead;
    c.n_head_kv = kHeadKv;
    c.head_dim = kHeadDim;
    c.rope.rot_dim = kHeadDim;
    w.bo = test::random_weights("gaussian", kEmbd, 10, 0.1f);
    wq = test::random_weights("gaussian", kHead * kHeadDim * kEmbd, 1, 0.3f);
    wk = test::random_weights("gaussian", kHeadKv * kHeadDim * kEmbd, 2, 0.3f);
    wv = test::random_weights("gaussian", kHeadKv * kHeadDim * kEmbd, 3, 0.3f);
    wo = test::random_weights("gaussian", kEmbd * kHead * kHeadDim, 4, 0.3f);
    w.wq = f32_view(wq, kHead * kHeadDim, kEmbd);
    w.wk = f32_view(wk, kHeadKv * kHeadDim, kEmbd);
    w.wv = f32_view(wv, kHeadKv * kHeadDim, kEmbd);
    w.wo = f32_view(wo, kEmbd, kHead * kHeadDim);
    w.bq = test::random_weights("gaussian", kHead * kHeadDim, 5, 0.1f);
    w.bk = test::random_weights("gaussian", kHeadKv * kHeadDim, 6, 0.1f);
    w.q_norm = test::random_weights("gaussian", kHeadDim, 7, 0.2f);
    w.k_norm = test::random_weights("gaussian", kHeadDim, 8, 0.2f);
    for (auto& x : w.q_norm) x += 1.0f;
    for (auto& x : w.k_norm) x += 1.0f;
  }
  Block(const Block&) = delete;
};

// One sequence of the test: `history` positions already in the cache before the batch under
// test, then `fresh` rows in it. Inputs are fixed per (sequence, position).
struct SeqSpec {
  int64_t history, fresh;
};
const std::vector<SeqSpec> kSeqs = {
    {20, 1},  // a decode step after 20 positions
    {0, 34},  // a fresh prompt: more consecutive rows than one query block holds (21 at 3 heads per KV head)
    {5, 6},   // a prompt continuing 5 cached positions
    {9, 1},   // another decode step
};

std::vector<float> input_row(size_t s, int64_t pos) {
  return test::random_weights("gaussian", kEmbd, static_cast<uint32_t>(1000 * s + static_cast<size_t>(pos) + 77), 1.0f);
}

// (sequence index, position) of each row of a batch, and the block's outputs for them.
struct Rows {
  std::vector<std::pair<size_t, int64_t>> at;
  std::vector<float> out;  // [rows][n_embd]
};

Rows run_block(AttentionGqa& attn, KvCache& cache, const std::vector<int32_t>& seq_id,
               const std::vector<std::pair<size_t, int64_t>>& at) {
  Batch batch;
  std::vector<float> x;
  for (auto [s, pos] : at) {
    batch.add(0, static_cast<int32_t>(pos), seq_id[s], true);
    const std::vector<float> row = input_row(s, pos);
    x.insert(x.end(), row.begin(), row.end());
  }
  Rows r{at, std::vector<float>(x.size())};
  attn.forward(LayerContext{batch, cache, 0, nullptr}, x.data(), r.out.data());
  return r;
}

// The history rows of every sequence that has one, round-robin; then the rows under test:
// round-robin for the first 10 rows of each sequence, the rest of each sequence after that.
std::vector<std::pair<size_t, int64_t>> history_rows(const std::vector<size_t>& seqs) {
  std::vector<std::pair<size_t, int64_t>> at;
  for (int64_t i = 0;; ++i) {
    bool any = false;
    for (size_t s : seqs)
      if (i < kSeqs[s].history) {
        at.push_back({s, i});
        any = true;
      }
    if (!any) return at;
  }
}
std::vector<std::pair<size_t, int64_t>> fresh_rows(const std::vector<size_t>& seqs) {
  std::vector<std::pair<size_t, int64_t>> at;
  for (int64_t i = 0; i < 10; ++i)
    for (size_t s : seqs)
      if (i < kSeqs[s].fresh) at.push_back({s, kSeqs[s].history + i});
  for (size_t s : seqs)
    for (int64_t i = 10; i < kSeqs[s].fresh; ++i) at.push_back({s, kSeqs[s].history + i});
  return at;
}

// The block by its definition, in double: projections and biases, per-head RMSNorm, rotate-half
// RoPE (theta 10000), causal softmax over the sequence's positions [0, pos], output projection.
std::vector<double> reference_row(const Block& b, size_t s, int64_t pos) {
  const auto n_embd = static_cast<size_t>(kEmbd), hd = static_cast<size_t>(kHeadDim);
  const size_t q_w = kHead * hd, kv_w = kHeadKv * hd, group = kHead / kHeadKv;
  const auto n_pos = static_cast<size_t>(pos) + 1;
  // y = w x + bias for w [rows][n_embd].
  auto project = [&](const std::vector<float>& w, const std::vector<float>& bias, size_t rows,
                     const std::vector<float>& x) {
    std::vector<double> y(rows);
    for (size_t i = 0; i < rows; ++i) {
      double acc = bias.empty() ? 0.0 : bias[i];
      for (size_t j = 0; j < n_embd; ++j) acc += static_cast<double>(w[i * n_embd + j]) * x[j];
      y[i] = acc;
    }
    return y;
  };
  auto norm_rope = [&](double* h, const std::vector<float>& norm, size_t p) {
    double ss = 0;
    for (size_t i = 0; i < hd; ++i) ss += h[i] * h[i];
    const double inv = 1.0 / std::sqrt(ss / static_cast<double>(hd) + b.c.qk_norm_eps);
    for (size_t i = 0; i < hd; ++i) h[i] *= inv * norm[i];
    for (size_t i = 0; i < hd / 2; ++i) {  // pairs (i, i + head_dim/2)
      const double angle = static_cast<double>(p) * std::pow(10000.0, -2.0 * static_cast<double>(i) / static_cast<double>(hd));
      const double x0 = h[i], x1 = h[i + hd / 2];
      h[i] = x0 * std::cos(angle) - x1 * std::sin(angle);
      h[i + hd / 2] = x1 * std::cos(angle) + x0 * std::sin(angle);
    }
  };
  std::vector<double> q = project(b.wq, b.w.bq, q_w, input_row(s, pos));  // [n_head*head_dim]
  for (size_t h = 0; h < kHead; ++h) norm_rope(q.data() + h * hd, b.w.q_norm, n_pos - 1);
  std::vector<std::vector<double>> k, v;  // [n_pos][n_head_kv*head_dim]
  for (size_t p = 0; p < n_pos; ++p) {
    const std::vector<float> x = input_row(s, static_cast<int64_t>(p));
    k.push_back(project(b.wk, b.w.bk, kv_w, x));
    v.push_back(project(b.wv, {}, kv_w, x));
    for (size_t h = 0; h < kHeadKv; ++h) norm_rope(k.back().data() + h * hd, b.w.k_norm, p);
  }
  const double scale = 1.0 / std::sqrt(static_cast<double>(hd));
  std::vector<double> attn(q_w, 0.0);  // [n_head*head_dim]
  for (size_t h = 0; h < kHead; ++h) {
    const size_t kv_off = h / group * hd;
    std::vector<double> score(n_pos);
    double mx = -INFINITY, sum = 0;
    for (size_t p = 0; p < n_pos; ++p) {
      double d = 0;
      for (size_t i = 0; i < hd; ++i) d += q[h * hd + i] * k[p][kv_off + i];
      mx = std::max(mx, score[p] = d * scale);
    }
    for (double& x : score) sum += x = std::exp(x - mx);
    for (size_t p = 0; p < n_pos; ++p)
      for (size_t i = 0; i < hd; ++i) attn[h * hd + i] += score[p] / sum * v[p][kv_off + i];
  }
  std::vector<double> out(n_embd);  // wo attn + bo
  for (size_t i = 0; i < n_embd; ++i) {
    double acc = b.w.bo[i];
    for (size_t j = 0; j < q_w; ++j) acc += static_cast<double>(b.wo[i * q_w + j]) * attn[j];
    out[i] = acc;
  }
  return out;
}

class AttentionGqaBatch : public testing::TestWithParam<KvPrecision> {};

TEST_P(AttentionGqaBatch, MixedSequencesEqualEachAlone) {
  const KvPrecision precision = GetParam();
  Block block;
  AttentionGqa attn(block.c, block.w);
  const KvCacheLayout layout{{attn.kv_width()}, {attn.kv_width()}};

  // Alone: each sequence in its own cache, its history as one batch, then its rows under test.
  std::vector<std::vector<float>> alone(kSeqs.size());  // [sequence][fresh rows][n_embd]
  for (size_t s = 0; s < kSeqs.size(); ++s) {
    KvCache cache(layout, precision, /*page_positions=*/8);
    const std::vector<int32_t> ids(kSeqs.size(), cache.add_sequence());
    if (kSeqs[s].history > 0) run_block(attn, cache, ids, history_rows({s}));
    alone[s] = run_block(attn, cache, ids, fresh_rows({s})).out;
  }

  // Together: one cache; the histories as one mixed batch, then every sequence's rows at once.
  KvCache cache(layout, precision, /*page_positions=*/8);
  cache.add_sequence();  // an unused sequence first, so no id matches its index
  std::vector<int32_t> ids;
  for (size_t s = 0; s < kSeqs.size(); ++s) ids.push_back(cache.add_sequence());
  run_block(attn, cache, ids, history_rows({0, 1, 2, 3}));
  const Rows mixed = run_block(attn, cache, ids, fresh_rows({0, 1, 2, 3}));
  ASSERT_EQ(mixed.at.size(), 42u);
  for (size_t s = 0; s < kSeqs.size(); ++s) EXPECT_EQ(cache.length(ids[s]), kSeqs[s].history + kSeqs[s].fresh);

  float mag = 0;
  for (float x : mixed.out) mag = std::max(mag, std::fabs(x));
  ASSERT_GT(mag, 0.1f);
  // Each row is computed from the same values either way; only the kernels' summation order
  // may differ (blocks of other sizes, decode's split softmax for a lone row): seen up to
  // 1.2e-7 x mag on every kernel tier. q8 rows may round a cached value one step differently
  // when a projection's last bit differs, hence its wider bound.
  const float tol = (precision == KvPrecision::kQ8 ? 1e-3f : 1e-5f) * mag;
  for (size_t r = 0; r < mixed.at.size(); ++r) {
    const auto [s, pos] = mixed.at[r];
    const auto j = static_cast<size_t>(pos - kSeqs[s].history);
    for (int64_t i = 0; i < kEmbd; ++i)
      ASSERT_NEAR(mixed.out[r * kEmbd + static_cast<size_t>(i)], alone[s][j * kEmbd + static_cast<size_t>(i)], tol)
          << "sequence " << s << " position " << pos << " value " << i;
  }

  if (precision != KvPrecision::kF32) return;
  // And both are the block's definition (float32 arithmetic against double; seen: 2e-6).
  for (size_t r = 0; r < mixed.at.size(); ++r) {
    const auto [s, pos] = mixed.at[r];
    const std::vector<double> want = reference_row(block, s, pos);
    for (int64_t i = 0; i < kEmbd; ++i)
      ASSERT_NEAR(mixed.out[r * kEmbd + static_cast<size_t>(i)], want[static_cast<size_t>(i)], 1e-5 * mag)
          << "sequence " << s << " position " << pos << " value " << i;
  }
}

INSTANTIATE_TEST_SUITE_P(AttentionGqaBatchKv, AttentionGqaBatch, testing::ValuesIn(kKvPrecisions),
                         [](const testing::TestParamInfo<KvPrecision>& info) {
                           return std::string(kv_precision_name(info.param));
                         });

// The whole bundled model (4 layers of GQA attention, 4 query heads on 2 KV heads, and MoE):
// logits of every row of a mixed batch equal those of the same sequence run alone.
TEST(AttentionGqaBatchModel, BundledModelLogitsOfAMixedBatchEqualEachSequenceAlone) {
  auto loaded = models::load_model("", false);
  ASSERT_TRUE(loaded.is_ok()) << loaded.message();
  Model& model = *loaded.value().model;
  const int64_t n_vocab = model.info().n_vocab;
  std::mt19937 rng(3);
  std::uniform_int_distribution<int32_t> tok(0, static_cast<int32_t>(n_vocab) - 1);
  std::vector<std::vector<int32_t>> tokens(kSeqs.size());
  for (size_t s = 0; s < kSeqs.size(); ++s)
    for (int64_t i = 0; i < kSeqs[s].history + kSeqs[s].fresh; ++i) tokens[s].push_back(tok(rng));

  auto run = [&](KvCache& cache, const std::vector<int32_t>& ids, const std::vector<std::pair<size_t, int64_t>>& at) {
    Batch batch;
    for (auto [s, pos] : at) batch.add(tokens[s][static_cast<size_t>(pos)], static_cast<int32_t>(pos), ids[s], true);
    std::vector<float> logits;
    const Status st = model.forward(batch, cache, logits);
    EXPECT_TRUE(st.is_ok()) << st.message();
    EXPECT_EQ(logits.size(), at.size() * static_cast<size_t>(n_vocab));
    return logits;
  };

  std::vector<std::vector<float>> alone(kSeqs.size());
  for (size_t s = 0; s < kSeqs.size(); ++s) {
    KvCache cache(model.kv_layout());
    const std::vector<int32_t> ids(kSeqs.size(), cache.add_sequence());
    if (kSeqs[s].history > 0) run(cache, ids, history_rows({s}));
    alone[s] = run(cache, ids, fresh_rows({s}));
  }

  KvCache cache(model.kv_layout());
  cache.add_sequence();
  std::vector<int32_t> ids;
  for (size_t s = 0; s < kSeqs.size(); ++s) ids.push_back(cache.add_sequence());
  run(cache, ids, history_rows({0, 1, 2, 3}));
  const std::vector<std::pair<size_t, int64_t>> at = fresh_rows({0, 1, 2, 3});
  const std::vector<float> mixed = run(cache, ids, at);
  ASSERT_EQ(mixed.size(), at.size() * static_cast<size_t>(n_vocab));

  float mag = 0;
  for (float x : mixed) mag = std::max(mag, std::fabs(x));
  ASSERT_GT(mag, 0.5f);
  const auto nv = static_cast<size_t>(n_vocab);
  // Summation order aside (seen: 5e-7 x mag), every row must be the same computation.
  for (size_t r = 0; r < at.size(); ++r) {
    const auto [s, pos] = at[r];
    const auto j = static_cast<size_t>(pos - kSeqs[s].history);
    const float* got = mixed.data() + r * nv;
    const float* want = alone[s].data() + j * nv;
    for (size_t i = 0; i < nv; ++i)
      ASSERT_NEAR(got[i], want[i], 1e-5f * mag) << "sequence " << s << " position " << pos << " token " << i;
    EXPECT_EQ(std::max_element(got, got + nv) - got, std::max_element(want, want + nv) - want)
        << "sequence " << s << " position " << pos;
  }
}

}  // namespace
}  // namespace hearth
