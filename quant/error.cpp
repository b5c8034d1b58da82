// Error measurement (see quant/error.h). Plain scalar loops in double.
#include "quant/error.h"

#include <cmath>

namespace hearth {

QuantError measure_error(const float* ref, const float* approx, int64_t n) {
  QuantError e;
  double sum_d2 = 0, sum_r2 = 0;
  for (int64_t i = 0; i < n; ++i) {
    const double d = static_cast<double>(ref[i]) - approx[i];
    sum_d2 += d * d;
    sum_r2 += static_cast<double>(ref[i]) * ref[i];
    if (std::fabs(d) > e.max_abs || e.max_abs_at < 0) {
      e.max_abs = std::fabs(d);
      e.max_abs_at = i;
    }
  }
  if (n > 0) e.rmse = std::sqrt(sum_d2 / n);
  if (sum_r2 > 0) e.rel_rmse = std::sqrt(sum_d2 / sum_r2);
  else if (sum_d2 > 0) e.rel_rmse = INFINITY;
  return e;
}

double weighted_sq_error(const float* ref, const float* approx, const float* imp, int64_t n) {
  double e = 0;
  for (int64_t i = 0; i < n; ++i) {
    const double d = static_cast<double>(ref[i]) - approx[i];
    e += (imp ? imp[i] : 1.0) * d * d;
  }
  return e;
}

Status check_finite(const float* x, int64_t n, std::string_view name) {
  int64_t bad = 0, first = -1;
  for (int64_t i = 0; i < n; ++i)
    if (!std::isfinite(x[i])) {
      if (first < 0) first = i;
      ++bad;
    }
  if (bad == 0) return Status::ok();
  return Status::errorf("tensor {}: {} of {} values are NaN or Inf (first at index {}, value {});"
                        " the checkpoint is corrupt or was saved from a diverged run",
                        name, bad, n, first, x[first]);
}

}  // namespace hearth
