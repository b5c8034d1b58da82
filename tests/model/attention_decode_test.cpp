// Decode attention (one row at a time, whole cached rows, the context split across threads and
// the threads' partial softmaxes merged) gives what prefill attention (the whole prompt as one
// batch, blocks of queries per KV head) gives for the same rows: every KV cache precision, a
// sliding window, one and two threads, contexts past the split threshold (64 positions).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "src/model/attention_gqa.h"
#include "src/model/kv_cache.h"
#include "src/ops/ops.h"

namespace hearth {
namespace {

struct OwnedMatrix {
  std::vector<float> values;
  TensorView view;
};

OwnedMatrix random_matrix(int64_t rows, int64_t cols, uint32_t seed) {
  OwnedMatrix m;
  std::mt19937 rng(seed);
  std::normal_distribution<float> nd(0.0f, 0.3f);
  m.values.resize(static_cast<size_t>(rows * cols));
  for (auto& v : m.values) v = nd(rng);
  m.view.format = Format::kF32;
  m.view.shape = {rows, cols};
  m.view.data = reinterpret_cast<const uint8_t*>(m.values.data());
  m.view.nbytes = m.values.size() * sizeof(float);
  return m;
}

// Outputs of every row of x [n][n_embd], either as one prefill batch or one row per forward.
std::vector<float> run(AttentionGqa& attn, const AttentionGqaConfig& c, KvPrecision kv, const std::vector<float>& x,
                       int64_t n, bool one_row_at_a_time) {
  KvCache cache(KvCacheLayout{{attn.kv_width()}, {attn.kv_width()}}, kv);
  const int32_t seq = cache.add_sequence();
  std::vector<float> out(static_cast<size_t>(n * c.n_embd));
  if (!one_row_at_a_time) {
    Batch batch;
    for (int64_t r = 0; r < n; ++r) batch.add(0, static_cast<int32_t>(r), seq, true);
    attn.forward(LayerContext{batch, cache, 0, nullptr}, x.data(), out.data());
    return out;
  }
  for (int64_t r = 0; r < n; ++r) {
    Batch batch;
    batch.add(0, static_cast<int32_t>(r), seq, true);
    attn.forward(LayerContext{batch, cache, 0, nullptr}, x.data() + r * c.n_embd, out.data() + r * c.n_embd);
  }
  return out;
}

// Decode splits the positions over the threads and merges their softmaxes: 2, 3 and 4 ranges.
TEST(AttentionDecode, EqualsPrefillForEveryCachePrecisionWindowAndThreadCount) {
  const int saved_threads = ops::num_threads();
  const int64_t n_embd = 64, n_head = 6, n_head_kv = 2, head_dim = 32, n = 150;
  std::vector<float> x(static_cast<size_t>(n * n_embd));
  std::mt19937 rng(5);
  std::normal_distribution<float> nd(0.0f, 1.0f);
  for (auto& v : x) v = nd(rng);
  for (int64_t window : {int64_t{0}, int64_t{90}})
    for (KvPrecision kv : kKvPrecisions)
      for (int threads : {1, 2, 3, 4}) {
        SCOPED_TRACE(testing::Message() << "window " << window << " kv " << static_cast<int>(kv) << " threads " << threads);
        ops::set_num_threads(threads);
        AttentionGqaConfig c;
        c.n_embd = n_embd;
        c.n_head = n_head;
        c.n_head_kv = n_head_kv;
        c.head_dim = head_dim;
        c.rope.rot_dim = head_dim;
        c.sliding_window = window;
        const OwnedMatrix wq = random_matrix(n_head * head_dim, n_embd, 1), wk = random_matrix(n_head_kv * head_dim, n_embd, 2),
                          wv = random_matrix(n_head_kv * head_dim, n_embd, 3), wo = random_matrix(n_embd, n_head * head_dim, 4);
        AttentionGqaWeights w;
        w.wq = wq.view;
        w.wk = wk.view;
        w.wv = wv.view;
        w.wo = wo.view;
        AttentionGqa attn(c, w);
        const std::vector<float> prefill = run(attn, c, kv, x, n, false), decode = run(attn, c, kv, x, n, true);
        float mag = 0;
        for (float v : prefill) mag = std::max(mag, std::fabs(v));
        ASSERT_GT(mag, 0.1f);
        // The cached rows are the same values either way; q8 rows may round a value differently
        // when its projection's last bits differ (one step of a 32-value group).
        const float tol = (kv == KvPrecision::kQ8 ? 1e-2f : 1e-4f) * mag;
        for (int64_t r = 0; r < n; ++r)
          for (int64_t i = 0; i < n_embd; ++i) {
            const size_t k = static_cast<size_t>(r * n_embd + i);
            ASSERT_NEAR(decode[k], prefill[k], tol) << "row " << r << " value " << i;
          }
      }
  ops::set_num_threads(saved_threads);
}

}  // namespace
}  // namespace hearth
