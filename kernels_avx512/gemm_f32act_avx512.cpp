// GEMM/GEMV of f32, f16, bf16, q8g32 and q6g32 (this tier only: VNNI takes q6g32 with int8
// activations) weights against float32 activations, AVX-512F (+F16C
// for f16). Weights are widened to float32 in registers (q8g32: int8 x its block's float16
// scale, q6g32 likewise) and multiplied with FMA, so the result matches the reference up to summation order:
// no rounding of activations. q8g32 runs here rather than on the int8-activation VNNI kernel
// because 8-bit activations about doubled q8's KL (benchmarks/results/quality.md); decode is
// bound by weight bytes either way.
// Tiles: 4 weight rows x T tokens (T <= 4): four independent FMA chains even for one token, and
// each widened weight vector is reused by up to 4 tokens.
// Not here: bf16 activations with vdpbf16ps (measured no faster for memory-bound decode).
#include <immintrin.h>

#include <cstring>

#include "kernels_avx512/x86_tiers.h"
#include "src/kernels/kernel_types.h"
#include "src/kernels/token_tiles.h"
#include "kernels_avx512/simd_avx512.h"

namespace hearth::kernels {
namespace {

struct F32 {
  static __m512 load(const uint8_t* p, int64_t i, __mmask16 m) {
    return _mm512_maskz_loadu_ps(m, reinterpret_cast<const float*>(p) + i);
  }
};
struct F16 {
  static __m512 load(const uint8_t* p, int64_t i, __mmask16 m) {
    return _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(m, reinterpret_cast<const uint16_t*>(p) + i));
  }
};
struct BF16 {
  static __m512 load(const uint8_t* p, int64_t i, __mmask16 m) {
    const __m256i h = _mm256_maskz_loadu_epi16(m, reinterpret_cast<const uint16_t*>(p) + i);
    return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
  }
};

// q8g32 blocks: float16 scale, then 32 int8 (quant/blocks.h); n_in is a multiple of 32, so a
// 16-value chunk never straddles a block and never needs the mask.
struct Q8 {
  static __m512 load(const uint8_t* p, int64_t i, __mmask16) {
    const uint8_t* block = p + (i / 32) * 34;
    const __m128i q = _mm_loadu_si128(reinterpret_cast<const __m128i*>(block + 2 + (i % 32)));
    int16_t d16;
    std::memcpy(&d16, block, 2);
    const __m512 d = _mm512_cvtph_ps(_mm256_set1_epi16(d16));
    return _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(q)), d);
  }
};

// q6g32 blocks: float16 scale, 16 bytes of low nibbles (split-half order), 8 bytes of 2-bit
// high parts (quant/blocks.h). Chunk h of a block holds elements 16h .. 16h+15: low nibble
// (ql[j] >> 4h) & 15, high part (qh[j % 8] >> (4h + 2 (j / 8))) & 3.
struct Q6 {
  static __m512 load(const uint8_t* p, int64_t i, __mmask16) {
    const uint8_t* block = p + (i / 32) * 26;
    const int h = static_cast<int>((i % 32) / 16);
    const __m512i ql = _mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(block + 2)));
    int64_t qh8;
    std::memcpy(&qh8, block + 18, 8);
    const __m512i qh = _mm512_cvtepu8_epi32(_mm_set1_epi64x(qh8));
    const __m512i shift_hi = _mm512_add_epi32(_mm512_set1_epi32(4 * h),
                                              _mm512_set_epi32(2, 2, 2, 2, 2, 2, 2, 2, 0, 0, 0, 0, 0, 0, 0, 0));
    const __m512i lo = _mm512_and_si512(_mm512_srli_epi32(ql, static_cast<unsigned>(4 * h)), _mm512_set1_epi32(15));
    const __m512i hi = _mm512_and_si512(_mm512_srlv_epi32(qh, shift_hi), _mm512_set1_epi32(3));
    const __m512i level = _mm512_sub_epi32(_mm512_or_si512(lo, _mm512_slli_epi32(hi, 4)), _mm512_set1_epi32(32));
    int16_t d16;
    std::memcpy(&d16, block, 2);
    return _mm512_mul_ps(_mm512_cvtepi32_ps(level), _mm512_cvtph_ps(_mm256_set1_epi16(d16)));
  }
};

template <class W, int R, int T>
void tile(const WeightRows& w, const ActView& x, int64_t o, int64_t t0, float* y, int64_t ldy) {
  __m512 acc[R][T];
  for (int r = 0; r < R; ++r)
    for (int t = 0; t < T; ++t) acc[r][t] = _mm512_setzero_ps();
  const int64_t n = w.n_in;
  // Prefetch the next tile's rows (contiguous after these; past the matrix end a prefetch is
  // a no-op), spread over this tile's loop: with the hardware prefetchers alone, decode waited
  // on DRAM and streamed half as fast (benchmarks/RESULTS.md).
  const uint8_t* next = w.data + (o + R) * w.row_bytes;
  const int64_t next_lines = R * w.row_bytes / 64, iters = (n + 15) / 16;
  const int64_t lines_per_iter = (next_lines + iters - 1) / iters;
  int64_t line = 0;
  for (int64_t i = 0; i < n; i += 16) {
    const __mmask16 m = i + 16 <= n ? __mmask16(0xffff) : __mmask16((1u << (n - i)) - 1);
    for (int64_t k = 0; k < lines_per_iter && line < next_lines; ++k, ++line)
      _mm_prefetch(reinterpret_cast<const char*>(next + line * 64), _MM_HINT_T0);
    __m512 wv[R];
    for (int r = 0; r < R; ++r) wv[r] = W::load(w.data + (o + r) * w.row_bytes, i, m);
    for (int t = 0; t < T; ++t) {
      const __m512 xv = _mm512_maskz_loadu_ps(m, x.f32 + (t0 + t) * x.ld_f32 + i);
      for (int r = 0; r < R; ++r) acc[r][t] = _mm512_fmadd_ps(wv[r], xv, acc[r][t]);
    }
  }
  for (int t = 0; t < T; ++t)
    for (int r = 0; r < R; ++r) y[(t0 + t) * ldy + o + r] = simd::hsum_ps(acc[r][t]);
}

template <class W, int R>
void rows_all_tokens(const WeightRows& w, const ActView& x, int64_t o, float* y, int64_t ldy) {
  for_token_tiles<4>(x.n_tok, [&]<int T>(int64_t t) { tile<W, R, T>(w, x, o, t, y, ldy); });
}

template <class W>
void gemm(const WeightRows& w, const ActView& x, float* y, int64_t ldy, int64_t o_begin,
          int64_t o_end) {
  int64_t o = o_begin;
  for (; o + 4 <= o_end; o += 4) rows_all_tokens<W, 4>(w, x, o, y, ldy);
  for (; o < o_end; ++o) rows_all_tokens<W, 1>(w, x, o, y, ldy);
}

}  // namespace

void register_avx512_gemm(KernelTable& t) {
  set_gemm(t, Format::kF32, gemm<F32>, ActForm::kF32);
  set_gemm(t, Format::kF16, gemm<F16>, ActForm::kF32);
  set_gemm(t, Format::kBF16, gemm<BF16>, ActForm::kF32);
  set_gemm(t, Format::kQ8G32, gemm<Q8>, ActForm::kF32);
  set_gemm(t, Format::kQ6G32, gemm<Q6>, ActForm::kF32);
  register_avx512_r16(t);
}

}  // namespace hearth::kernels
