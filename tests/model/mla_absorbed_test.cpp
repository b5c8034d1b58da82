// Multi-head Latent Attention: the absorbed form (latent cache, kv_b_proj folded into the query
// and output sides) against the plain form (decompressed per-head keys and values, the
// reference) on the same random weights and inputs, over awkward shapes (q_lora_rank on/off,
// head counts around the absorbed form's head block, ranks 1 and 33, both rope layouts, YaRN
// at long positions, biases) and batches that mix prefill, decode and two sequences, with
// contexts that cross a KV page. Also checks each form's cache row widths.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <random>
#include <vector>

#include "src/model/attention_mla.h"

namespace hearth {
namespace {

struct MlaShape {
  const char* name;
  int64_t n_embd, n_head, q_lora_rank, kv_lora_rank, nope, rope, v;
  RopeLayout layout;
  bool yarn, bias;
  int64_t start_pos, prefill;  // first position (sequences start there); prompt length of A
};

const MlaShape kShapes[] = {
    {"tiny_v3", 128, 4, 96, 64, 32, 16, 32, RopeLayout::kInterleaved, false, false, 0, 7},
    {"no_q_lora_half", 64, 6, 0, 32, 24, 8, 20, RopeLayout::kHalf, false, false, 0, 5},
    {"one_head_rank1", 33, 1, 0, 1, 3, 2, 5, RopeLayout::kInterleaved, false, true, 0, 4},
    {"heads9_rank33", 31, 9, 17, 33, 7, 4, 3, RopeLayout::kHalf, false, true, 0, 3},
    {"heads17_yarn", 48, 17, 24, 16, 8, 6, 8, RopeLayout::kInterleaved, true, false, 5000, 6},
    {"long_context", 40, 3, 12, 8, 4, 4, 6, RopeLayout::kInterleaved, false, false, 0, 300},
};

// Owns float32 tensors and hands out views of them.
struct Tensors {
  std::mt19937 rng{1234};
  std::vector<std::vector<float>> store;

  TensorView make(std::vector<int64_t> shape, float scale) {
    std::normal_distribution<float> dist(0.0f, scale);
    std::vector<float>& v = store.emplace_back(static_cast<size_t>(shape[0] * shape[1]));
    for (float& x : v) x = dist(rng);
    TensorView t;
    t.format = Format::kF32;
    t.shape = std::move(shape);
    t.data = reinterpret_cast<const uint8_t*>(v.data());
    t.nbytes = v.size() * sizeof(float);
    return t;
  }
  std::vector<float> vec(int64_t n, float mean, float scale) {
    std::normal_distribution<float> dist(mean, scale);
    std::vector<float> v(static_cast<size_t>(n));
    for (float& x : v) x = dist(rng);
    return v;
  }
};

AttentionMlaWeights make_weights(const MlaShape& s, Tensors& t) {
  const int64_t q_w = s.n_head * (s.nope + s.rope), kv_a = s.kv_lora_rank + s.rope;
  auto inv = [](int64_t n) { return 1.0f / std::sqrt(static_cast<float>(n)); };
  AttentionMlaWeights w;
  if (s.q_lora_rank > 0) {
    w.wq_a = t.make({s.q_lora_rank, s.n_embd}, inv(s.n_embd));
    w.q_a_norm = t.vec(s.q_lora_rank, 1.0f, 0.2f);
    w.wq_b = t.make({q_w, s.q_lora_rank}, inv(s.q_lora_rank));
    if (s.bias) w.bq_a = t.vec(s.q_lora_rank, 0.0f, 0.1f);
  } else {
    w.wq = t.make({q_w, s.n_embd}, inv(s.n_embd));
  }
  w.wkv_a = t.make({kv_a, s.n_embd}, inv(s.n_embd));
  w.kv_a_norm = t.vec(s.kv_lora_rank, 1.0f, 0.2f);
  w.wkv_b = t.make({s.n_head * (s.nope + s.v), s.kv_lora_rank}, 2.0f * inv(s.kv_lora_rank));
  w.wo = t.make({s.n_embd, s.n_head * s.v}, inv(s.n_head * s.v));
  if (s.bias) {
    w.bkv_a = t.vec(kv_a, 0.0f, 0.1f);
    w.bo = t.vec(s.n_embd, 0.0f, 0.1f);
  }
  return w;
}

AttentionMlaConfig make_config(const MlaShape& s, MlaForm form) {
  AttentionMlaConfig c;
  c.n_embd = s.n_embd;
  c.dims = {s.n_head, s.q_lora_rank, s.kv_lora_rank, s.nope, s.rope, s.v};
  c.rope.rot_dim = s.rope;
  c.rope.layout = s.layout;
  if (s.yarn) {
    c.rope.scaling = RopeScaling::kYarn;
    c.rope.factor = 32.0;
    c.rope.original_max_position = 256;
    c.rope.mscale = c.rope.mscale_all_dim = 0.707;
    const double m = yarn_get_mscale(32.0, 0.707);
    c.scale = static_cast<float>(m * m / std::sqrt(static_cast<double>(s.nope + s.rope)));
  }
  c.form = form;
  return c;
}

double max_abs(const std::vector<float>& v) {
  double m = 0;
  for (float x : v) m = std::max(m, static_cast<double>(std::fabs(x)));
  return m;
}

TEST(MlaAbsorbed, AgreesWithPlainOnEveryShape) {
  double worst = 0;
  for (const MlaShape& s : kShapes) {
    SCOPED_TRACE(s.name);
    Tensors t;
    const AttentionMlaWeights w = make_weights(s, t);
    AttentionMla plain(make_config(s, MlaForm::kPlain), w);
    AttentionMla absorbed(make_config(s, MlaForm::kAbsorbed), w);
    EXPECT_EQ(absorbed.k_width(), s.kv_lora_rank + s.rope);
    EXPECT_EQ(absorbed.v_width(), 0);
    EXPECT_EQ(plain.k_width(), s.n_head * (s.nope + s.rope));
    EXPECT_EQ(plain.v_width(), s.n_head * s.v);
    KvCache cache_plain({{plain.k_width()}, {plain.v_width()}});
    KvCache cache_abs({{absorbed.k_width()}, {absorbed.v_width()}});
    const int32_t seq_a = cache_plain.add_sequence(), seq_b = cache_plain.add_sequence();
    ASSERT_EQ(cache_abs.add_sequence(), seq_a);
    ASSERT_EQ(cache_abs.add_sequence(), seq_b);

    // Batches: A's prompt together with B's 3-token prompt; then one decode step of each in one
    // batch; then two more decode steps of A alone.
    std::vector<Batch> batches(4);
    int32_t pos_a = static_cast<int32_t>(s.start_pos), pos_b = static_cast<int32_t>(s.start_pos);
    for (int64_t i = 0; i < s.prefill; ++i) batches[0].add(1, pos_a++, seq_a, true);
    for (int i = 0; i < 3; ++i) batches[0].add(1, pos_b++, seq_b, true);
    batches[1].add(1, pos_a++, seq_a, true);
    batches[1].add(1, pos_b++, seq_b, true);
    batches[2].add(1, pos_a++, seq_a, true);
    batches[3].add(1, pos_a++, seq_a, true);
    for (const Batch& batch : batches) {
      const int64_t n = batch.size();
      const std::vector<float> x = t.vec(n * s.n_embd, 0.0f, 1.0f);
      std::vector<float> out_plain(static_cast<size_t>(n * s.n_embd)), out_abs(out_plain.size());
      plain.forward(LayerContext{batch, cache_plain, 0, nullptr}, x.data(), out_plain.data());
      absorbed.forward(LayerContext{batch, cache_abs, 0, nullptr}, x.data(), out_abs.data());
      double diff = 0;
      for (size_t i = 0; i < out_plain.size(); ++i)
        diff = std::max(diff, static_cast<double>(std::fabs(out_plain[i] - out_abs[i])));
      const double rel = diff / std::max(max_abs(out_plain), 1e-30);
      worst = std::max(worst, rel);
      EXPECT_LE(rel, 1e-4) << "batch of " << n << " rows: max |absorbed - plain| " << diff;
      EXPECT_GT(max_abs(out_plain), 1e-3);  // a non-trivial output
    }
  }
  std::printf("[ mla ] worst relative difference absorbed vs plain: %.3g\n", worst);
}

}  // namespace
}  // namespace hearth
