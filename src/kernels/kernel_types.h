// Plain data types and function signatures of the kernel table, shared by the table and the
// per-ISA kernel files. Deliberately free of std templates and of functions with external
// linkage: per-ISA translation units include only this header (plus intrinsics), so no
// function compiled with AVX-512 flags can be merged by the linker into code that runs on a
// lesser CPU (the two size helpers below are static: each translation unit keeps its own).
#pragma once

#include <cstdint>

#include "quant/format.h"

namespace hearth::kernels {

// The forms a matrix kernel's activations come in.
enum class ActForm : uint8_t {
  kF32 = 0,    // float32 as computed
  kQ8G32 = 1,  // int8 per group of 32: q = round(x / d), d = max|x| / 127 (quant/codec.h)
  kQ16G32 = 2,  // int16 per group of 32: d = max|x| / 32767 (q16_prepare; close to float32)
  kCount
};

// Rows of a [n_out][n_in] weight in its stored (canonical block) layout, and optionally the
// same rows interleaved 16 at a time for the packed kernels (src/kernels/repack_r16.h).
struct WeightRows {
  const uint8_t* data;
  int64_t row_bytes;
  int64_t n_out;
  int64_t n_in;
  Format format;
  const uint8_t* packed = nullptr;  // rows [0, n_out / 16 * 16) in the r16 layout, or null
};

// Activations of n_tok tokens, each n_in long, in one form.
//   kF32:   f32[t * ld_f32 + i]
//   kQ8G32: q[t * ld_q + i] int8; per group g = i / 32: d[t * ld_d + g] = scale,
//           ds[t * ld_d + g] = scale * sum of the group's q (offset corrections),
//           qsum[t * ld_d + g] = sum of the group's q (the same, in integers)
//   kQ16G32: q16[t * ld_q + i] int16; d[t * ld_d + g] = scale of group g
struct ActView {
  ActForm form;
  int64_t n_tok;
  int64_t n_in;
  const float* f32;
  int64_t ld_f32;
  const int8_t* q;
  const float* d;
  const float* ds;
  int64_t ld_q;
  int64_t ld_d;
  const int32_t* qsum = nullptr;
  const int16_t* q16 = nullptr;
};

// y[t * ldy + o] = sum_i W[o][i] * x_t[i] for every token t of x and o in [o_begin, o_end).
using GemmFn = void (*)(const WeightRows& w, const ActView& x, float* y, int64_t ldy,
                        int64_t o_begin, int64_t o_end);

// One token: x[n] (n a multiple of 32) -> q[n], d[n / 32], ds[n / 32], qsum[n / 32] (layout above).
using PrepareQ8Fn = void (*)(const float* x, int64_t n, int8_t* q, float* d, float* ds, int32_t* qsum);
// One token to ActForm::kQ16G32: per group of 32, d = max|x| / 32767, q = round-to-nearest-even
// of x / d (d = 0 and q = 0 for an all-zero group). n a multiple of 32.
using PrepareQ16Fn = void (*)(const float* x, int64_t n, int16_t* q, float* d);

// One attention head for a block of queries that share its key and value rows (the rows of a
// prompt's positions for one KV head: the query heads of its group, several positions).
// Query i sees rows [begin[i], end[i]); out[i] = sum_p softmax_p(scale * q_i . k_p) * v_p.
struct AttendBlock {
  const float* const* q;  // [n_q] query vectors, dk floats each
  float* const* out;      // [n_q] outputs, dv floats each
  const int64_t* begin;   // [n_q]
  const int64_t* end;     // [n_q], end[i] > begin[i]
  int64_t n_q;
  const float* const* k;  // key rows by position (read only inside some query's range)
  const float* const* v;  // value rows by position
  int64_t dk, dv;
  float scale;
};

// Floats of scratch an attend call needs: scores for every query over the block's span of
// rows (max end - min begin), one transposed tile of 32 keys, and a copy of the span's values.
static inline int64_t attend_scratch_floats(int64_t n_q, int64_t span, int64_t dk, int64_t dv) {
  return n_q * (span + 33) + 32 * (dk + 16) + span * dv + 64;
}

// Decode attention over whole cached rows: one query row (every head) against n positions,
// each position's row holding every KV head (head g's key at k[p] + g * dk, value at
// v[p] + g * dv); query head h reads KV head h / group. Reading whole rows in order keeps one
// sequential stream per thread (one head at a time would read a slice every row's width), so
// decode splits a context's positions across threads and merges their partial softmaxes.
struct AttendRows {
  const float* q;         // [n_head][dk]
  const float* const* k;  // [n] key rows
  const float* const* v;  // [n] value rows
  int64_t n, n_head, group, dk, dv;
  float scale;
  // The rows as bf16 instead, for RowOps::attend_rows_bf16 (k and v unused there).
  const uint16_t* const* k_bf16 = nullptr;
  const uint16_t* const* v_bf16 = nullptr;
};

// Running softmax of each query head over the positions seen so far: the largest scaled score
// m[h], l[h] = sum_p exp(s_p - m[h]), o[h * dv + i] = sum_p exp(s_p - m[h]) v_p[i]. Starts at
// m = -inf, l = 0, o = 0; the output of head h is o[h] / l[h].
struct AttendState {
  float* m;
  float* l;
  float* o;
};

// Floats of scratch an attend_rows call needs.
static inline int64_t attend_rows_scratch_floats(int64_t n_head, int64_t n) { return n_head * (n + 16) + 16; }

// Row-wise float helpers (single row, single thread).
struct RowOps {
  // out = x / sqrt(mean(x^2) + eps) * w
  void (*rms_norm)(const float* x, const float* w, int64_t n, float eps, float* out);
  // out[i] = silu(gate[i]) * up[i]
  void (*swiglu)(const float* gate, const float* up, int64_t n, float* out);
  // y[i] += a * x[i]
  void (*axpy)(float a, const float* x, int64_t n, float* y);
  // sum_i a[i] * b[i]
  float (*dot)(const float* a, const float* b, int64_t n);
  // out[p] = sum_i q[i] * rows[p][i] for p < n (attention scores against n cached keys)
  void (*dot_rows)(const float* q, const float* const* rows, int64_t n, int64_t dim, float* out);
  // out[i] = sum_p w[p] * rows[p][i] for i < dim (attention's weighted values; out overwritten)
  void (*weighted_sum_rows)(const float* w, const float* const* rows, int64_t n, int64_t dim, float* out);
  // A block of attention queries (AttendBlock); scratch holds attend_scratch_floats(...) floats.
  void (*attend)(const AttendBlock& b, float* scratch);
  // Folds rows a into state s (AttendRows); scratch holds attend_rows_scratch_floats(...) floats.
  void (*attend_rows)(const AttendRows& a, const AttendState& s, float* scratch);
  // The same over bf16 rows (a.k_bf16, a.v_bf16), widened in registers; null where the tier has
  // none (the caller then decodes the rows to float32 for attend_rows).
  void (*attend_rows_bf16)(const AttendRows& a, const AttendState& s, float* scratch);
};

// Roofline probes (hearth bench --roofline); null where the tier has none.
struct RooflineOps {
  float (*read_sum)(const float* x, int64_t n);  // streams x once
  int64_t (*int8_peak)(int64_t iters);           // iters x 12 x 128 int8 ops (vpdpbusd)
};

}  // namespace hearth::kernels
