// Integer GEMM/GEMV over r16-packed weights (repack_r16.h: 16 rows interleaved per block of 32
// columns) for q4g32, q4g32nl and q6g32 against int8 activations (ActForm::kQ8G32), and for
// q8g32 against int16 activations (ActForm::kQ16G32, vpdpwssd), AVX-512 VNNI. Same contract as the canonical kernels (gemm_qxg32_q8act_avx512vnni.cpp): the exact
// integer dot of quant/codec.h dot_row_q8act per block, scaled and summed in float.
// How: lanes are rows. Per block of 32 columns, 8 registers hold the 16 rows' unsigned weights
// (u = level + shift); each is multiplied (vpdpbusd) by one broadcast 4-byte slice of a token's
// activations. The integer sum starts at -shift * sum(q) (ActView::qsum), which removes the
// shift exactly; then one convert, one multiply (row scales x the token's scale) and one FMA
// per token per block cover all 16 rows.
// q8g32 keeps the converter's float-activation quality (8-bit activations cost it its KL bar)
// with integer throughput: int16 activations per group of 32 (relative rounding 1.5e-5),
// signed x signed pairs (vpdpwssd: 32 multiply-adds per instruction, no shift to undo).
// Tiles: one 16-row block x up to 8 tokens; a block's weights are unpacked once per tile and
// reused by every token in it. Decode (1-2 tokens) splits each token's sum into independent
// chains so the vpdpbusd latency does not serialise the 8 multiplies.
#include <immintrin.h>

#include <cstring>
#include <type_traits>

#include "kernels_avx512/isa_tiers.h"
#include "kernels_avx512/kernel_types.h"
#include "kernels_avx512/token_tiles.h"
#include "kernels_avx512/repack_r16.h"

namespace hearth::kernels {
namespace {

constexpr int kMaxTokens = 8;
// Decode reads each weight once, from DRAM: prefetch this far ahead of the group being
// multiplied (4 KiB measured best on bench-qwen3-0.6b q4: +8-20% tg over the hardware
// prefetcher alone; 16 KiB was slower again).
constexpr int kPrefetch = 4096;

// Registers j (0..7) = elements 4j..4j+3 of the 16 rows, as the raw 4-bit values.
inline void nibbles(const uint8_t* p, __m512i w[8]) {
  const __m512i m = _mm512_set1_epi8(0x0f);
  for (int c = 0; c < 4; ++c) {
    const __m512i v = _mm512_loadu_si512(p + 64 * c);
    w[c] = _mm512_and_si512(v, m);
    w[c + 4] = _mm512_and_si512(_mm512_srli_epi16(v, 4), m);
  }
}

struct Q4 {  // u = nibble = level + 8
  static constexpr int kGroupBytes = 288;
  static constexpr int32_t kShift = 8;
  static void unpack(const uint8_t* p, __m512i w[8]) { nibbles(p, w); }
};

struct Q4NL {  // u = codebook value + 128
  static constexpr int kGroupBytes = 288;
  static constexpr int32_t kShift = 128;
  static void unpack(const uint8_t* p, __m512i w[8]) {
    // quant/blocks.h kCodebookQ4NL + 128.
    const __m512i lut = _mm512_broadcast_i32x4(
        _mm_setr_epi8(1, 24, 45, 63, 79, 93, 106, 118, static_cast<char>(129),
                      static_cast<char>(141), static_cast<char>(153), static_cast<char>(166),
                      static_cast<char>(181), static_cast<char>(197), static_cast<char>(217),
                      static_cast<char>(241)));
    nibbles(p, w);
    for (int j = 0; j < 8; ++j) w[j] = _mm512_shuffle_epi8(lut, w[j]);
  }
};

struct Q6 {  // u = low nibble | high 2 bits << 4 = level + 32
  static constexpr int kGroupBytes = 416;
  static constexpr int32_t kShift = 32;
  static void unpack(const uint8_t* p, __m512i w[8]) {
    nibbles(p, w);
    const __m512i m = _mm512_set1_epi8(0x30);
    for (int h = 0; h < 2; ++h) {
      const __m512i v = _mm512_loadu_si512(p + 256 + 64 * h);
      // Field f of each byte moved to bits 4..5 (16-bit shifts: the mask drops what crosses bytes).
      const __m512i f[4] = {_mm512_slli_epi16(v, 4), _mm512_slli_epi16(v, 2), v, _mm512_srli_epi16(v, 2)};
      for (int k = 0; k < 4; ++k)  // w | (f & 0x30)
        w[4 * h + k] = _mm512_ternarylogic_epi32(w[4 * h + k], f[k], m, 0xF8);
    }
  }
};

inline __m512i broadcast_i32(const int8_t* p) {
  int32_t v;
  std::memcpy(&v, p, 4);
  return _mm512_set1_epi32(v);
}

// One 16-row block (group data at blk) x T tokens from t0; y rows o..o+15.
template <class F, int T>
void block_tile(const uint8_t* blk, int64_t groups, const ActView& x, int64_t t0, float* y,
                int64_t ldy, int64_t o) {
  constexpr int kChains = T >= 4 ? 1 : (T >= 2 ? 2 : 4);
  __m512 acc[T];
  for (int t = 0; t < T; ++t) acc[t] = _mm512_setzero_ps();
  for (int64_t g = 0; g < groups; ++g) {
    const uint8_t* p = blk + g * F::kGroupBytes;
    if constexpr (T <= 2)  // decode streams from DRAM: keep kPrefetch bytes in flight ahead
      for (int l = 0; l < F::kGroupBytes; l += 64) _mm_prefetch(reinterpret_cast<const char*>(p + kPrefetch + l), _MM_HINT_T0);
    const __m512 wd = _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
    __m512i w[8];
    F::unpack(p + 32, w);
#pragma GCC unroll 8  // whole: acc[] must live in registers, not on the stack
    for (int t = 0; t < T; ++t) {
      const int64_t at = (t0 + t) * x.ld_d + g;
      const int8_t* q = x.q + (t0 + t) * x.ld_q + g * 32;
      __m512i chain[kChains];
      chain[0] = _mm512_set1_epi32(-F::kShift * x.qsum[at]);
      for (int c = 1; c < kChains; ++c) chain[c] = _mm512_setzero_si512();
      for (int j = 0; j < 8; ++j)
        chain[j % kChains] = _mm512_dpbusd_epi32(chain[j % kChains], w[j], broadcast_i32(q + 4 * j));
      for (int c = 1; c < kChains; ++c) chain[0] = _mm512_add_epi32(chain[0], chain[c]);
      const __m512 scale = _mm512_mul_ps(wd, _mm512_set1_ps(x.d[at]));
      acc[t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(chain[0]), scale, acc[t]);
    }
  }
  for (int t = 0; t < T; ++t) _mm512_storeu_ps(y + (t0 + t) * ldy + o, acc[t]);
}

// q8g32 x int16: 16 registers of (row, 2 columns) int16 pairs per group.
template <int T>
void block_tile_q8(const uint8_t* blk, int64_t groups, const ActView& x, int64_t t0, float* y,
                   int64_t ldy, int64_t o) {
  constexpr int kGroupBytes = 544;
  constexpr int kChains = T >= 4 ? 2 : 4;
  __m512 acc[T];
  for (int t = 0; t < T; ++t) acc[t] = _mm512_setzero_ps();
  for (int64_t g = 0; g < groups; ++g) {
    const uint8_t* p = blk + g * kGroupBytes;
    if constexpr (T <= 2)
      for (int l = 0; l < kGroupBytes; l += 64) _mm_prefetch(reinterpret_cast<const char*>(p + kPrefetch + l), _MM_HINT_T0);
    const __m512 wd = _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
    __m512i w[16];
    for (int k = 0; k < 16; ++k)
      w[k] = _mm512_cvtepi8_epi16(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + 32 + 32 * k)));
#pragma GCC unroll 8  // whole: acc[] must live in registers, not on the stack
    for (int t = 0; t < T; ++t) {
      const int16_t* q = x.q16 + (t0 + t) * x.ld_q + g * 32;
      __m512i chain[kChains];
      for (int c = 0; c < kChains; ++c) chain[c] = _mm512_setzero_si512();
      for (int k = 0; k < 16; ++k) {
        int32_t pair;
        std::memcpy(&pair, q + 2 * k, 4);
        chain[k % kChains] = _mm512_dpwssd_epi32(chain[k % kChains], w[k], _mm512_set1_epi32(pair));
      }
      for (int c = 1; c < kChains; ++c) chain[0] = _mm512_add_epi32(chain[0], chain[c]);
      const __m512 scale = _mm512_mul_ps(wd, _mm512_set1_ps(x.d[(t0 + t) * x.ld_d + g]));
      acc[t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(chain[0]), scale, acc[t]);
    }
  }
  for (int t = 0; t < T; ++t) _mm512_storeu_ps(y + (t0 + t) * ldy + o, acc[t]);
}

struct Q8 {  // marker: q8g32 blocks run block_tile_q8
  static constexpr int kGroupBytes = 544;
};

template <class F, int T>
void tile(const uint8_t* blk, int64_t groups, const ActView& x, int64_t t0, float* y, int64_t ldy, int64_t o) {
  if constexpr (std::is_same_v<F, Q8>)
    block_tile_q8<T>(blk, groups, x, t0, y, ldy, o);
  else
    block_tile<F, T>(blk, groups, x, t0, y, ldy, o);
}

template <class F>
void gemm_r16(const WeightRows& w, const ActView& x, float* y, int64_t ldy, int64_t o_begin,
              int64_t o_end) {
  const int64_t groups = w.n_in / 32;
  for (int64_t o = o_begin; o < o_end; o += kPackRows) {
    const uint8_t* blk = w.packed + (o / kPackRows) * groups * F::kGroupBytes;
    for_token_tiles<kMaxTokens>(x.n_tok, [&]<int T>(int64_t t) { tile<F, T>(blk, groups, x, t, y, ldy, o); });
  }
}

}  // namespace

void register_avx512vnni_r16(KernelTable& t) {
  set_gemm_r16(t, Format::kQ4G32, gemm_r16<Q4>, ActForm::kQ8G32);
  set_gemm_r16(t, Format::kQ4G32NL, gemm_r16<Q4NL>, ActForm::kQ8G32);
  set_gemm_r16(t, Format::kQ6G32, gemm_r16<Q6>, ActForm::kQ8G32);
  set_gemm_r16(t, Format::kQ8G32, gemm_r16<Q8>, ActForm::kQ16G32);
}

}  // namespace hearth::kernels
