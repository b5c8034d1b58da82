// AVX-512F decode attention over whole cached rows (kernel_types.h AttendRows): one query row,
// every head, a run of positions, folded into a running softmax (AttendState).
// Scores: per position, the row's keys are read once for every query head (dot products with a
// horizontal sum: a decode row has too few queries per key for the prefill kernel's transposed
// tiles to pay). While a position's scores are computed, the key and value rows a few
// positions ahead are prefetched in address order, so the run is one sequential stream and the
// value pass finds its rows in cache.
// Values: per query head, 64 value dimensions in 4 registers while the run's rows go past.
#include <immintrin.h>

#include <algorithm>
#include <cmath>

#include "kernels_avx512/isa_tiers.h"
#include "kernels_avx512/kernel_types.h"
#include "kernels_avx512/simd_avx512.h"

namespace hearth::kernels {
namespace {

using simd::first_lanes;

// Positions ahead whose rows are fetched while the current one is scored.
constexpr int64_t kAhead = 2;

// o[0, n) = o * rescale + sum_p w[p] * rows[p][0, n), n <= 64 (4 registers, masked tail).
inline void weighted_strip(const float* w, const float* const* rows, int64_t n_rows, int64_t off, int64_t n,
                           float rescale, float* o) {
  __mmask16 m[4];
  __m512 acc[4];
  const __m512 r = _mm512_set1_ps(rescale);
  for (int j = 0; j < 4; ++j) {
    m[j] = 16 * j < n ? first_lanes(n - 16 * j) : __mmask16(0);
    acc[j] = _mm512_mul_ps(_mm512_maskz_loadu_ps(m[j], o + 16 * j), r);
  }
  for (int64_t p = 0; p < n_rows; ++p) {
    const __m512 wp = _mm512_set1_ps(w[p]);
    const float* v = rows[p] + off;
    for (int j = 0; j < 4; ++j) acc[j] = _mm512_fmadd_ps(wp, _mm512_maskz_loadu_ps(m[j], v + 16 * j), acc[j]);
  }
  for (int j = 0; j < 4; ++j) _mm512_mask_storeu_ps(o + 16 * j, m[j], acc[j]);
}

void attend_rows(const AttendRows& a, const AttendState& st, float* scratch) {
  if (a.n == 0) return;
  const int64_t ld = (a.n + 15) / 16 * 16;
  const int64_t n_kv = a.n_head / a.group;
  float* s = scratch;  // [n_head][ld]
  for (int64_t p = 0; p < a.n; ++p) {
    if (p + kAhead < a.n) {
      simd::prefetch_floats(a.k[p + kAhead], n_kv * a.dk);
      simd::prefetch_floats(a.v[p + kAhead], n_kv * a.dv);
    }
    for (int64_t h = 0; h < a.n_head; ++h)
      s[h * ld + p] = simd::dot(a.q + h * a.dk, a.k[p] + (h / a.group) * a.dk, a.dk) * a.scale;
  }
  for (int64_t h = 0; h < a.n_head; ++h) {
    float* sh = s + h * ld;
    const float m_new = simd::max_floats(sh, a.n, st.m[h]);
    const float sum = simd::exp_minus_in_place(sh, a.n, m_new);
    const float rescale = st.m[h] == -INFINITY ? 0.0f : std::exp(st.m[h] - m_new);
    st.l[h] = st.l[h] * rescale + sum;
    st.m[h] = m_new;
    const int64_t off = (h / a.group) * a.dv;
    for (int64_t i = 0; i < a.dv; i += 64)
      weighted_strip(sh, a.v, a.n, off + i, std::min<int64_t>(64, a.dv - i), rescale, st.o + h * a.dv + i);
  }
}

}  // namespace

void register_avx512_attention_rows(KernelTable& t) {
  RowOps ops{};
  ops.attend_rows = attend_rows;
  set_row_ops(t, ops);
}

}  // namespace hearth::kernels
