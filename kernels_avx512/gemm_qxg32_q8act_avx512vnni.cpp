// Integer GEMM/GEMV for the 4-bit g32 block formats (q4g32, q4g32z, q4g32nl) against int8
// activations (ActForm::kQ8G32), AVX-512 VNNI (vpdpbusd), on the canonical stored blocks.
// (q8g32 keeps float activations: gemm_f32act_avx512.cpp says why.)
// Contract: y[t][o] = sum_g dw[o][g] * dx[t][g] * sum_i w[o][g][i] * q[t][g][i]  (+ min terms),
// the exact integer dot of quant/codec.h dot_row_q8act, summed in float.
// How: vpdpbusd wants unsigned x signed, so weights are made unsigned (q4g32: the raw nibble, i.e. +8; q4g32nl: a codebook shifted by +128 via vpshufb;
// q4g32z: the raw nibble). The offset comes back per group as c[g] * ds[t][g] with
// ds = dx * sum(q) from the activation preparation (q4g32z: c = its minimum).
// Tiles: 4 weight rows x T tokens (T <= 4); the 4 rows' blocks stay in L1 while every token
// of the batch streams past them, so prefill reads each weight once per 4 rows.
// Not here: repacked/interleaved layouts (a later, separately tested kernel), float formats.
#include <immintrin.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "kernels_avx512/isa_tiers.h"
#include "kernels_avx512/kernel_types.h"
#include "kernels_avx512/simd_avx512.h"

namespace hearth::kernels {
namespace {

constexpr int kRows = 4;

// Per-thread scratch for the rows' scales: sw[r][g] and corrections c[r][g].
float* scratch(int64_t n_floats) {
  static thread_local float* buf = nullptr;
  static thread_local int64_t cap = 0;
  if (n_floats > cap) {
    std::free(buf);
    cap = n_floats + 1024;
    buf = static_cast<float*>(std::aligned_alloc(64, static_cast<size_t>(cap) * 4));
  }
  return buf;
}

inline float h2f(const uint8_t* p) {
  uint16_t h;
  std::memcpy(&h, p, 2);
  return _cvtsh_ss(h);
}

// Per format: block bytes, where the quants start, the unsigned-weight decode of blocks g and
// g+1 (or g alone when !two: upper half zero), and the scale / correction of a block.
// Nibbles of blocks g, g+1 -> bytes [lo(g) | hi(g) | lo(g+1) | hi(g+1)] = elements 0..31 each.
template <int kBytesT, int kQT>
inline __m512i nibbles(const uint8_t* b, bool two) {
  const __m128i q0 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(b + kQT));
  const __m128i q1 = two ? _mm_loadu_si128(reinterpret_cast<const __m128i*>(b + kBytesT + kQT))
                         : _mm_setzero_si128();
  const __m256i v = _mm256_inserti128_si256(_mm256_castsi128_si256(q0), q1, 1);
  const __m256i m = _mm256_set1_epi8(0x0f);
  const __m256i lo = _mm256_and_si256(v, m);
  const __m256i hi = _mm256_and_si256(_mm256_srli_epi16(v, 4), m);
  const __m512i z = _mm512_inserti64x4(_mm512_castsi256_si512(lo), hi, 1);
  return _mm512_shuffle_i64x2(z, z, _MM_SHUFFLE(3, 1, 2, 0));
}

struct Q4 {
  static constexpr int kBytes = 18, kQ = 2;
  static __m512i load(const uint8_t* b, bool two) { return nibbles<kBytes, kQ>(b, two); }
  static void scales(const uint8_t* b, float* sw, float* c) {
    *sw = h2f(b);
    *c = -8.0f * *sw;
  }
};

struct Q4NL {
  static constexpr int kBytes = 18, kQ = 2;
  static __m512i load(const uint8_t* b, bool two) {
    // quant/blocks.h kCodebookQ4NL + 128 (ggml kvalues_iq4nl shifted to unsigned).
    const __m512i lut = _mm512_broadcast_i32x4(
        _mm_setr_epi8(1, 24, 45, 63, 79, 93, 106, 118, static_cast<char>(129),
                      static_cast<char>(141), static_cast<char>(153), static_cast<char>(166),
                      static_cast<char>(181), static_cast<char>(197), static_cast<char>(217),
                      static_cast<char>(241)));
    return _mm512_shuffle_epi8(lut, nibbles<kBytes, kQ>(b, two));
  }
  static void scales(const uint8_t* b, float* sw, float* c) {
    *sw = h2f(b);
    *c = -128.0f * *sw;
  }
};

struct Q4Z {
  static constexpr int kBytes = 20, kQ = 4;
  static __m512i load(const uint8_t* b, bool two) { return nibbles<kBytes, kQ>(b, two); }
  static void scales(const uint8_t* b, float* sw, float* c) {
    *sw = h2f(b);
    *c = h2f(b + 2);
  }
};

inline float hsum(__m512 v) { return simd::hsum_ps(v); }

// sum_g c[g] * ds[g] over n_groups.
inline float dot_groups(const float* c, const float* ds, int64_t n) {
  __m512 acc = _mm512_setzero_ps();
  int64_t g = 0;
  for (; g + 16 <= n; g += 16)
    acc = _mm512_fmadd_ps(_mm512_loadu_ps(c + g), _mm512_loadu_ps(ds + g), acc);
  if (g < n) {
    const __mmask16 m = static_cast<__mmask16>((1u << (n - g)) - 1);
    acc = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, c + g), _mm512_maskz_loadu_ps(m, ds + g), acc);
  }
  return hsum(acc);
}

// Lanes 0..7 <- pair[0], lanes 8..15 <- pair[1].
inline __m512 expand_pair(const float* pair, bool two) {
  const __m512i idx = _mm512_setr_epi32(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1);
  const __m128 v = two ? _mm_castpd_ps(_mm_load_sd(reinterpret_cast<const double*>(pair)))
                       : _mm_load_ss(pair);
  return _mm512_permutexvar_ps(idx, _mm512_castps128_ps512(v));
}

// R rows (R <= kRows) starting at o, T tokens starting at t0.
template <class F, int R, int T>
void tile(const WeightRows& w, const ActView& x, const float* sw, const float* c, int64_t n_groups,
          int64_t o, int64_t t0, float* y, int64_t ldy) {
  __m512 acc[R][T];
  for (int r = 0; r < R; ++r)
    for (int t = 0; t < T; ++t) acc[r][t] = _mm512_setzero_ps();
  const uint8_t* rows[R];
  for (int r = 0; r < R; ++r) rows[r] = w.data + (o + r) * w.row_bytes;
  for (int64_t g = 0; g < n_groups; g += 2) {
    const bool two = g + 1 < n_groups;
    __m512i wu[R];
    __m512 wd[R];
    for (int r = 0; r < R; ++r) {
      wu[r] = F::load(rows[r] + g * F::kBytes, two);
      wd[r] = expand_pair(sw + r * n_groups + g, two);
    }
    const __mmask64 xm = two ? ~__mmask64{0} : __mmask64{0xffffffffu};
    for (int t = 0; t < T; ++t) {
      const __m512i xq = _mm512_maskz_loadu_epi8(xm, x.q + (t0 + t) * x.ld_q + g * 32);
      const __m512 xd = expand_pair(x.d + (t0 + t) * x.ld_d + g, two);
      for (int r = 0; r < R; ++r) {
        const __m512i dot = _mm512_dpbusd_epi32(_mm512_setzero_si512(), wu[r], xq);
        acc[r][t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(dot), _mm512_mul_ps(wd[r], xd), acc[r][t]);
      }
    }
  }
  for (int t = 0; t < T; ++t) {
    const float* ds = x.ds + (t0 + t) * x.ld_d;
    for (int r = 0; r < R; ++r)
      y[(t0 + t) * ldy + o + r] = hsum(acc[r][t]) + dot_groups(c + r * n_groups, ds, n_groups);
  }
}

template <class F, int R>
void rows_all_tokens(const WeightRows& w, const ActView& x, const float* sw, const float* c,
                     int64_t n_groups, int64_t o, float* y, int64_t ldy) {
  int64_t t = 0;
  for (; t + 4 <= x.n_tok; t += 4) tile<F, R, 4>(w, x, sw, c, n_groups, o, t, y, ldy);
  switch (x.n_tok - t) {
    case 3: tile<F, R, 3>(w, x, sw, c, n_groups, o, t, y, ldy); break;
    case 2: tile<F, R, 2>(w, x, sw, c, n_groups, o, t, y, ldy); break;
    case 1: tile<F, R, 1>(w, x, sw, c, n_groups, o, t, y, ldy); break;
    default: break;
  }
}

template <class F>
void gemm(const WeightRows& w, const ActView& x, float* y, int64_t ldy, int64_t o_begin,
          int64_t o_end) {
  const int64_t n_groups = w.n_in / 32;
  float* sw = scratch(2 * kRows * n_groups);
  float* c = sw + kRows * n_groups;
  for (int64_t o = o_begin; o < o_end; o += kRows) {
    const int R = o + kRows <= o_end ? kRows : static_cast<int>(o_end - o);
    // The next tile's rows (contiguous after these) are fetched while this one computes: on
    // its own the scale pass below waits on DRAM at every tile.
    if (o + kRows < o_end) {
      const uint8_t* next = w.data + (o + kRows) * w.row_bytes;
      const int64_t bytes = std::min<int64_t>(kRows, o_end - o - kRows) * w.row_bytes;
      for (int64_t k = 0; k < bytes; k += 64) _mm_prefetch(reinterpret_cast<const char*>(next + k), _MM_HINT_T0);
    }
    for (int r = 0; r < R; ++r) {
      const uint8_t* row = w.data + (o + r) * w.row_bytes;
      for (int64_t g = 0; g < n_groups; ++g)
        F::scales(row + g * F::kBytes, sw + r * n_groups + g, c + r * n_groups + g);
    }
    switch (R) {
      case 4: rows_all_tokens<F, 4>(w, x, sw, c, n_groups, o, y, ldy); break;
      case 3: rows_all_tokens<F, 3>(w, x, sw, c, n_groups, o, y, ldy); break;
      case 2: rows_all_tokens<F, 2>(w, x, sw, c, n_groups, o, y, ldy); break;
      default: rows_all_tokens<F, 1>(w, x, sw, c, n_groups, o, y, ldy); break;
    }
  }
}

}  // namespace

void register_avx512vnni(KernelTable& t) {
  set_gemm(t, Format::kQ4G32, gemm<Q4>, ActForm::kQ8G32);
  set_gemm(t, Format::kQ4G32Z, gemm<Q4Z>, ActForm::kQ8G32);
  set_gemm(t, Format::kQ4G32NL, gemm<Q4NL>, ActForm::kQ8G32);
}

}  // namespace hearth::kernels
