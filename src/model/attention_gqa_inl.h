// Template body of attend_one_head (see attention_gqa.h).
#pragma once

#include <algorithm>
#include <cmath>

#include "src/ops/ops.h"

namespace hearth {

template <typename KeyFn, typename ValueFn>
void attend_one_head(const float* q, int64_t head_dim_k, int64_t head_dim_v, int64_t n_pos,
                     float scale, KeyFn k_at, ValueFn v_at, float* scores, float* out) {
  float mx = -INFINITY;
  for (int64_t p = 0; p < n_pos; ++p) {
    scores[p] = ops::dot(q, k_at(p), head_dim_k) * scale;  // vectorised by the kernel table
    mx = std::max(mx, scores[p]);
  }
  double sum = 0;
  for (int64_t p = 0; p < n_pos; ++p) {
    scores[p] = std::exp(scores[p] - mx);
    sum += scores[p];
  }
  const float inv = static_cast<float>(1.0 / sum);
  std::fill(out, out + head_dim_v, 0.0f);
  for (int64_t p = 0; p < n_pos; ++p) {
    scores[p] *= inv;
    ops::axpy(scores[p], v_at(p), head_dim_v, out);
  }
}

}  // namespace hearth
