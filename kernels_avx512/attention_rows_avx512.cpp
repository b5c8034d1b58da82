// AVX-512F decode attention over whole cached rows (kernel_types.h AttendRows): one query row,
// every head, a run of positions, folded into a running softmax (AttendState).
// The run goes in sub-runs of 16 positions: scored, folded into the softmax, then weighted while
// their value rows are still in L1. Scores: per position, each KV head's key slice is loaded once
// for up to four of its query heads (dot products with a horizontal sum: a decode row has too
// few queries per key for the prefill kernel's transposed tiles to pay); the rows a few
// positions ahead are prefetched in address order, so the run is one sequential stream.
// Values: up to four query heads of one KV head share each load, 64 value dimensions a pass.
// The head counts are template constants so the accumulators stay in registers (with a runtime
// count GCC kept them on the stack, and the kernel ran well below the memory's rate).
// attend_rows_bf16 runs the same code over a bf16 cache's rows, widened in registers (a shift):
// half the bytes of float32 rows, 1.6-1.7x faster per call (BM_attend_decode_bf16).
#include <immintrin.h>

#include <algorithm>
#include <cmath>

#include "kernels_avx512/x86_tiers.h"
#include "src/kernels/kernel_types.h"
#include "kernels_avx512/simd_avx512.h"

namespace hearth::kernels {
namespace {

using simd::first_lanes;

// Cached rows as float32 or as bf16 (widened in registers: half the bytes from memory).
struct F32Rows {
  using T = float;
  static __m512 load(__mmask16 m, const float* p) { return _mm512_maskz_loadu_ps(m, p); }
};
struct Bf16Rows {
  using T = uint16_t;
  static __m512 load(__mmask16 m, const uint16_t* p) {
    return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(_mm256_maskz_loadu_epi16(m, p)), 16));
  }
};

// Positions ahead whose rows are fetched while the current one is scored.
constexpr int64_t kAhead = 2;
// Positions scored, then weighted, together: their value rows are still in L1 for the second
// pass (a whole call's run of 64 rows is 256 KB of values at Qwen3-0.6B's shape).
constexpr int64_t kSub = 16;
// Query heads of one KV head served by each key or value load (their accumulators fill the
// registers: 4 heads x 4 value registers).
constexpr int64_t kHeadsTogether = 4;

// s[j * stride] = scale * q_j . k for the NH heads q_j = q + j * dk (NH a constant: the
// accumulators stay in registers).
template <int NH, class R>
inline void shared_dots(const float* q, const typename R::T* k, int64_t dk, float scale, float* s, int64_t stride) {
  __m512 acc[NH];
  for (int j = 0; j < NH; ++j) acc[j] = _mm512_setzero_ps();
  for (int64_t d = 0; d < dk; d += 16) {
    const __mmask16 m = first_lanes(dk - d);
    const __m512 kv = R::load(m, k + d);
    for (int j = 0; j < NH; ++j) acc[j] = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, q + j * dk + d), kv, acc[j]);
  }
  for (int j = 0; j < NH; ++j) s[j * stride] = simd::hsum_ps(acc[j]) * scale;
}

// For the NH heads j: o_j[0, n) = o_j * rescale[j] + sum_p w_j[p] * rows[p][0, n), n <= 64 (4
// registers a head, masked tail); w_j = w + j * w_stride, o_j = o + j * o_stride.
template <int NH, class R>
inline void weighted_strips(const float* w, int64_t w_stride, const float* rescale, const typename R::T* const* rows,
                            int64_t n_rows, int64_t off, int64_t n, float* o, int64_t o_stride) {
  __mmask16 m[4];
  __m512 acc[NH][4];
  for (int i = 0; i < 4; ++i) m[i] = 16 * i < n ? first_lanes(n - 16 * i) : __mmask16(0);
  for (int j = 0; j < NH; ++j) {
    const __m512 r = _mm512_set1_ps(rescale[j]);
    for (int i = 0; i < 4; ++i) acc[j][i] = _mm512_mul_ps(_mm512_maskz_loadu_ps(m[i], o + j * o_stride + 16 * i), r);
  }
  for (int64_t p = 0; p < n_rows; ++p) {
    const typename R::T* v = rows[p] + off;
    __m512 vv[4];
    for (int i = 0; i < 4; ++i) vv[i] = R::load(m[i], v + 16 * i);
    for (int j = 0; j < NH; ++j) {
      const __m512 wp = _mm512_set1_ps(w[j * w_stride + p]);
      for (int i = 0; i < 4; ++i) acc[j][i] = _mm512_fmadd_ps(wp, vv[i], acc[j][i]);
    }
  }
  for (int j = 0; j < NH; ++j)
    for (int i = 0; i < 4; ++i) _mm512_mask_storeu_ps(o + j * o_stride + 16 * i, m[i], acc[j][i]);
}

// f.template operator()<NH>() for NH = nh, 1 <= nh <= kHeadsTogether.
template <class F>
inline void with_heads(int64_t nh, const F& f) {
  static_assert(kHeadsTogether == 4);
  switch (nh) {
    case 1: f.template operator()<1>(); break;
    case 2: f.template operator()<2>(); break;
    case 3: f.template operator()<3>(); break;
    default: f.template operator()<4>(); break;
  }
}

template <class R>
void attend(const AttendRows& a, const typename R::T* const* k, const typename R::T* const* v, const AttendState& st,
            float* scratch) {
  const int64_t n_kv = a.n_head / a.group;
  float* s = scratch;  // [n_head][kSub]: one sub-run's scores, then its softmax weights
  float* rescale = scratch + a.n_head * kSub;  // [n_head]
  for (int64_t p0 = 0; p0 < a.n; p0 += kSub) {
    const int64_t np = std::min(kSub, a.n - p0);
    for (int64_t j = 0; j < np; ++j) {
      const int64_t p = p0 + j;
      if (p + kAhead < a.n) {
        simd::prefetch_values(k[p + kAhead], n_kv * a.dk);
        simd::prefetch_values(v[p + kAhead], n_kv * a.dv);
      }
      for (int64_t g = 0; g < n_kv; ++g)
        for (int64_t h = g * a.group; h < (g + 1) * a.group; h += kHeadsTogether)
          with_heads(std::min(kHeadsTogether, (g + 1) * a.group - h), [&]<int NH>() {
            shared_dots<NH, R>(a.q + h * a.dk, k[p] + g * a.dk, a.dk, a.scale, s + h * kSub + j, kSub);
          });
    }
    for (int64_t h = 0; h < a.n_head; ++h) {  // running softmax over the sub-run
      float* sh = s + h * kSub;
      const float m_new = simd::max_floats(sh, np, st.m[h]);
      const float sum = simd::exp_minus_in_place(sh, np, m_new);
      rescale[h] = st.m[h] == -INFINITY ? 0.0f : std::exp(st.m[h] - m_new);
      st.l[h] = st.l[h] * rescale[h] + sum;
      st.m[h] = m_new;
    }
    for (int64_t g = 0; g < n_kv; ++g)
      for (int64_t h = g * a.group; h < (g + 1) * a.group; h += kHeadsTogether) {
        with_heads(std::min(kHeadsTogether, (g + 1) * a.group - h), [&]<int NH>() {
          for (int64_t i = 0; i < a.dv; i += 64)
            weighted_strips<NH, R>(s + h * kSub, kSub, rescale + h, v + p0, np, g * a.dv + i,
                                std::min<int64_t>(64, a.dv - i), st.o + h * a.dv + i, a.dv);
        });
      }
  }
}

void attend_rows(const AttendRows& a, const AttendState& st, float* scratch) {
  attend<F32Rows>(a, a.k, a.v, st, scratch);
}
void attend_rows_bf16(const AttendRows& a, const AttendState& st, float* scratch) {
  attend<Bf16Rows>(a, a.k_bf16, a.v_bf16, st, scratch);
}

}  // namespace

void register_avx512_attention_rows(KernelTable& t) {
  RowOps ops{};
  ops.attend_rows = attend_rows;
  ops.attend_rows_bf16 = attend_rows_bf16;
  set_row_ops(t, ops);
}

}  // namespace hearth::kernels
