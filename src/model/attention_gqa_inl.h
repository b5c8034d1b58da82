// Template body of attend_one_head (see attention_gqa.h).
#pragma once

#include <algorithm>
#include <cmath>

#include "src/ops/ops.h"

namespace hearth {

template <typename KeyFn, typename ValueFn>
void attend_one_head(const float* q, int64_t head_dim_k, int64_t head_dim_v, int64_t n_pos,
                     float scale, KeyFn k_at, ValueFn v_at, float* scores, const float** rows,
                     float* out) {
  for (int64_t p = 0; p < n_pos; ++p) rows[p] = k_at(p);
  ops::dot_rows(q, rows, n_pos, head_dim_k, scores);  // one kernel call per head, not per row
  float mx = -INFINITY;
  for (int64_t p = 0; p < n_pos; ++p) mx = std::max(mx, scores[p] *= scale);
  double sum = 0;
  for (int64_t p = 0; p < n_pos; ++p) {
    scores[p] = std::exp(scores[p] - mx);
    sum += scores[p];
  }
  const float inv = static_cast<float>(1.0 / sum);
  for (int64_t p = 0; p < n_pos; ++p) {
    scores[p] *= inv;
    rows[p] = v_at(p);
  }
  ops::weighted_sum_rows(scores, rows, n_pos, head_dim_v, out);
}

}  // namespace hearth
