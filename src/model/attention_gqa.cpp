#include "src/model/attention_gqa.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "src/base/size.h"
#include "src/base/status.h"
#include "src/model/attention_probs.h"
#include "src/ops/ops.h"
#include "src/ops/parallel.h"

namespace hearth {

AttentionGqa::AttentionGqa(AttentionGqaConfig config, AttentionGqaWeights weights)
    : config_(std::move(config)), w_(std::move(weights)), rope_(config_.rope) {
  if (config_.scale == 0) config_.scale = 1.0f / std::sqrt(static_cast<float>(config_.head_dim));
  HEARTH_CHECK(config_.n_head % config_.n_head_kv == 0);
}

AttendScratch::AttendScratch(KvPrecision precision, int64_t max_ctx, int64_t k_dim, int64_t v_dim)
    : k_slot_(precision == KvPrecision::kF32 ? 0 : k_dim),
      v_slot_(precision == KvPrecision::kF32 ? 0 : v_dim),
      scores_(to_size(max_ctx)),
      k_buf_(to_size(max_ctx * k_slot_)),
      v_buf_(to_size(max_ctx * v_slot_)),
      rows_(to_size(max_ctx)) {}

void AttentionGqa::forward(const LayerContext& ctx, const float* x, float* out) {
  const AttentionGqaConfig& c = config_;
  const int64_t n = ctx.n_rows();
  const int64_t q_width = c.n_head * c.head_dim;
  const int64_t kv_w = kv_width();
  ops::FloatBuffer q(to_size(n * q_width)), k(to_size(n * kv_w)), v(to_size(n * kv_w));
  ops::PreparedInput xin(x, n, w_.wq.shape[1]);  // converted once for q, k and v
  const TensorView* qkv_w[3] = {&w_.wq, &w_.wk, &w_.wv};
  float* qkv[3] = {q.data(), k.data(), v.data()};
  ops::matmul_many(qkv_w, xin, qkv);

  // Biases, per-head q/k norm, RoPE (one set of angles per row, shared by its heads); then K
  // and V go into the cache at their positions: the slots taken in order (the cache allocates
  // pages), filled row-parallel.
  std::vector<KvCache::RowSlot> slots(to_size(n));
  for (int64_t r = 0; r < n; ++r)
    slots[to_size(r)] = ctx.cache.row_slot(ctx.layer, ctx.batch.seq_id(r), ctx.batch.position(r));
  const KvPrecision precision = ctx.cache.precision();
  ops::for_rows(n, n > 8, [&](int64_t r) {
    std::vector<double> cs(to_size(c.rope.rot_dim));
    float* qr = q.data() + r * q_width;
    float* kr = k.data() + r * kv_w;
    float* vr = v.data() + r * kv_w;
    if (!w_.bq.empty()) ops::add_inplace(qr, w_.bq.data(), q_width);
    if (!w_.bk.empty()) ops::add_inplace(kr, w_.bk.data(), kv_w);
    if (!w_.bv.empty()) ops::add_inplace(vr, w_.bv.data(), kv_w);
    rope_.angles(ctx.batch.position(r), cs.data());
    for (int64_t h = 0; h < c.n_head; ++h) {
      float* head = qr + h * c.head_dim;
      if (!w_.q_norm.empty()) ops::rms_norm(head, w_.q_norm.data(), c.head_dim, c.qk_norm_eps, head);
      rope_.apply(head, cs.data());
    }
    for (int64_t h = 0; h < c.n_head_kv; ++h) {
      float* head = kr + h * c.head_dim;
      if (!w_.k_norm.empty()) ops::rms_norm(head, w_.k_norm.data(), c.head_dim, c.qk_norm_eps, head);
      rope_.apply(head, cs.data());
    }
    kv_encode_row(kr, kv_w, precision, slots[to_size(r)].k);
    kv_encode_row(vr, kv_w, precision, slots[to_size(r)].v);
  });

  // Each row attends to positions [0, pos] of its own sequence (from the window start).
  ops::FloatBuffer attn(to_size(n * q_width));  // every head of every row is written
  AttentionProbsCapture probs(ctx, c.n_head);
  if (probs.active())
    attend_row_by_row(ctx, q.data(), attn.data(), probs);
  else if (n == 1)
    attend_decode(ctx, q.data(), attn.data());
  else
    attend_blocks(ctx, q.data(), attn.data());
  probs.publish();
  if (ctx.probing("attn_o_in")) {  // input of o_proj: the heads' outputs, concatenated
    const int64_t shape[2] = {n, q_width};
    ctx.probe->capture("attn_o_in", ctx.layer, shape, {attn.data(), to_size(n * q_width)});
  }
  ops::matmul(w_.wo, attn.data(), n, out);
  if (!w_.bo.empty())
    for (int64_t r = 0; r < n; ++r) ops::add_inplace(out + r * c.n_embd, w_.bo.data(), c.n_embd);
}

int64_t AttentionGqa::window_start(const KvLayerRows& kv, int64_t end) const {
  const int64_t first = kv.begin();
  return config_.sliding_window > 0 ? std::max<int64_t>(first, end - config_.sliding_window) : first;
}

// One head of one row at a time, keeping each row's probabilities for the probe.
void AttentionGqa::attend_row_by_row(const LayerContext& ctx, const float* q, float* attn,
                                     AttentionProbsCapture& probs) const {
  const AttentionGqaConfig& c = config_;
  const int64_t n = ctx.n_rows(), q_width = c.n_head * c.head_dim, group = c.n_head / c.n_head_kv;
  const auto make_scratch = [&] { return AttendScratch(ctx.cache.precision(), probs.max_ctx(), c.head_dim, c.head_dim); };
  ops::for_items_with(n * c.n_head, ops::num_threads(), make_scratch, [&](AttendScratch& scratch, int64_t k) {
    const int64_t r = k / c.n_head, h = k % c.n_head;
    const int32_t seq = ctx.batch.seq_id(r);
    const int64_t end = ctx.batch.position(r) + 1;
    const KvLayerRows kv = ctx.cache.rows(ctx.layer, seq);
    const int64_t start = window_start(kv, end);
    const int64_t kv_off = (h / group) * c.head_dim;
    attend_one_head(
        q + r * q_width + h * c.head_dim, c.head_dim, c.head_dim, end - start, c.scale,
        [&](int64_t p) { return kv.k(start + p, kv_off, c.head_dim, scratch.k_slot(p)); },
        [&](int64_t p) { return kv.v(start + p, kv_off, c.head_dim, scratch.v_slot(p)); },
        scratch.scores(), scratch.rows(), attn + r * q_width + h * c.head_dim);
    probs.store(r, h, start, scratch.scores(), end - start);
  });
}

// Blocks of consecutive rows of one sequence x the query heads of one KV head share every read
// of that head's cached rows (ops::attend). About 64 queries per block: the kernel transposes
// each block's keys once, so fewer, larger blocks transpose less (benchmarks/RESULTS.md has
// the block sizes measured).
void AttentionGqa::attend_blocks(const LayerContext& ctx, const float* q, float* attn) const {
  constexpr int64_t kQueriesPerBlock = 64;
  const AttentionGqaConfig& c = config_;
  const int64_t n = ctx.n_rows(), q_width = c.n_head * c.head_dim, group = c.n_head / c.n_head_kv;
  const int64_t rows_per_block = std::max<int64_t>(8, kQueriesPerBlock / group);
  std::vector<int64_t> block_first;  // first row of each block
  for (int64_t r = 0; r < n; ++r)
    if (block_first.empty() || r - block_first.back() == rows_per_block ||
        ctx.batch.seq_id(r) != ctx.batch.seq_id(r - 1))
      block_first.push_back(r);
  // Blocks of one row (a decode step among other sequences) go through the decode kernel.
  std::vector<int64_t> lone;
  std::vector<int64_t> blocks;  // first rows of the others, then n
  block_first.push_back(n);
  for (size_t b = 0; b + 1 < block_first.size(); ++b) {
    if (block_first[b + 1] - block_first[b] == 1) {
      lone.push_back(block_first[b]);
    } else {
      blocks.push_back(block_first[b]);
      blocks.push_back(block_first[b + 1]);
    }
  }
  if (!lone.empty()) attend_lone_rows(ctx, lone, q, attn);
  const int64_t n_blocks = static_cast<int64_t>(blocks.size()) / 2;
  const bool decoded = ctx.cache.precision() != KvPrecision::kF32;  // rows decoded into scratch
  struct BlockScratch {  // per thread, reused across its blocks
    std::vector<const float*> qp, kp, vp;
    std::vector<float*> op;
    std::vector<int64_t> begin, end;
    std::vector<float> scratch, k_rows, v_rows;
  };
  const auto make_scratch = [] { return BlockScratch{}; };
  ops::for_items_with(n_blocks * c.n_head_kv, ops::num_threads(), make_scratch, [&](BlockScratch& t, int64_t k) {
    auto& [qp, kp, vp, op, begin, end, scratch, k_rows, v_rows] = t;
    const int64_t b = k / c.n_head_kv, hk = k % c.n_head_kv;
    const int64_t r0 = blocks[to_size(2 * b)], r1 = blocks[to_size(2 * b + 1)];
    const KvLayerRows kv = ctx.cache.rows(ctx.layer, ctx.batch.seq_id(r0));
    int64_t lo = INT64_MAX, hi = 0;
    for (int64_t r = r0; r < r1; ++r) {
      const int64_t e = ctx.batch.position(r) + 1;
      lo = std::min(lo, window_start(kv, e));
      hi = std::max(hi, e);
    }
    const int64_t span = hi - lo, n_q = (r1 - r0) * group, kv_off = hk * c.head_dim;
    kp.resize(to_size(span));
    vp.resize(kp.size());
    if (decoded) {
      k_rows.resize(to_size(span * c.head_dim));
      v_rows.resize(k_rows.size());
    }
    for (int64_t p = 0; p < span; ++p) {
      kp[p] = kv.k(lo + p, kv_off, c.head_dim, decoded ? k_rows.data() + p * c.head_dim : nullptr);
      vp[p] = kv.v(lo + p, kv_off, c.head_dim, decoded ? v_rows.data() + p * c.head_dim : nullptr);
    }
    qp.clear();
    op.clear();
    begin.clear();
    end.clear();
    for (int64_t r = r0; r < r1; ++r) {
      const int64_t e = ctx.batch.position(r) + 1;
      for (int64_t h = hk * group; h < (hk + 1) * group; ++h) {
        qp.push_back(q + r * q_width + h * c.head_dim);
        op.push_back(attn + r * q_width + h * c.head_dim);
        begin.push_back(window_start(kv, e) - lo);
        end.push_back(e - lo);
      }
    }
    scratch.resize(to_size(kernels::attend_scratch_floats(n_q, span, c.head_dim, c.head_dim)));
    const kernels::AttendBlock blk{qp.data(), op.data(), begin.data(), end.data(), n_q,
                                   kp.data(), vp.data(), c.head_dim, c.head_dim, c.scale};
    ops::attend(blk, scratch.data());
  });
}

// Per thread: the chunk's row addresses, rows decoded from bf16 / q8, the kernel's scratch.
struct AttentionGqa::FoldScratch {
  std::vector<const float*> kp, vp;
  std::vector<const uint16_t*> kp16, vp16;
  std::vector<float> k_rows, v_rows, scratch;
};

// bf16 rows go to the kernel as stored where it widens them itself (half the bytes of a
// float32 cache); other precisions are decoded into scratch rows first.
void AttentionGqa::fold_positions(const KvLayerRows& kv, const float* q, int64_t lo, int64_t hi, KvPrecision precision,
                                  const kernels::AttendState& state, FoldScratch& f) const {
  constexpr int64_t kChunk = 64;  // positions per kernel call (their rows stay in L2)
  const AttentionGqaConfig& c = config_;
  const int64_t width = kv_width(), group = c.n_head / c.n_head_kv;
  const bool bf16_rows = precision == KvPrecision::kBf16 && ops::has_attend_rows_bf16();
  const bool decoded = precision != KvPrecision::kF32 && !bf16_rows;
  f.kp.resize(kChunk);
  f.vp.resize(kChunk);
  f.kp16.resize(bf16_rows ? kChunk : 0);
  f.vp16.resize(f.kp16.size());
  f.k_rows.resize(decoded ? to_size(kChunk * width) : 0);
  f.v_rows.resize(f.k_rows.size());
  f.scratch.resize(to_size(kernels::attend_rows_scratch_floats(c.n_head, kChunk)));
  for (int64_t p0 = lo; p0 < hi; p0 += kChunk) {
    const int64_t n = std::min(kChunk, hi - p0);
    const kernels::AttendRows rows{q, f.kp.data(), f.vp.data(), n, c.n_head, group, c.head_dim, c.head_dim, c.scale,
                                   f.kp16.data(), f.vp16.data()};
    if (bf16_rows) {
      for (int64_t p = 0; p < n; ++p) {
        f.kp16[p] = kv.k_bf16(p0 + p);
        f.vp16[p] = kv.v_bf16(p0 + p);
      }
      ops::attend_rows_bf16(rows, state, f.scratch.data());
    } else {
      for (int64_t p = 0; p < n; ++p) {
        f.kp[p] = kv.k(p0 + p, 0, width, decoded ? f.k_rows.data() + p * width : nullptr);
        f.vp[p] = kv.v(p0 + p, 0, width, decoded ? f.v_rows.data() + p * width : nullptr);
      }
      ops::attend_rows(rows, state, f.scratch.data());
    }
  }
}

void AttentionGqa::attend_lone_rows(const LayerContext& ctx, const std::vector<int64_t>& rows, const float* q,
                                    float* attn) const {
  const AttentionGqaConfig& c = config_;
  const int64_t n_head = c.n_head, dv = c.head_dim, q_width = n_head * c.head_dim;
  struct RowScratch {
    FoldScratch fold;
    std::vector<float> m, l;
  };
  const auto make_scratch = [] { return RowScratch{}; };
  ops::for_items_with(static_cast<int64_t>(rows.size()), ops::num_threads(), make_scratch, [&](RowScratch& t, int64_t i) {
    const int64_t r = rows[to_size(i)];
    const KvLayerRows kv = ctx.cache.rows(ctx.layer, ctx.batch.seq_id(r));
    const int64_t end = ctx.batch.position(r) + 1;
    float* out = attn + r * q_width;
    t.m.assign(to_size(n_head), -INFINITY);
    t.l.assign(to_size(n_head), 0.0f);
    std::fill(out, out + n_head * dv, 0.0f);
    fold_positions(kv, q + r * q_width, window_start(kv, end), end, ctx.cache.precision(),
                   kernels::AttendState{t.m.data(), t.l.data(), out}, t.fold);
    for (int64_t h = 0; h < n_head; ++h)
      for (int64_t k = 0; k < dv; ++k) out[h * dv + k] /= t.l[to_size(h)];
  });
}

// One row (decode): its positions split into one contiguous run per thread, each run read
// whole row by whole row (every KV head at once: one sequential stream) in chunks folded into
// a running softmax per query head; the threads' partial softmaxes are merged at the end.
void AttentionGqa::attend_decode(const LayerContext& ctx, const float* q, float* attn) const {
  constexpr int64_t kPositionsPerThread = 16;   // fewer: one thread (the hand-off and merge cost more)
  const AttentionGqaConfig& c = config_;
  const int64_t n_head = c.n_head, dv = c.head_dim;
  const KvLayerRows kv = ctx.cache.rows(ctx.layer, ctx.batch.seq_id(0));
  const int64_t end = ctx.batch.position(0) + 1, start = window_start(kv, end), span = end - start;
  const int threads = static_cast<int>(std::clamp<int64_t>(span / kPositionsPerThread, 1, ops::num_threads()));
  std::vector<float> m(to_size(threads * n_head), -INFINITY), l(m.size(), 0.0f);
  std::vector<float> o(to_size(threads * n_head * dv), 0.0f);
  auto run = [&](int me) {
    const int64_t lo = start + span * me / threads, hi = start + span * (me + 1) / threads;
    const kernels::AttendState state{m.data() + me * n_head, l.data() + me * n_head, o.data() + me * n_head * dv};
    FoldScratch scratch;
    fold_positions(kv, q, lo, hi, ctx.cache.precision(), state, scratch);
  };
  ops::on_threads(threads, run);
  // Merge: each thread's sums rescaled to the largest maximum of the head.
  for (int64_t h = 0; h < n_head; ++h) {
    float mx = -INFINITY;
    for (int t = 0; t < threads; ++t) mx = std::max(mx, m[to_size(t * n_head + h)]);
    float* out = attn + h * dv;
    std::fill(out, out + dv, 0.0f);
    float sum = 0;
    for (int t = 0; t < threads; ++t) {
      const size_t th = to_size(t * n_head + h);
      if (m[th] == -INFINITY) continue;  // a thread with no positions
      const float w = std::exp(m[th] - mx);
      sum += w * l[th];
      ops::axpy(w, o.data() + th * dv, dv, out);
    }
    for (int64_t i = 0; i < dv; ++i) out[i] /= sum;
  }
}

}  // namespace hearth
