// Error measurement for quantized tensors: relative RMSE, max abs error, the importance-
// weighted squared error the scale search minimises, and the non-finite check callers must run
// on every tensor before quantizing or after loading.
// Not here: model-level metrics (KL, perplexity) — those need the model and live above it.
#pragma once

#include <cstdint>
#include <string_view>

#include "src/base/status.h"

namespace hearth {

struct QuantError {
  double rel_rmse = 0;      // rms(ref - approx) / rms(ref); 0 when both are all zero
  double rmse = 0;          // rms(ref - approx)
  double max_abs = 0;       // max_i |ref_i - approx_i|
  int64_t max_abs_at = -1;  // index of max_abs (-1 when n == 0)
};

QuantError measure_error(const float* ref, const float* approx, int64_t n);

// sum_i imp_i (ref_i - approx_i)^2, imp nullable (all 1). Accumulated in double.
double weighted_sq_error(const float* ref, const float* approx, const float* imp, int64_t n);

// Error naming the tensor, the first bad index and how many are bad, if any element of x is
// NaN or Inf.
Status check_finite(const float* x, int64_t n, std::string_view name);

}  // namespace hearth
