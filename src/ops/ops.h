// Ops: the math the model blocks are written in. Matrix work goes through the kernel table
// (src/kernels/kernel_table.h), so quantized and SIMD kernels drop in without touching
// model code. Activations are prepared once per batch (PreparedInput) in every form the
// kernels ask for, and reused by each matrix that reads them (q/k/v; gate/up; experts).
// Row-wise helpers are float32 and single-row (SIMD through the table's row ops);
// parallelism across rows and heads is the caller's (model blocks) or matmul's own.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "src/kernels/kernel_types.h"
#include "quant/tensor.h"
#include "src/ops/thread_team.h"  // num_threads, set_num_threads

namespace hearth::ops {

// x[n_tok][n_in] float32 (not owned; must outlive this), converted lazily into each
// kernels::ActForm a matrix kernel asks for, once; later requests reuse the conversion.
class PreparedInput {
 public:
  PreparedInput(const float* x, int64_t n_tok, int64_t n_in);
  const kernels::ActView& view(kernels::ActForm form);
  const float* f32() const { return x_; }
  int64_t n_tok() const { return n_tok_; }
  int64_t n_in() const { return n_in_; }

 private:
  const float* x_;
  int64_t n_tok_, n_in_;
  kernels::ActView views_[static_cast<int>(kernels::ActForm::kCount)];
  bool ready_[static_cast<int>(kernels::ActForm::kCount)] = {};
  std::vector<int8_t> q_;   // [n_tok][n_in]
  std::vector<float> d_;    // [n_tok][n_in / 32] scales, then [n_tok][n_in / 32] scale * sum(q)
  std::vector<int32_t> qsum_;  // [n_tok][n_in / 32] sum(q)
  std::vector<int16_t> q16_;   // [n_tok][n_in] (kQ16G32)
  std::vector<float> d16_;     // [n_tok][n_in / 32]
};

// A float buffer left uninitialised, for outputs written in full before they are read (matmul
// results): std::vector's zero-fill is a measurable share of prefill (benchmarks/RESULTS.md).
class FloatBuffer {
 public:
  explicit FloatBuffer(size_t n) : p_(new float[n]) {}
  float* data() { return p_.get(); }
  const float* data() const { return p_.get(); }

 private:
  std::unique_ptr<float[]> p_;
};

// y[n_tok][n_out] = x * W^T with prepared activations (x.n_in() == n_in). Threaded.
void matmul(const TensorView& w, PreparedInput& x, float* y);

// ys[i] = x * ws[i]^T for several matrices reading the same input (q, k, v; gate, up), in one
// parallel loop: one fork and join instead of one per matrix (decode runs hundreds per token).
void matmul_many(std::span<const TensorView* const> ws, PreparedInput& x, std::span<float* const> ys);

// The general form: each matrix with its own input (the experts of a MoE layer).
struct MatmulCall {
  const TensorView* w;
  PreparedInput* x;
  float* y;
};
void matmul_many(std::span<const MatmulCall> calls);

// y[n_tok][n_out] = x[n_tok][n_in] * W^T, W = [n_out][n_in] in any stored format. Threaded.
void matmul(const TensorView& w, const float* x, int64_t n_tok, float* y);

// out[i] = row `r` of `w` as float32 (embedding lookup for any format).
void decode_row(const TensorView& w, int64_t r, float* out);

// Whole small tensor (norm weights, biases) as float32.
std::vector<float> to_f32(const TensorView& t);

// out = x / sqrt(mean(x^2) + eps) * w   (HF RMSNorm: normalise in float32, then scale).
void rms_norm(const float* x, const float* w, int64_t n, float eps, float* out);

// In place, numerically stable.
void softmax(float* x, int64_t n);

float silu(float x);

// out[i] = silu(gate[i]) * up[i]
void swiglu(const float* gate, const float* up, int64_t n, float* out);

void add_inplace(float* y, const float* x, int64_t n);

// y[i] += a * x[i]
void axpy(float a, const float* x, int64_t n, float* y);

// sum_i a[i] * b[i] (float32, SIMD order)
float dot(const float* a, const float* b, int64_t n);

// out[p] = dot(q, rows[p], dim) for p < n.
void dot_rows(const float* q, const float* const* rows, int64_t n, int64_t dim, float* out);
// out[i] = sum_p w[p] * rows[p][i] for i < dim (out overwritten).
void weighted_sum_rows(const float* w, const float* const* rows, int64_t n, int64_t dim, float* out);

// A block of attention queries sharing one head's rows (kernels::AttendBlock); scratch holds
// kernels::attend_scratch_floats(...) floats. Single-threaded.
void attend(const kernels::AttendBlock& b, float* scratch);

// Folds whole cached rows into a running softmax (kernels::AttendRows, decode); scratch holds
// kernels::attend_rows_scratch_floats(...) floats. Single-threaded.
void attend_rows(const kernels::AttendRows& a, const kernels::AttendState& s, float* scratch);
// The same over bf16 rows (a.k_bf16, a.v_bf16) where the kernel tier reads them directly
// (has_attend_rows_bf16()); elsewhere decode the rows and call attend_rows.
bool has_attend_rows_bf16();
void attend_rows_bf16(const kernels::AttendRows& a, const kernels::AttendState& s, float* scratch);

}  // namespace hearth::ops
