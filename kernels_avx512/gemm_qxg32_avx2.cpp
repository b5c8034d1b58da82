// AVX2 (+FMA, F16C) matrix kernels for CPUs without AVX-512 (most laptops): the 4- and 6-bit g32
// formats against int8 activations, q8g32 and bf16/f16 against float32 activations.
// Integer dot of a block, exactly (quant/codec.h dot_row_q8act): the 32 weights are decoded to
// signed bytes (level values), then maddubs(|w|, x * sign(w)) multiplies byte pairs into int16
// without overflow (|w| <= 127, |x| <= 127) and madd(., 1) sums them into 8 int32 lanes; one
// convert and one FMA per block apply the two scales (q4g32z: its raw nibbles as levels, plus
// its minimum times the activations' block sum, ds).
// Float activations (q8g32, as on every tier, for its KL bar; bf16/f16): weights widened to float
// in registers, FMA.
// Activations: prepare_q8 (int8 groups for the integer kernels).
// Tiles: 2 rows x up to 4 tokens for the integer kernels, 1 row x up to 4 tokens for the float
// ones (16 ymm registers); each row is read once per token tile.
// Not here: packed layouts (AVX-512 only).
#include <immintrin.h>

#include <cstring>

#include "kernels_avx512/x86_tiers.h"
#include "src/kernels/kernel_types.h"
#include "src/kernels/token_tiles.h"

namespace hearth::kernels {
namespace {

constexpr int kTok = 4;

inline float f16_at(const uint8_t* p) {
  uint16_t h;
  std::memcpy(&h, p, 2);
  return _cvtsh_ss(h);
}

inline float hsum8(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

// Split-half nibbles of a block's 16 bytes -> [elements 0..15 | 16..31] as bytes 0..15.
inline __m256i nibbles(const uint8_t* q) {
  const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(q));
  const __m128i m = _mm_set1_epi8(0x0f);
  return _mm256_set_m128i(_mm_and_si128(_mm_srli_epi16(v, 4), m), _mm_and_si128(v, m));
}

struct Q4 {  // level = nibble - 8
  static constexpr int kBytes = 18;
  static constexpr bool kMin = false;
  static __m256i levels(const uint8_t* b) { return _mm256_sub_epi8(nibbles(b + 2), _mm256_set1_epi8(8)); }
};

struct Q4NL {  // level = kCodebookQ4NL[nibble] (quant/blocks.h)
  static constexpr int kBytes = 18;
  static constexpr bool kMin = false;
  static __m256i levels(const uint8_t* b) {
    const __m256i lut = _mm256_broadcastsi128_si256(
        _mm_setr_epi8(-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113));
    return _mm256_shuffle_epi8(lut, nibbles(b + 2));
  }
};

struct Q6 {  // level = (low nibble | high 2 bits << 4) - 32
  static constexpr int kBytes = 26;
  static constexpr bool kMin = false;
  static __m256i levels(const uint8_t* b) {
    const __m128i q = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(b + 18));
    const __m128i m3 = _mm_set1_epi8(3);
    const __m128i h0 = _mm_and_si128(q, m3), h1 = _mm_and_si128(_mm_srli_epi16(q, 2), m3);
    const __m128i h2 = _mm_and_si128(_mm_srli_epi16(q, 4), m3), h3 = _mm_and_si128(_mm_srli_epi16(q, 6), m3);
    const __m256i high = _mm256_slli_epi16(_mm256_set_m128i(_mm_unpacklo_epi64(h2, h3), _mm_unpacklo_epi64(h0, h1)), 4);
    return _mm256_sub_epi8(_mm256_or_si256(nibbles(b + 2), high), _mm256_set1_epi8(32));
  }
};

struct Q4Z {  // value = scale * nibble + min: the nibbles as levels, the minimum added per block
  static constexpr int kBytes = 20;
  static constexpr bool kMin = true;
  static __m256i levels(const uint8_t* b) { return nibbles(b + 4); }
  static float min(const uint8_t* b) { return f16_at(b + 2); }
};

// Sum of w[i] * x[i] over 32 signed bytes, as 8 int32 lanes.
inline __m256i dot32(__m256i w, __m256i x) {
  const __m256i p = _mm256_maddubs_epi16(_mm256_sign_epi8(w, w), _mm256_sign_epi8(x, w));
  return _mm256_madd_epi16(p, _mm256_set1_epi16(1));
}

template <class F, int R, int T>
void int_tile(const WeightRows& w, const ActView& x, int64_t o, int64_t t0, float* y, int64_t ldy) {
  __m256 acc[R][T];
  float by_min[R][T] = {};  // q4g32z: sum of min * ds over the blocks
  for (int r = 0; r < R; ++r)
    for (int t = 0; t < T; ++t) acc[r][t] = _mm256_setzero_ps();
  for (int64_t g = 0; g < w.n_in / 32; ++g) {
    __m256i wl[R];
    float wd[R], wm[R];
    for (int r = 0; r < R; ++r) {
      const uint8_t* b = w.data + (o + r) * w.row_bytes + g * F::kBytes;
      wl[r] = F::levels(b);
      wd[r] = f16_at(b);
      if constexpr (F::kMin) wm[r] = F::min(b);
    }
    for (int t = 0; t < T; ++t) {
      const __m256i xq = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x.q + (t0 + t) * x.ld_q + g * 32));
      const float xd = x.d[(t0 + t) * x.ld_d + g];
      for (int r = 0; r < R; ++r) {
        acc[r][t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(dot32(wl[r], xq)), _mm256_set1_ps(wd[r] * xd), acc[r][t]);
        if constexpr (F::kMin) by_min[r][t] += wm[r] * x.ds[(t0 + t) * x.ld_d + g];
      }
    }
  }
  for (int t = 0; t < T; ++t)
    for (int r = 0; r < R; ++r) y[(t0 + t) * ldy + o + r] = hsum8(acc[r][t]) + by_min[r][t];
}

// Float weights, 8 at a time: q8g32 blocks (scaled per 32) and plain bf16 / f16 rows.
struct Q8F {
  static constexpr bool kBlocks = true;
  static __m256 load8(const uint8_t* row, int64_t i) {  // i a multiple of 8 inside one block
    const uint8_t* b = row + (i / 32) * 34 + 2 + i % 32;
    return _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(b))));
  }
  static float scale(const uint8_t* row, int64_t g) { return f16_at(row + g * 34); }
  static float at(const uint8_t*, int64_t) { return 0; }  // no tails: n_in is a multiple of 32
};

struct BF16F {
  static constexpr bool kBlocks = false;
  static __m256 load8(const uint8_t* row, int64_t i) {
    const __m128i h = _mm_loadu_si128(reinterpret_cast<const __m128i*>(row + 2 * i));
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16));
  }
  static float at(const uint8_t* row, int64_t i) {
    uint16_t h;
    std::memcpy(&h, row + 2 * i, 2);
    const uint32_t u = static_cast<uint32_t>(h) << 16;
    float f;
    std::memcpy(&f, &u, 4);
    return f;
  }
};

struct F16F {
  static constexpr bool kBlocks = false;
  static __m256 load8(const uint8_t* row, int64_t i) {
    return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(row + 2 * i)));
  }
  static float at(const uint8_t* row, int64_t i) { return f16_at(row + 2 * i); }
};

template <class F, int T>
void float_tile(const WeightRows& w, const ActView& x, int64_t o, int64_t t0, float* y, int64_t ldy) {
  const uint8_t* row = w.data + o * w.row_bytes;
  __m256 acc[T];
  for (int t = 0; t < T; ++t) acc[t] = _mm256_setzero_ps();
  if constexpr (F::kBlocks) {
    for (int64_t g = 0; g < w.n_in / 32; ++g) {
      __m256 wv[4];
      for (int k = 0; k < 4; ++k) wv[k] = F::load8(row, g * 32 + 8 * k);
      const __m256 d = _mm256_set1_ps(F::scale(row, g));
      for (int t = 0; t < T; ++t) {
        const float* xt = x.f32 + (t0 + t) * x.ld_f32 + g * 32;
        __m256 s = _mm256_mul_ps(wv[0], _mm256_loadu_ps(xt));
        for (int k = 1; k < 4; ++k) s = _mm256_fmadd_ps(wv[k], _mm256_loadu_ps(xt + 8 * k), s);
        acc[t] = _mm256_fmadd_ps(s, d, acc[t]);
      }
    }
    for (int t = 0; t < T; ++t) y[(t0 + t) * ldy + o] = hsum8(acc[t]);
    return;
  }
  int64_t i = 0;
  for (; i + 8 <= w.n_in; i += 8) {
    const __m256 wv = F::load8(row, i);
    for (int t = 0; t < T; ++t)
      acc[t] = _mm256_fmadd_ps(wv, _mm256_loadu_ps(x.f32 + (t0 + t) * x.ld_f32 + i), acc[t]);
  }
  for (int t = 0; t < T; ++t) {
    float s = hsum8(acc[t]);
    for (int64_t j = i; j < w.n_in; ++j) s += F::at(row, j) * x.f32[(t0 + t) * x.ld_f32 + j];
    y[(t0 + t) * ldy + o] = s;
  }
}

template <class F, int R>
void int_rows(const WeightRows& w, const ActView& x, int64_t o, float* y, int64_t ldy) {
  for_token_tiles<kTok>(x.n_tok, [&]<int T>(int64_t t) { int_tile<F, R, T>(w, x, o, t, y, ldy); });
}

template <class F>
void gemm_int(const WeightRows& w, const ActView& x, float* y, int64_t ldy, int64_t o_begin, int64_t o_end) {
  int64_t o = o_begin;
  for (; o + 2 <= o_end; o += 2) int_rows<F, 2>(w, x, o, y, ldy);
  if (o < o_end) int_rows<F, 1>(w, x, o, y, ldy);
}

template <class F>
void gemm_float(const WeightRows& w, const ActView& x, float* y, int64_t ldy, int64_t o_begin, int64_t o_end) {
  for (int64_t o = o_begin; o < o_end; ++o)
    for_token_tiles<kTok>(x.n_tok, [&]<int T>(int64_t t) { float_tile<F, T>(w, x, o, t, y, ldy); });
}

// Activations for the integer kernels (kernel_types.h PrepareQ8Fn), the arithmetic of the
// reference exactly: scale = max|x| / 127, q = x / scale rounded half away from zero (add the
// float just below 1/2 with x's sign, then truncate), clamped to +-127.
void prepare_q8(const float* x, int64_t n, int8_t* q, float* d, float* ds, int32_t* qsum) {
  const __m256 sign_bit = _mm256_set1_ps(-0.0f), below_half = _mm256_set1_ps(0.49999997f);
  const __m256 lim = _mm256_set1_ps(127.0f), nlim = _mm256_set1_ps(-127.0f);
  for (int64_t g = 0; g < n / 32; ++g) {
    const float* xg = x + g * 32;
    __m256 v[4];
    __m256 mx = _mm256_setzero_ps();
    for (int k = 0; k < 4; ++k) {
      v[k] = _mm256_loadu_ps(xg + 8 * k);
      mx = _mm256_max_ps(mx, _mm256_andnot_ps(sign_bit, v[k]));
    }
    __m128 m4 = _mm_max_ps(_mm256_castps256_ps128(mx), _mm256_extractf128_ps(mx, 1));
    m4 = _mm_max_ps(m4, _mm_movehl_ps(m4, m4));
    m4 = _mm_max_ss(m4, _mm_movehdup_ps(m4));
    const float scale = _mm_cvtss_f32(m4) / 127.0f;
    const __m256 inv = _mm256_set1_ps(scale != 0.0f ? 1.0f / scale : 0.0f);
    __m256i qi[4];
    __m256i sum = _mm256_setzero_si256();
    for (int k = 0; k < 4; ++k) {
      const __m256 y = _mm256_mul_ps(v[k], inv);
      const __m256 r = _mm256_round_ps(_mm256_add_ps(y, _mm256_or_ps(below_half, _mm256_and_ps(sign_bit, y))),
                                       _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
      qi[k] = _mm256_cvtps_epi32(_mm256_max_ps(nlim, _mm256_min_ps(lim, r)));
      sum = _mm256_add_epi32(sum, qi[k]);
    }
    // packs interleave 128-bit lanes: the bytes come out as dwords 0, 2, 4, 6, 1, 3, 5, 7.
    const __m256i bytes = _mm256_packs_epi16(_mm256_packs_epi32(qi[0], qi[1]), _mm256_packs_epi32(qi[2], qi[3]));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(q + g * 32),
                        _mm256_permutevar8x32_epi32(bytes, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7)));
    __m128i s4 = _mm_add_epi32(_mm256_castsi256_si128(sum), _mm256_extracti128_si256(sum, 1));
    s4 = _mm_add_epi32(s4, _mm_shuffle_epi32(s4, _MM_SHUFFLE(1, 0, 3, 2)));
    s4 = _mm_add_epi32(s4, _mm_shuffle_epi32(s4, _MM_SHUFFLE(2, 3, 0, 1)));
    const int32_t total = _mm_cvtsi128_si32(s4);
    d[g] = scale;
    ds[g] = scale * static_cast<float>(total);
    qsum[g] = total;
  }
}

}  // namespace

void register_avx2_quant(KernelTable& t) {
  set_prepare_q8(t, prepare_q8);
  set_gemm(t, Format::kQ4G32, gemm_int<Q4>, ActForm::kQ8G32);
  set_gemm(t, Format::kQ4G32NL, gemm_int<Q4NL>, ActForm::kQ8G32);
  set_gemm(t, Format::kQ6G32, gemm_int<Q6>, ActForm::kQ8G32);
  set_gemm(t, Format::kQ4G32Z, gemm_int<Q4Z>, ActForm::kQ8G32);
  set_gemm(t, Format::kQ8G32, gemm_float<Q8F>, ActForm::kF32);
  set_gemm(t, Format::kBF16, gemm_float<BF16F>, ActForm::kF32);
  set_gemm(t, Format::kF16, gemm_float<F16F>, ActForm::kF32);
}

}  // namespace hearth::kernels
