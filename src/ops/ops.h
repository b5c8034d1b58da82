// Ops: the math the model blocks are written in. Matrix work goes through the kernel table
// (kernels_avx512/kernel_table.h), so quantized and SIMD kernels drop in without touching
// model code. Row-wise helpers here are plain float32 and single-row; parallelism across rows
// and heads is the caller's (model blocks) or matmul's own.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "quant/tensor.h"

namespace hearth::ops {

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

// Threads used by the parallel ops (OpenMP). 0 = leave the default.
void set_num_threads(int n);
int num_threads();

}  // namespace hearth::ops
