#include "src/ops/ops.h"

#include <algorithm>
#include <cmath>

#include "src/dispatch/kernel_dispatch.h"
#include "src/kernels/repack_r16.h"
#include "src/base/size.h"
#include "src/base/status.h"
#include "src/ops/packed_weights.h"
#include "src/ops/parallel.h"
#include "src/ops/stealing_shares.h"

namespace hearth::ops {

PreparedInput::PreparedInput(const float* x, int64_t n_tok, int64_t n_in)
    : x_(x), n_tok_(n_tok), n_in_(n_in) {}

const kernels::ActView& PreparedInput::view(kernels::ActForm form) {
  const int f = static_cast<int>(form);
  if (ready_[f]) return views_[f];
  kernels::ActView v{};
  v.form = form;
  v.n_tok = n_tok_;
  v.n_in = n_in_;
  v.f32 = x_;
  v.ld_f32 = n_in_;
  if (form == kernels::ActForm::kQ8G32) {
    HEARTH_CHECK(n_in_ % 32 == 0, "q8 activations need a multiple of 32 columns, got {}", n_in_);
    const int64_t groups = n_in_ / 32;
    q_.resize(to_size(n_tok_ * n_in_));
    d_.resize(to_size(2 * n_tok_ * groups));
    qsum_.resize(to_size(n_tok_ * groups));
    const auto prepare = kernels::kernel_table().prepare_q8;
    float* ds = d_.data() + n_tok_ * groups;
    for_rows(n_tok_, n_tok_ > 16, [&](int64_t t) {
      prepare(x_ + t * n_in_, n_in_, q_.data() + t * n_in_, d_.data() + t * groups, ds + t * groups,
              qsum_.data() + t * groups);
    });
    v.q = q_.data();
    v.d = d_.data();
    v.ds = ds;
    v.qsum = qsum_.data();
    v.ld_q = n_in_;
    v.ld_d = groups;
  } else if (form == kernels::ActForm::kQ16G32) {
    HEARTH_CHECK(n_in_ % 32 == 0, "int16 activations need a multiple of 32 columns, got {}", n_in_);
    const int64_t groups = n_in_ / 32;
    q16_.resize(to_size(n_tok_ * n_in_));
    d16_.resize(to_size(n_tok_ * groups));
    const auto prepare16 = kernels::kernel_table().prepare_q16;
    for_rows(n_tok_, n_tok_ > 16, [&](int64_t t) {
      prepare16(x_ + t * n_in_, n_in_, q16_.data() + t * n_in_, d16_.data() + t * groups);
    });
    v.q16 = q16_.data();
    v.d = d16_.data();
    v.ld_q = n_in_;
    v.ld_d = groups;
  }
  views_[f] = v;
  ready_[f] = true;
  return views_[f];
}

namespace {

// Tokens in one pass over a chunk of rows: the chunk's weights stay in L2 while this many
// tokens' activations stream past them.
constexpr int64_t kTokenBlock = 128;

kernels::ActView token_slice(const kernels::ActView& v, int64_t t0, int64_t n) {
  kernels::ActView s = v;
  s.n_tok = n;
  s.f32 = v.f32 ? v.f32 + t0 * v.ld_f32 : nullptr;
  if (v.form == kernels::ActForm::kQ8G32) {
    s.q += t0 * v.ld_q;
    s.d += t0 * v.ld_d;
    s.ds += t0 * v.ld_d;
    s.qsum += t0 * v.ld_d;
  } else if (v.form == kernels::ActForm::kQ16G32) {
    s.q16 += t0 * v.ld_q;
    s.d += t0 * v.ld_d;
  }
  return s;
}

// One matrix of a matmul_many call, split into chunks of output rows.
struct MatmulJob {
  kernels::WeightRows rows;
  kernels::GemmFn fn, packed_fn;
  const kernels::ActView *act, *packed_act;
  float* y;
  int64_t n_tok, n_out, n_packed, chunk, n_chunks;
  int64_t row_tile;  // rows handed out together: the kernel's row tile (16 packed, 4 canonical)
  double row_bytes;  // stored bytes per output row (decode's cost)
};

MatmulJob plan(const TensorView& w, PreparedInput& x, float* y, int threads) {
  HEARTH_CHECK(w.shape.size() == 2, "matmul weight {} must be 2-D, is {}", w.name, w.shape_string());
  const auto& table = kernels::kernel_table();
  const int fi = static_cast<int>(w.format);
  MatmulJob j{};
  j.fn = table.gemm[fi];
  HEARTH_CHECK(j.fn != nullptr, "no matmul kernel for format {} ({})", format_traits(w.format).name, w.name);
  j.n_out = w.shape[0];
  j.row_bytes = j.n_out > 0 ? static_cast<double>(w.nbytes) / static_cast<double>(j.n_out) : 0;
  const int64_t n_tok = j.n_tok = x.n_tok();
  HEARTH_CHECK(x.n_in() == w.shape[1], "matmul {}: input has {} columns, weight {}", w.name, x.n_in(), w.shape[1]);
  j.rows = kernels::weight_rows(w);
  j.y = y;
  // Rows [0, n_packed) run from the 16-row packed copy when there is one, the rest (fewer than
  // 16) from the canonical rows; each kernel gets the activation form it consumes.
  j.packed_fn = w.packed ? table.gemm_r16[fi] : nullptr;
  if (j.packed_fn) ensure_packed(w);
  j.n_packed = j.packed_fn ? j.n_out / kernels::kPackRows * kernels::kPackRows : 0;
  j.row_tile = j.packed_fn ? kernels::kPackRows : 4;
  if (n_tok == 0 || j.n_out == 0) return j;  // n_chunks 0: nothing to do
  j.act = j.n_packed < j.n_out ? &x.view(table.act_form[fi]) : nullptr;
  j.packed_act = j.n_packed > 0 ? &x.view(table.act_form_r16[fi]) : nullptr;
  // Chunks of output rows (multiples of the kernels' row tile), several per thread and handed
  // out dynamically so both cores finish together; each chunk meets every token.
  j.chunk = std::max<int64_t>(j.row_tile, (j.n_out + threads * 8 - 1) / (threads * 8));
  if (n_tok > 1) j.chunk = std::min<int64_t>(j.chunk, 32);
  j.chunk = (j.chunk + j.row_tile - 1) / j.row_tile * j.row_tile;
  j.n_chunks = (j.n_out + j.chunk - 1) / j.chunk;
  return j;
}

// Output rows [begin, end) of one matrix for every token.
void run_rows(const MatmulJob& j, int64_t begin, int64_t end) {
  const int64_t n_tok = j.n_tok;
  const int64_t split = std::clamp(j.n_packed, begin, end);
  for (int64_t t0 = 0; t0 < n_tok; t0 += kTokenBlock) {
    const int64_t nt = std::min(kTokenBlock, n_tok - t0);
    if (split > begin) j.packed_fn(j.rows, token_slice(*j.packed_act, t0, nt), j.y + t0 * j.n_out, j.n_out, begin, split);
    if (end > split) j.fn(j.rows, token_slice(*j.act, t0, nt), j.y + t0 * j.n_out, j.n_out, split, end);
  }
}

void run_chunk(const MatmulJob& j, int64_t c) { run_rows(j, c * j.chunk, std::min(j.n_out, (c + 1) * j.chunk)); }

// Decode is bound by memory: blocks of about 64 KiB over all the matrices in order, each
// thread owning a contiguous run of equal bytes (q is twice k and v) and stealing from the
// other's back when done (stealing_shares.h).
void run_decode(std::span<const MatmulJob> jobs, int threads) {
  constexpr double kBlockBytes = 64 * 1024;
  struct RowBlock {
    size_t job;
    int64_t begin, end;
  };
  // Kept per calling thread between calls: decode plans a hundred calls per token, and
  // allocating these each time was a share of the serial work the other thread waits for.
  // Named through references, so the team's threads read the caller's, not their own.
  static thread_local std::vector<RowBlock> tl_blocks;
  static thread_local std::vector<double> tl_bytes_before;
  static thread_local std::vector<int64_t> tl_share_begin;
  std::vector<RowBlock>& blocks = tl_blocks;
  std::vector<double>& bytes_before = tl_bytes_before;  // per block
  std::vector<int64_t>& share_begin = tl_share_begin;
  blocks.clear();
  bytes_before.clear();
  double total = 0;
  for (size_t i = 0; i < jobs.size(); ++i) {
    const MatmulJob& j = jobs[i];
    if (j.n_tok == 0 || j.n_out == 0) continue;
    const auto tile = static_cast<double>(j.row_tile);
    const int64_t rows = std::max<int64_t>(1, std::llround(kBlockBytes / j.row_bytes / tile)) * j.row_tile;
    for (int64_t r = 0; r < j.n_out; r += rows) {
      blocks.push_back({i, r, std::min(j.n_out, r + rows)});
      bytes_before.push_back(total);
      total += static_cast<double>(blocks.back().end - r) * j.row_bytes;
    }
  }
  share_begin.assign(to_size(threads) + 1, static_cast<int64_t>(blocks.size()));
  for (int t = 0; t < threads; ++t)
    share_begin[t] = std::lower_bound(bytes_before.begin(), bytes_before.end(), total * t / threads) - bytes_before.begin();
  StealingShares shares(share_begin);
  auto share = [&](int me) {
    for (StealingShares::Range r; !(r = shares.next(me)).empty();)
      for (int64_t b = r.begin; b < r.end;) {  // one kernel call per matrix in the range
        const RowBlock& first = blocks[to_size(b)];
        int64_t end = first.end;
        for (++b; b < r.end && blocks[to_size(b)].job == first.job; ++b) end = blocks[to_size(b)].end;
        run_rows(jobs[first.job], first.begin, end);
      }
  };
  on_threads(threads, share);
}

}  // namespace

void matmul_many(std::span<const MatmulCall> calls) {
  int64_t work = 0, bytes = 0, max_tok = 0;
  for (const MatmulCall& c : calls) {
    work += c.w->numel() * c.x->n_tok();
    bytes += static_cast<int64_t>(c.w->nbytes);
    max_tok = std::max(max_tok, c.x->n_tok());
  }
  // Splitting costs microseconds (a hand-off inside a pass's team, a fork and join outside one):
  // under 2^15 multiply-adds, or in decode under 256 KiB of weights (a MoE router: a few
  // microseconds of streaming), one thread does the work alone.
  const bool small = work < (1 << 15) || (max_tok <= 2 && bytes < (256 << 10));
  const int threads = small ? 1 : num_threads();
  std::vector<MatmulJob> jobs;
  for (const MatmulCall& c : calls) jobs.push_back(plan(*c.w, *c.x, c.y, threads));
  // Decode (1-2 tokens) is bound by memory: contiguous byte shares with stealing (run_decode;
  // chunks handed out one at a time break the prefetchers' stream). Prefill
  // is bound by compute: chunks handed out dynamically, so both finish together.
  if (max_tok <= 2) {
    run_decode(jobs, threads);
    return;
  }
  std::vector<std::pair<size_t, int64_t>> items;  // (job, chunk): one parallel loop for all matrices
  for (size_t i = 0; i < jobs.size(); ++i)
    for (int64_t c = 0; c < jobs[i].n_chunks; ++c) items.emplace_back(i, c);
  const int64_t n_items = static_cast<int64_t>(items.size());
  for_items(n_items, threads, [&](int64_t k) {
    const auto [job, chunk] = items[to_size(k)];
    run_chunk(jobs[job], chunk);
  });
}

void matmul_many(std::span<const TensorView* const> ws, PreparedInput& x, std::span<float* const> ys) {
  HEARTH_CHECK(ws.size() == ys.size(), "matmul_many: {} weights, {} outputs", ws.size(), ys.size());
  std::vector<MatmulCall> calls;
  for (size_t i = 0; i < ws.size(); ++i) calls.push_back({ws[i], &x, ys[i]});
  matmul_many(calls);
}

void matmul(const TensorView& w, PreparedInput& x, float* y) {
  const TensorView* ws[1] = {&w};
  float* ys[1] = {y};
  matmul_many(ws, x, ys);
}

void matmul(const TensorView& w, const float* x, int64_t n_tok, float* y) {
  HEARTH_CHECK(w.shape.size() == 2, "matmul weight {} must be 2-D, is {}", w.name, w.shape_string());
  PreparedInput in(x, n_tok, w.shape[1]);
  matmul(w, in, y);
}

void decode_row(const TensorView& w, int64_t r, float* out) {
  const auto fn = kernels::kernel_table().decode_row[static_cast<int>(w.format)];
  HEARTH_CHECK(fn != nullptr, "no decode kernel for format {}", format_traits(w.format).name);
  HEARTH_CHECK(r >= 0 && r < w.rows(), "row {} out of range for {}", r, w.name);
  fn(w, r, out);
}

std::vector<float> to_f32(const TensorView& t) {
  std::vector<float> out(to_size(t.numel()));
  TensorView flat = t;
  flat.shape = {t.rows(), t.cols()};
  for (int64_t r = 0; r < flat.rows(); ++r) decode_row(flat, r, out.data() + r * flat.cols());
  return out;
}

void rms_norm(const float* x, const float* w, int64_t n, float eps, float* out) {
  kernels::kernel_table().row.rms_norm(x, w, n, eps, out);
}

void softmax(float* x, int64_t n) {
  float mx = x[0];
  for (int64_t i = 1; i < n; ++i) mx = std::max(mx, x[i]);
  double sum = 0;
  for (int64_t i = 0; i < n; ++i) {
    x[i] = std::exp(x[i] - mx);
    sum += x[i];
  }
  const float inv = static_cast<float>(1.0 / sum);
  for (int64_t i = 0; i < n; ++i) x[i] *= inv;
}

float silu(float x) { return x / (1.0f + std::exp(-x)); }

void swiglu(const float* gate, const float* up, int64_t n, float* out) {
  kernels::kernel_table().row.swiglu(gate, up, n, out);
}

void add_inplace(float* y, const float* x, int64_t n) { kernels::kernel_table().row.axpy(1.0f, x, n, y); }

void axpy(float a, const float* x, int64_t n, float* y) { kernels::kernel_table().row.axpy(a, x, n, y); }

float dot(const float* a, const float* b, int64_t n) { return kernels::kernel_table().row.dot(a, b, n); }

void dot_rows(const float* q, const float* const* rows, int64_t n, int64_t dim, float* out) {
  kernels::kernel_table().row.dot_rows(q, rows, n, dim, out);
}

void weighted_sum_rows(const float* w, const float* const* rows, int64_t n, int64_t dim, float* out) {
  kernels::kernel_table().row.weighted_sum_rows(w, rows, n, dim, out);
}

void attend(const kernels::AttendBlock& b, float* scratch) { kernels::kernel_table().row.attend(b, scratch); }
void attend_rows(const kernels::AttendRows& a, const kernels::AttendState& s, float* scratch) {
  kernels::kernel_table().row.attend_rows(a, s, scratch);
}

bool has_attend_rows_bf16() { return kernels::kernel_table().row.attend_rows_bf16 != nullptr; }

void attend_rows_bf16(const kernels::AttendRows& a, const kernels::AttendState& s, float* scratch) {
  const auto fn = kernels::kernel_table().row.attend_rows_bf16;
  HEARTH_CHECK(fn != nullptr, "attend_rows_bf16: the {} tier reads no bf16 rows", kernels::kernel_table().tier);
  fn(a, s, scratch);
}

}  // namespace hearth::ops
