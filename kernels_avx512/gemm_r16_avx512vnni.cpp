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
// Tiles: prefill (4 or more tokens) takes two 16-row blocks x up to 5 tokens, so each broadcast
// slice of a token's activations feeds two multiplies; the tokens' sums are interleaved in
// program order (weight register j for every token, then j + 1), since instructions enter a
// scheduler of limited size in that order and one token's chain of dependent multiplies would
// fill it. Otherwise one 16-row block x up to 8 tokens; a block's weights are unpacked once per
// tile and reused by every token in it. Decode (1-2 tokens) splits each token's sum into
// independent chains so the vpdpbusd latency does not serialise the 8 multiplies.
#include <immintrin.h>

#include <cstring>
#include <type_traits>
#include <utility>

#include "kernels_avx512/x86_tiers.h"
#include "src/kernels/kernel_types.h"
#include "src/kernels/token_tiles.h"
#include "src/kernels/repack_r16.h"

namespace hearth::kernels {
namespace {

constexpr int kMaxTokens = 8;
// Tokens per tile of a block pair: 2 x 5 integer sums and 2 x 5 float accumulators, 4 weight
// registers and 2 broadcasts fill the 32 registers (4 and 6 measured slower: RESULTS.md).
constexpr int kPairTokens = 5;
// Decode reads each weight once, from DRAM: prefetch this far ahead of the group being
// multiplied: far enough to cover DRAM latency, near enough to stay in L1 (the distance
// measured best is in benchmarks/RESULTS.md).
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

// Registers c and c + 4 (0 <= c < 4) only: the low and high nibbles of chunk c.
template <int c>
inline void nibble_pair(const uint8_t* p, __m512i& lo, __m512i& hi) {
  const __m512i m = _mm512_set1_epi8(0x0f);
  const __m512i v = _mm512_loadu_si512(p + 64 * c);
  lo = _mm512_and_si512(v, m);
  hi = _mm512_and_si512(_mm512_srli_epi16(v, 4), m);
}

struct Q4 {  // u = nibble = level + 8
  static constexpr int kGroupBytes = 288;
  static constexpr int32_t kShift = 8;
  static void unpack(const uint8_t* p, __m512i w[8]) { nibbles(p, w); }
  template <int c>
  static void unpack_pair(const uint8_t* p, __m512i& lo, __m512i& hi) { nibble_pair<c>(p, lo, hi); }
};

struct Q4NL {  // u = codebook value + 128
  static constexpr int kGroupBytes = 288;
  static constexpr int32_t kShift = 128;
  static __m512i lut() {  // quant/blocks.h kCodebookQ4NL + 128
    return _mm512_broadcast_i32x4(
        _mm_setr_epi8(1, 24, 45, 63, 79, 93, 106, 118, static_cast<char>(129),
                      static_cast<char>(141), static_cast<char>(153), static_cast<char>(166),
                      static_cast<char>(181), static_cast<char>(197), static_cast<char>(217),
                      static_cast<char>(241)));
  }
  static void unpack(const uint8_t* p, __m512i w[8]) {
    nibbles(p, w);
    for (int j = 0; j < 8; ++j) w[j] = _mm512_shuffle_epi8(lut(), w[j]);
  }
  template <int c>
  static void unpack_pair(const uint8_t* p, __m512i& lo, __m512i& hi) {
    nibble_pair<c>(p, lo, hi);
    lo = _mm512_shuffle_epi8(lut(), lo);
    hi = _mm512_shuffle_epi8(lut(), hi);
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
  // Field c of high chunk h moved to bits 4..5.
  template <int c>
  static __m512i field(const uint8_t* p, int h) {
    const __m512i v = _mm512_loadu_si512(p + 256 + 64 * h);
    if constexpr (c == 0) return _mm512_slli_epi16(v, 4);
    if constexpr (c == 1) return _mm512_slli_epi16(v, 2);
    if constexpr (c == 2) return v;
    return _mm512_srli_epi16(v, 2);
  }
  template <int c>
  static void unpack_pair(const uint8_t* p, __m512i& lo, __m512i& hi) {
    const __m512i m = _mm512_set1_epi8(0x30);
    nibble_pair<c>(p, lo, hi);
    lo = _mm512_ternarylogic_epi32(lo, field<c>(p, 0), m, 0xF8);
    hi = _mm512_ternarylogic_epi32(hi, field<c>(p, 1), m, 0xF8);
  }
};

// A 4-byte load the compiler may fold into the multiply as an embedded broadcast ({1to16}).
using int32_alias = int32_t __attribute__((may_alias, aligned(1)));
inline __m512i broadcast_i32(const int8_t* p) { return _mm512_set1_epi32(*reinterpret_cast<const int32_alias*>(p)); }

// The 16 rows' float16 block scales at the start of an r16 group.
inline __m512 group_scales(const uint8_t* p) {
  return _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
}

// acc + sum x (row scales wd x the token's scale d): one block of 16 rows, one token.
inline __m512 add_scaled(__m512 acc, __m512i sum, __m512 wd, float d) {
  return _mm512_fmadd_ps(_mm512_cvtepi32_ps(sum), _mm512_mul_ps(wd, _mm512_set1_ps(d)), acc);
}

struct Q8 {  // marker: q8g32 blocks, int16 activations (block_tile_q8, pair_sums_q16)
  static constexpr int kGroupBytes = 544;
};

// Integer sums of group g of two blocks (weights at pa, pb) for tokens t0.. t0+T-1, int8
// activations: per chunk c, each token's broadcast slices feed both blocks.
template <class F, int T>
inline void pair_sums_q8(const uint8_t* pa, const uint8_t* pb, const ActView& x, int64_t t0, int64_t g,
                         __m512i sum_a[T], __m512i sum_b[T]) {
  const int8_t* q[T];
#pragma GCC unroll 8
  for (int t = 0; t < T; ++t) {
    q[t] = x.q + (t0 + t) * x.ld_q + g * 32;
    sum_a[t] = sum_b[t] = _mm512_set1_epi32(-F::kShift * x.qsum[(t0 + t) * x.ld_d + g]);
  }
  [&]<int... c>(std::integer_sequence<int, c...>) {
    ([&] {
      __m512i a_lo, a_hi, b_lo, b_hi;
      F::template unpack_pair<c>(pa, a_lo, a_hi);
      F::template unpack_pair<c>(pb, b_lo, b_hi);
#pragma GCC unroll 8
      for (int t = 0; t < T; ++t) {
        const __m512i lo = broadcast_i32(q[t] + 4 * c);
        const __m512i hi = broadcast_i32(q[t] + 16 + 4 * c);
        sum_a[t] = _mm512_dpbusd_epi32(sum_a[t], a_lo, lo);
        sum_b[t] = _mm512_dpbusd_epi32(sum_b[t], b_lo, lo);
        sum_a[t] = _mm512_dpbusd_epi32(sum_a[t], a_hi, hi);
        sum_b[t] = _mm512_dpbusd_epi32(sum_b[t], b_hi, hi);
      }
    }(), ...);
  }(std::make_integer_sequence<int, 4>{});
}

// The same for q8g32 weights and int16 activations: per column pair k, each token's broadcast
// pair feeds both blocks.
template <int T>
inline void pair_sums_q16(const uint8_t* pa, const uint8_t* pb, const ActView& x, int64_t t0, int64_t g,
                          __m512i sum_a[T], __m512i sum_b[T]) {
  for (int t = 0; t < T; ++t) sum_a[t] = sum_b[t] = _mm512_setzero_si512();
#pragma GCC unroll 16
  for (int k = 0; k < 16; ++k) {
    const __m512i wa = _mm512_cvtepi8_epi16(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(pa + 32 * k)));
    const __m512i wb = _mm512_cvtepi8_epi16(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(pb + 32 * k)));
#pragma GCC unroll 8
    for (int t = 0; t < T; ++t) {
      const __m512i pair = _mm512_set1_epi32(
          *reinterpret_cast<const int32_alias*>(x.q16 + (t0 + t) * x.ld_q + g * 32 + 2 * k));
      sum_a[t] = _mm512_dpwssd_epi32(sum_a[t], wa, pair);
      sum_b[t] = _mm512_dpwssd_epi32(sum_b[t], wb, pair);
    }
  }
}

// Two 16-row blocks (a: rows o..o+15, b: the next 16) x T tokens: each broadcast slice of a
// token's activations feeds both blocks' multiplies (with a single block, one broadcast load
// per multiply is a sizeable share of prefill's kernel time).
template <class F, int T>
void pair_tile(const uint8_t* blk_a, const uint8_t* blk_b, int64_t groups, const ActView& x, int64_t t0,
               float* y, int64_t ldy, int64_t o) {
  __m512 acc_a[T], acc_b[T];
  for (int t = 0; t < T; ++t) acc_a[t] = acc_b[t] = _mm512_setzero_ps();
  for (int64_t g = 0; g < groups; ++g) {
    const uint8_t* pa = blk_a + g * F::kGroupBytes;
    const uint8_t* pb = blk_b + g * F::kGroupBytes;
    __m512i sum_a[T], sum_b[T];
    if constexpr (std::is_same_v<F, Q8>)
      pair_sums_q16<T>(pa + 32, pb + 32, x, t0, g, sum_a, sum_b);
    else
      pair_sums_q8<F, T>(pa + 32, pb + 32, x, t0, g, sum_a, sum_b);
    const __m512 wd_a = group_scales(pa), wd_b = group_scales(pb);
#pragma GCC unroll 8
    for (int t = 0; t < T; ++t) {
      const float d = x.d[(t0 + t) * x.ld_d + g];
      acc_a[t] = add_scaled(acc_a[t], sum_a[t], wd_a, d);
      acc_b[t] = add_scaled(acc_b[t], sum_b[t], wd_b, d);
    }
  }
  for (int t = 0; t < T; ++t) {
    _mm512_storeu_ps(y + (t0 + t) * ldy + o, acc_a[t]);
    _mm512_storeu_ps(y + (t0 + t) * ldy + o + 16, acc_b[t]);
  }
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
    const __m512 wd = group_scales(p);
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
      acc[t] = add_scaled(acc[t], chain[0], wd, x.d[at]);
    }
  }
  for (int t = 0; t < T; ++t) _mm512_storeu_ps(y + (t0 + t) * ldy + o, acc[t]);
}

// q8g32 x int16: 16 registers of (row, 2 columns) int16 pairs per group.
template <int T>
void block_tile_q8(const uint8_t* blk, int64_t groups, const ActView& x, int64_t t0, float* y,
                   int64_t ldy, int64_t o) {
  constexpr int kGroupBytes = Q8::kGroupBytes;
  constexpr int kChains = T >= 4 ? 2 : 4;
  __m512 acc[T];
  for (int t = 0; t < T; ++t) acc[t] = _mm512_setzero_ps();
  for (int64_t g = 0; g < groups; ++g) {
    const uint8_t* p = blk + g * kGroupBytes;
    if constexpr (T <= 2)
      for (int l = 0; l < kGroupBytes; l += 64) _mm_prefetch(reinterpret_cast<const char*>(p + kPrefetch + l), _MM_HINT_T0);
    const __m512 wd = group_scales(p);
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
      acc[t] = add_scaled(acc[t], chain[0], wd, x.d[(t0 + t) * x.ld_d + g]);
    }
  }
  for (int t = 0; t < T; ++t) _mm512_storeu_ps(y + (t0 + t) * ldy + o, acc[t]);
}

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
  const int64_t block_bytes = groups * F::kGroupBytes;
  int64_t o = o_begin;
  if (x.n_tok >= 4)  // prefill: blocks in pairs
    for (; o + 2 * kPackRows <= o_end; o += 2 * kPackRows) {
      const uint8_t* blk = w.packed + (o / kPackRows) * block_bytes;
      for_token_tiles<kPairTokens>(x.n_tok, [&]<int T>(int64_t t) { pair_tile<F, T>(blk, blk + block_bytes, groups, x, t, y, ldy, o); });
    }
  for (; o < o_end; o += kPackRows) {
    const uint8_t* blk = w.packed + (o / kPackRows) * block_bytes;
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
