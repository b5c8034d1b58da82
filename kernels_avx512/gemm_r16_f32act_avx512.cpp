// GEMM/GEMV over r16-packed float weights (f32, f16, bf16; repack_r16.h: column k of 16 rows
// is one register) against float32 activations, AVX-512F (+F16C). Per column: the 16 rows'
// values are widened once and multiplied (FMA) by each token's broadcast activation, so a tile
// of 8 tokens spends 8 FMAs per load-and-widen; no horizontal sums (lanes are rows). The result
// equals the canonical float kernels up to summation order (no rounding of activations).
// Decode (1-2 tokens) splits the columns over 4 accumulators per token (FMA latency).
#include <immintrin.h>

#include "kernels_avx512/x86_tiers.h"
#include "src/kernels/kernel_types.h"
#include "src/kernels/token_tiles.h"
#include "src/kernels/repack_r16.h"

namespace hearth::kernels {
namespace {

constexpr int kMaxTokens = 8;
constexpr int kPrefetch = 4096;  // as the integer packed kernels: decode reads from DRAM

struct F32 {
  static constexpr int kBytes = 4;
  static __m512 column(const uint8_t* p) { return _mm512_loadu_ps(p); }
};
struct F16 {
  static constexpr int kBytes = 2;
  static __m512 column(const uint8_t* p) { return _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p))); }
};
struct BF16 {
  static constexpr int kBytes = 2;
  static __m512 column(const uint8_t* p) {
    const __m256i h = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
    return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
  }
};

template <class F, int T>
void block_tile(const uint8_t* blk, int64_t n_in, const ActView& x, int64_t t0, float* y, int64_t ldy, int64_t o) {
  constexpr int kChains = T >= 4 ? 1 : (T >= 2 ? 2 : 4);
  constexpr int kColumn = 16 * F::kBytes;
  __m512 acc[T][kChains];
  for (int t = 0; t < T; ++t)
    for (int c = 0; c < kChains; ++c) acc[t][c] = _mm512_setzero_ps();
  const float* xt[T];
  for (int t = 0; t < T; ++t) xt[t] = x.f32 + (t0 + t) * x.ld_f32;
  int64_t k = 0;
  for (; k + kChains <= n_in; k += kChains) {
#pragma GCC unroll 4
    for (int c = 0; c < kChains; ++c) {
      if constexpr (T <= 2) _mm_prefetch(reinterpret_cast<const char*>(blk + (k + c) * kColumn + kPrefetch), _MM_HINT_T0);
      const __m512 w = F::column(blk + (k + c) * kColumn);
#pragma GCC unroll 8
      for (int t = 0; t < T; ++t) acc[t][c] = _mm512_fmadd_ps(w, _mm512_set1_ps(xt[t][k + c]), acc[t][c]);
    }
  }
  for (; k < n_in; ++k) {
    const __m512 w = F::column(blk + k * kColumn);
    for (int t = 0; t < T; ++t) acc[t][0] = _mm512_fmadd_ps(w, _mm512_set1_ps(xt[t][k]), acc[t][0]);
  }
  for (int t = 0; t < T; ++t) {
    for (int c = 1; c < kChains; ++c) acc[t][0] = _mm512_add_ps(acc[t][0], acc[t][c]);
    _mm512_storeu_ps(y + (t0 + t) * ldy + o, acc[t][0]);
  }
}

template <class F>
void gemm_r16(const WeightRows& w, const ActView& x, float* y, int64_t ldy, int64_t o_begin, int64_t o_end) {
  for (int64_t o = o_begin; o < o_end; o += kPackRows) {
    const uint8_t* blk = w.packed + o * w.n_in * F::kBytes;
    for_token_tiles<kMaxTokens>(x.n_tok, [&]<int T>(int64_t t) { block_tile<F, T>(blk, w.n_in, x, t, y, ldy, o); });
  }
}

}  // namespace

void register_avx512_r16(KernelTable& t) {
  set_gemm_r16(t, Format::kF32, gemm_r16<F32>, ActForm::kF32);
  set_gemm_r16(t, Format::kF16, gemm_r16<F16>, ActForm::kF32);
  set_gemm_r16(t, Format::kBF16, gemm_r16<BF16>, ActForm::kF32);
}

}  // namespace hearth::kernels
