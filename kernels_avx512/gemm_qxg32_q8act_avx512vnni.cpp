// Integer GEMM/GEMV for the 4- and 6-bit g32 block formats (q4g32, q4g32z, q4g32nl, q6g32) against int8
// activations (ActForm::kQ8G32), AVX-512 VNNI (vpdpbusd), on the canonical stored blocks.
// (q8g32 keeps float activations: gemm_f32act_avx512.cpp says why.)
// Contract: y[t][o] = sum_g dw[o][g] * dx[t][g] * sum_i w[o][g][i] * q[t][g][i]  (+ min terms),
// the exact integer dot of quant/codec.h dot_row_q8act, summed in float.
// How: vpdpbusd wants unsigned x signed, so weights are made unsigned (q4g32: the raw nibble,
// i.e. +8; q4g32nl: a codebook shifted by +128 via vpshufb; q4g32z: the raw nibble; q6g32: the
// raw 6-bit value, i.e. +32). The shift
// k comes back per group as -k * dw * ds[t][g], with ds = dx * sum(q) from the activation
// preparation; q4g32z adds min * ds instead. Both ride in the same accumulator: each of a
// group's 8 lanes takes ds / 8, so the lanes still sum to the group's value.
// Scales are read from the block headers inside the loop (two groups per 512-bit step), so
// each row is read once, front to back.
// Tiles: 4 weight rows x T tokens (T <= 4); the 4 rows' blocks stay in L1 while every token
// of the batch streams past them, so prefill reads each weight once per 4 rows.
// Not here: the r16-packed layout (gemm_r16_avx512vnni.cpp), float formats.
#include <immintrin.h>

#include <algorithm>
#include <cstring>

#include "kernels_avx512/x86_tiers.h"
#include "src/kernels/kernel_types.h"
#include "src/kernels/token_tiles.h"
#include "kernels_avx512/simd_avx512.h"

namespace hearth::kernels {
namespace {

constexpr int kRows = 4;

// Lanes 0..7 <- float16 at p, lanes 8..15 <- float16 at p + stride (or 0 when !two).
inline __m512 f16_pair(const uint8_t* p, int64_t stride, bool two) {
  uint16_t h[2] = {0, 0};
  std::memcpy(&h[0], p, 2);
  if (two) std::memcpy(&h[1], p + stride, 2);
  uint32_t both;
  std::memcpy(&both, h, 4);
  const __m128 v = _mm_cvtph_ps(_mm_cvtsi32_si128(static_cast<int>(both)));
  const __m512i idx = _mm512_setr_epi32(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1);
  return _mm512_permutexvar_ps(idx, _mm512_castps128_ps512(v));
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
  static constexpr float kShift = 8.0f;
  static constexpr bool kHasMin = false;
  static __m512i load(const uint8_t* b, bool two) { return nibbles<kBytes, kQ>(b, two); }
};

struct Q4NL {
  static constexpr int kBytes = 18, kQ = 2;
  static constexpr float kShift = 128.0f;
  static constexpr bool kHasMin = false;
  static __m512i load(const uint8_t* b, bool two) {
    // quant/blocks.h kCodebookQ4NL + 128 (ggml kvalues_iq4nl shifted to unsigned).
    const __m512i lut = _mm512_broadcast_i32x4(
        _mm_setr_epi8(1, 24, 45, 63, 79, 93, 106, 118, static_cast<char>(129),
                      static_cast<char>(141), static_cast<char>(153), static_cast<char>(166),
                      static_cast<char>(181), static_cast<char>(197), static_cast<char>(217),
                      static_cast<char>(241)));
    return _mm512_shuffle_epi8(lut, nibbles<kBytes, kQ>(b, two));
  }
};

// q6g32: u = low nibble | high 2 bits << 4, in 0..63 (level + 32). qh[k] holds the high bits of
// elements k, k+8, k+16, k+24 at bits 0, 2, 4, 6 (quant/blocks.h).
inline __m256i six_high(const uint8_t* qh) {
  const __m128i q = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(qh));
  const __m128i m3 = _mm_set1_epi8(3);
  const __m128i h0 = _mm_and_si128(q, m3), h1 = _mm_and_si128(_mm_srli_epi16(q, 2), m3);
  const __m128i h2 = _mm_and_si128(_mm_srli_epi16(q, 4), m3), h3 = _mm_and_si128(_mm_srli_epi16(q, 6), m3);
  const __m256i v = _mm256_set_m128i(_mm_unpacklo_epi64(h2, h3), _mm_unpacklo_epi64(h0, h1));
  return _mm256_slli_epi16(v, 4);  // values <= 3: the shift stays inside each byte
}

struct Q6 {
  static constexpr int kBytes = 26, kQ = 2;
  static constexpr float kShift = 32.0f;
  static constexpr bool kHasMin = false;
  static __m512i load(const uint8_t* b, bool two) {
    const __m256i h1 = two ? six_high(b + kBytes + 18) : _mm256_setzero_si256();
    const __m512i high = _mm512_inserti64x4(_mm512_castsi256_si512(six_high(b + 18)), h1, 1);
    return _mm512_or_si512(nibbles<kBytes, kQ>(b, two), high);
  }
};

struct Q4Z {
  static constexpr int kBytes = 20, kQ = 4;
  static constexpr float kShift = 0.0f;
  static constexpr bool kHasMin = true;  // float16 minimum after the scale
  static __m512i load(const uint8_t* b, bool two) { return nibbles<kBytes, kQ>(b, two); }
};

// Lanes 0..7 <- pair[0], lanes 8..15 <- pair[1] (or 0 when !two).
inline __m512 expand_pair(const float* pair, bool two) {
  const __m512i idx = _mm512_setr_epi32(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1);
  const __m128 v = two ? _mm_castpd_ps(_mm_load_sd(reinterpret_cast<const double*>(pair)))
                       : _mm_load_ss(pair);
  return _mm512_permutexvar_ps(idx, _mm512_castps128_ps512(v));
}

// R rows (R <= kRows) starting at o, T tokens starting at t0.
template <class F, int R, int T>
void tile(const WeightRows& w, const ActView& x, int64_t o, int64_t t0, float* y, int64_t ldy) {
  const int64_t n_groups = w.n_in / 32;
  __m512 acc[R][T];
  for (int r = 0; r < R; ++r)
    for (int t = 0; t < T; ++t) acc[r][t] = _mm512_setzero_ps();
  const uint8_t* rows[R];
  for (int r = 0; r < R; ++r) rows[r] = w.data + (o + r) * w.row_bytes;
  const __m512 eighth = _mm512_set1_ps(0.125f), minus_shift = _mm512_set1_ps(-F::kShift);
  for (int64_t g = 0; g < n_groups; g += 2) {
    const bool two = g + 1 < n_groups;
    __m512i wu[R];
    __m512 wd[R], wm[R];
    for (int r = 0; r < R; ++r) {
      const uint8_t* b = rows[r] + g * F::kBytes;
      wu[r] = F::load(b, two);
      wd[r] = f16_pair(b, F::kBytes, two);
      if constexpr (F::kHasMin) wm[r] = f16_pair(b + 2, F::kBytes, two);
    }
    const __mmask64 xm = two ? ~__mmask64{0} : __mmask64{0xffffffffu};
    for (int t = 0; t < T; ++t) {
      const __m512i xq = _mm512_maskz_loadu_epi8(xm, x.q + (t0 + t) * x.ld_q + g * 32);
      const __m512 xd = expand_pair(x.d + (t0 + t) * x.ld_d + g, two);
      const __m512 xds = _mm512_mul_ps(expand_pair(x.ds + (t0 + t) * x.ld_d + g, two), eighth);
      const __m512 shift_term = _mm512_mul_ps(xds, minus_shift);
      for (int r = 0; r < R; ++r) {
        const __m512i dot = _mm512_dpbusd_epi32(_mm512_setzero_si512(), wu[r], xq);
        const __m512 inner = _mm512_fmadd_ps(_mm512_cvtepi32_ps(dot), xd, shift_term);
        acc[r][t] = _mm512_fmadd_ps(wd[r], inner, acc[r][t]);
        if constexpr (F::kHasMin) acc[r][t] = _mm512_fmadd_ps(wm[r], xds, acc[r][t]);
      }
    }
  }
  for (int t = 0; t < T; ++t)
    for (int r = 0; r < R; ++r) y[(t0 + t) * ldy + o + r] = simd::hsum_ps(acc[r][t]);
}

template <class F, int R>
void rows_all_tokens(const WeightRows& w, const ActView& x, int64_t o, float* y, int64_t ldy) {
  for_token_tiles<4>(x.n_tok, [&]<int T>(int64_t t) { tile<F, R, T>(w, x, o, t, y, ldy); });
}

template <class F>
void gemm(const WeightRows& w, const ActView& x, float* y, int64_t ldy, int64_t o_begin,
          int64_t o_end) {
  for (int64_t o = o_begin; o < o_end; o += kRows) {
    const int R = o + kRows <= o_end ? kRows : static_cast<int>(o_end - o);
    // The next tile's rows (contiguous after these) are fetched while this one computes: with
    // the hardware prefetchers alone, each tile started by waiting on DRAM.
    if (o + kRows < o_end) {
      const uint8_t* next = w.data + (o + kRows) * w.row_bytes;
      const int64_t bytes = std::min<int64_t>(kRows, o_end - o - kRows) * w.row_bytes;
      for (int64_t k = 0; k < bytes; k += 64) _mm_prefetch(reinterpret_cast<const char*>(next + k), _MM_HINT_T0);
    }
    switch (R) {
      case 4: rows_all_tokens<F, 4>(w, x, o, y, ldy); break;
      case 3: rows_all_tokens<F, 3>(w, x, o, y, ldy); break;
      case 2: rows_all_tokens<F, 2>(w, x, o, y, ldy); break;
      default: rows_all_tokens<F, 1>(w, x, o, y, ldy); break;
    }
  }
}

}  // namespace

void register_avx512vnni(KernelTable& t) {
  set_gemm(t, Format::kQ4G32, gemm<Q4>, ActForm::kQ8G32);
  set_gemm(t, Format::kQ4G32Z, gemm<Q4Z>, ActForm::kQ8G32);
  set_gemm(t, Format::kQ4G32NL, gemm<Q4NL>, ActForm::kQ8G32);
  set_gemm(t, Format::kQ6G32, gemm<Q6>, ActForm::kQ8G32);
  register_avx512vnni_r16(t);
}

}  // namespace hearth::kernels
