#include "src/model/attention_mla.h"

#include <algorithm>
#include <cmath>

#include "src/base/size.h"
#include "src/base/status.h"
#include "src/model/attention_gqa.h"
#include "src/model/attention_probs.h"
#include "src/ops/ops.h"
#include "src/ops/parallel.h"

namespace hearth {
namespace {

// Heads scored together against one cache row in the absorbed form: the latent row is read
// once per block instead of once per head.
constexpr int64_t kHeadBlock = 8;

}  // namespace

AttentionMla::AttentionMla(AttentionMlaConfig config, AttentionMlaWeights weights)
    : config_(std::move(config)), w_(std::move(weights)), rope_(config_.rope) {
  const MlaDims& mla = config_.dims;
  HEARTH_CHECK(mla.validate().is_ok(), "{}", mla.validate().message());
  HEARTH_CHECK(config_.rope.rot_dim == mla.qk_rope_head_dim);
  if (config_.scale == 0) config_.scale = 1.0f / std::sqrt(static_cast<float>(mla.qk_head_dim()));
  if (config_.form == MlaForm::kAbsorbed) {
    // Split kv_b_proj [n_head*(nope+v)][rank] into W_UK and W_UV per head, as float32.
    const std::vector<float> kv_b = ops::to_f32(w_.wkv_b);
    const int64_t rank = mla.kv_lora_rank, nope = mla.qk_nope_head_dim, dv = mla.v_head_dim;
    w_uk_.resize(to_size(mla.n_head * nope * rank));
    w_uv_.resize(to_size(mla.n_head * dv * rank));
    for (int64_t h = 0; h < mla.n_head; ++h) {
      const float* src = kv_b.data() + h * (nope + dv) * rank;
      std::copy(src, src + nope * rank, w_uk_.begin() + h * nope * rank);
      std::copy(src + nope * rank, src + (nope + dv) * rank, w_uv_.begin() + h * dv * rank);
    }
  }
}

int64_t AttentionMla::k_width() const {
  int64_t k = 0, v = 0;
  mla_kv_widths(config_.dims, config_.form, &k, &v);
  return k;
}

int64_t AttentionMla::v_width() const {
  int64_t k = 0, v = 0;
  mla_kv_widths(config_.dims, config_.form, &k, &v);
  return v;
}

void AttentionMla::project(const LayerContext& ctx, const float* x, std::vector<float>& q) {
  const MlaDims& mla = config_.dims;
  const int64_t n = ctx.n_rows();
  const int64_t qk = mla.qk_head_dim(), q_w = mla.n_head * qk;
  const int64_t rank = mla.kv_lora_rank, kv_a_w = rank + mla.qk_rope_head_dim;
  q.resize(to_size(n * q_w));
  if (mla.q_lora_rank > 0) {
    std::vector<float> q_lat(to_size(n * mla.q_lora_rank));  // [n][q_lora_rank]
    ops::matmul(w_.wq_a, x, n, q_lat.data());
    for (int64_t r = 0; r < n; ++r) {
      float* row = q_lat.data() + r * mla.q_lora_rank;
      if (!w_.bq_a.empty()) ops::add_inplace(row, w_.bq_a.data(), mla.q_lora_rank);
      ops::rms_norm(row, w_.q_a_norm.data(), mla.q_lora_rank, config_.norm_eps, row);
    }
    ops::matmul(w_.wq_b, q_lat.data(), n, q.data());
  } else {
    ops::matmul(w_.wq, x, n, q.data());
  }

  std::vector<float> kv_a(to_size(n * kv_a_w));  // [n][kv_lora_rank + qk_rope_head_dim]
  ops::matmul(w_.wkv_a, x, n, kv_a.data());
  std::vector<double> cs(to_size(rope_.config().rot_dim));  // one set of angles per row
  for (int64_t r = 0; r < n; ++r) {
    float* row = kv_a.data() + r * kv_a_w;
    rope_.angles(ctx.batch.position(r), cs.data());
    if (!w_.bkv_a.empty()) ops::add_inplace(row, w_.bkv_a.data(), kv_a_w);
    ops::rms_norm(row, w_.kv_a_norm.data(), rank, config_.norm_eps, row);  // c_kv
    rope_.apply(row + rank, cs.data());                                     // k_pe
    for (int64_t h = 0; h < mla.n_head; ++h) rope_.apply(q.data() + r * q_w + h * qk + mla.qk_nope_head_dim, cs.data());
  }

  if (config_.form == MlaForm::kAbsorbed) {
    for (int64_t r = 0; r < n; ++r) {
      const float* row = kv_a.data() + r * kv_a_w;
      const int32_t seq = ctx.batch.seq_id(r);
      ctx.cache.write_k(ctx.layer, seq, ctx.batch.position(r), row);
    }
    return;
  }
  // Plain: decompress c_kv into per-head [k_nope | v] and cache full keys and values.
  const int64_t nope = mla.qk_nope_head_dim, dv = mla.v_head_dim, kv_w = mla.n_head * (nope + dv);
  std::vector<float> c_kv(to_size(n * rank)), kv(to_size(n * kv_w));
  for (int64_t r = 0; r < n; ++r)
    std::copy(kv_a.begin() + r * kv_a_w, kv_a.begin() + r * kv_a_w + rank, c_kv.begin() + r * rank);
  ops::matmul(w_.wkv_b, c_kv.data(), n, kv.data());  // [n][n_head*(nope+v)]
  std::vector<float> k_row(to_size(mla.n_head * qk));  // [n_head][qk_head_dim]
  std::vector<float> v_row(to_size(mla.n_head * dv));  // [n_head][v_head_dim]
  for (int64_t r = 0; r < n; ++r) {
    const int32_t seq = ctx.batch.seq_id(r);
    const int64_t pos = ctx.batch.position(r);
    const float* k_pe = kv_a.data() + r * kv_a_w + rank;
    for (int64_t h = 0; h < mla.n_head; ++h) {
      const float* src = kv.data() + r * kv_w + h * (nope + dv);
      std::copy(src, src + nope, k_row.begin() + h * qk);
      std::copy(k_pe, k_pe + mla.qk_rope_head_dim, k_row.begin() + h * qk + nope);
      std::copy(src + nope, src + nope + dv, v_row.begin() + h * dv);
    }
    ctx.cache.write_k(ctx.layer, seq, pos, k_row.data());
    ctx.cache.write_v(ctx.layer, seq, pos, v_row.data());
  }
}

void AttentionMla::attend_plain(const LayerContext& ctx, const float* q, float* attn) {
  const MlaDims& mla = config_.dims;
  const int64_t n = ctx.n_rows(), qk = mla.qk_head_dim(), dv = mla.v_head_dim;
  AttentionProbsCapture probs(ctx, mla.n_head);
  const int64_t max_ctx = probs.max_ctx();
  const auto make_scratch = [&] { return AttendScratch(ctx.cache.precision(), max_ctx, qk, dv); };
  ops::for_items_with(n * mla.n_head, ops::num_threads(), make_scratch, [&](AttendScratch& scratch, int64_t k) {
    const int64_t r = k / mla.n_head, h = k % mla.n_head;
    const int32_t seq = ctx.batch.seq_id(r);
    const int64_t end = ctx.batch.position(r) + 1;
    const KvLayerRows kv = ctx.cache.rows(ctx.layer, seq);
    const int64_t first = kv.begin();
    attend_one_head(
        q + (r * mla.n_head + h) * qk, qk, dv, end - first, config_.scale,
        [&](int64_t p) { return kv.k(first + p, h * qk, qk, scratch.k_slot(p)); },
        [&](int64_t p) { return kv.v(first + p, h * dv, dv, scratch.v_slot(p)); },
        scratch.scores(), scratch.rows(), attn + (r * mla.n_head + h) * dv);
    probs.store(r, h, first, scratch.scores(), end - first);
  });
  probs.publish();
}

void AttentionMla::attend_absorbed(const LayerContext& ctx, const float* q, float* attn) {
  const MlaDims& mla = config_.dims;
  const int64_t n = ctx.n_rows(), qk = mla.qk_head_dim(), nope = mla.qk_nope_head_dim;
  const int64_t rank = mla.kv_lora_rank, kw = rank + mla.qk_rope_head_dim, dv = mla.v_head_dim;
  AttentionProbsCapture probs(ctx, mla.n_head);
  const int64_t max_ctx = probs.max_ctx();
  const int64_t n_block = (mla.n_head + kHeadBlock - 1) / kHeadBlock;

  std::vector<float> q_abs(to_size(n * mla.n_head * kw));   // [n][n_head][kv_lora_rank + qk_rope]
  std::vector<float> o_lat(to_size(n * mla.n_head * rank)); // [n][n_head][kv_lora_rank]
  // Query side: q_abs_h = [W_UK_h^T q_nope_h | q_pe_h].
  ops::for_rows(n * mla.n_head, n * mla.n_head >= 2, [&](int64_t k) {
    const float* qh = q + k * qk;
    float* qa = q_abs.data() + k * kw;
    std::fill(qa, qa + rank, 0.0f);
    const float* w_uk = w_uk_.data() + (k % mla.n_head) * nope * rank;
    for (int64_t i = 0; i < nope; ++i) ops::axpy(qh[i], w_uk + i * rank, rank, qa);
    std::copy(qh + nope, qh + qk, qa + rank);
  });

  // Scores against [c_kv | k_pe] of every cached position, softmax, latent-weighted sum;
  // a block of heads shares each read of a cache row.
  struct RowScratch {
    std::vector<float> scores, row_buf;
  };
  const auto make_scratch = [&] {
    return RowScratch{std::vector<float>(to_size(kHeadBlock * max_ctx)), std::vector<float>(to_size(kw))};
  };
  ops::for_items_with(n * n_block, ops::num_threads(), make_scratch, [&](RowScratch& t, int64_t k) {
    auto& [scores, row_buf] = t;
    const int64_t r = k / n_block, b = k % n_block;
    const int32_t seq = ctx.batch.seq_id(r);
    const KvLayerRows kv = ctx.cache.rows(ctx.layer, seq);
    const int64_t first = kv.begin();
    const int64_t len = ctx.batch.position(r) + 1 - first;  // positions seen
    const int64_t h0 = b * kHeadBlock, nh = std::min(kHeadBlock, mla.n_head - h0);
    const float* qa = q_abs.data() + (r * mla.n_head + h0) * kw;
    for (int64_t p = 0; p < len; ++p) {
      const float* row = kv.k(first + p, 0, kw, row_buf.data());
      for (int64_t h = 0; h < nh; ++h) scores[to_size(h * len + p)] = ops::dot(qa + h * kw, row, kw) * config_.scale;
    }
    for (int64_t h = 0; h < nh; ++h) {
      float* s = scores.data() + h * len;
      const float mx = *std::max_element(s, s + len);
      double sum = 0;
      for (int64_t p = 0; p < len; ++p) sum += s[p] = std::exp(s[p] - mx);
      const float inv = static_cast<float>(1.0 / sum);
      for (int64_t p = 0; p < len; ++p) s[p] *= inv;
      probs.store(r, h0 + h, first, s, len);
    }
    float* ol = o_lat.data() + (r * mla.n_head + h0) * rank;
    std::fill(ol, ol + nh * rank, 0.0f);
    for (int64_t p = 0; p < len; ++p) {
      const float* c_kv = kv.k(first + p, 0, rank, row_buf.data());
      for (int64_t h = 0; h < nh; ++h) ops::axpy(scores[to_size(h * len + p)], c_kv, rank, ol + h * rank);
    }
  });

  // Output side: attn_h = W_UV_h o_lat_h.
  ops::for_rows(n * mla.n_head, n * mla.n_head >= 2, [&](int64_t k) {
    const float* ol = o_lat.data() + k * rank;
    const float* w_uv = w_uv_.data() + (k % mla.n_head) * dv * rank;
    float* a = attn + k * dv;
    for (int64_t e = 0; e < dv; ++e) a[e] = ops::dot(w_uv + e * rank, ol, rank);
  });
  probs.publish();
}

void AttentionMla::forward(const LayerContext& ctx, const float* x, float* out) {
  const MlaDims& mla = config_.dims;
  const int64_t n = ctx.n_rows();
  std::vector<float> q;  // [n][n_head][qk_head_dim], RoPE applied
  project(ctx, x, q);
  std::vector<float> attn(to_size(n * mla.n_head * mla.v_head_dim));  // [n][n_head*v_head_dim]
  if (config_.form == MlaForm::kAbsorbed) {
    attend_absorbed(ctx, q.data(), attn.data());
  } else {
    attend_plain(ctx, q.data(), attn.data());
  }
  if (ctx.probing("attn_o_in")) {  // input of o_proj: the heads' outputs, concatenated
    const int64_t shape[2] = {n, mla.n_head * mla.v_head_dim};
    ctx.probe->capture("attn_o_in", ctx.layer, shape, attn);
  }
  ops::matmul(w_.wo, attn.data(), n, out);
  if (!w_.bo.empty())
    for (int64_t r = 0; r < n; ++r) ops::add_inplace(out + r * config_.n_embd, w_.bo.data(), config_.n_embd);
}

}  // namespace hearth
