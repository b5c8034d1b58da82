// AArch64 NEON integer kernels: the 4- and 6-bit g32 formats against int8 activations, and the
// q8 activation preparation they read (the reference arithmetic exactly: vcvtaq rounds half
// away from zero, as std::round). Integer dot of a block, exactly (quant/codec.h
// dot_row_q8act): the 32 weights are decoded to signed bytes (level values), multiplied with
// the activations into int16 pairs (|w|, |x| <= 127: a pair's sum fits) and accumulated into
// int32 lanes; one convert and one FMA per block apply the two scales. Baseline ARMv8-A (no
// dot-product extension needed). Tiles: 2 rows x up to 4 tokens.
// Not here: float-format kernels (the portable xsimd ones), packed layouts (AVX-512 only).
#include <arm_neon.h>

#include <algorithm>

#include "kernels_avx512/isa_tiers.h"
#include "kernels_avx512/kernel_types.h"
#include "kernels_avx512/token_tiles.h"
#include "src/base/half.h"

namespace hearth::kernels {
namespace {

constexpr int kTok = 4;

struct Levels {
  int8x16_t lo, hi;  // elements 0..15, 16..31
};

// Split-half nibbles of a block's 16 bytes: byte i holds element i (low) and i + 16 (high).
inline Levels nibbles(const uint8_t* q) {
  const uint8x16_t v = vld1q_u8(q);
  return {vreinterpretq_s8_u8(vandq_u8(v, vdupq_n_u8(0x0f))), vreinterpretq_s8_u8(vshrq_n_u8(v, 4))};
}

struct Q4 {  // level = nibble - 8
  static constexpr int kBytes = 18;
  static Levels levels(const uint8_t* b) {
    const Levels n = nibbles(b + 2);
    return {vsubq_s8(n.lo, vdupq_n_s8(8)), vsubq_s8(n.hi, vdupq_n_s8(8))};
  }
};

struct Q4NL {  // level = kCodebookQ4NL[nibble] (quant/blocks.h)
  static constexpr int kBytes = 18;
  static Levels levels(const uint8_t* b) {
    static constexpr int8_t kLut[16] = {-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113};
    const int8x16_t lut = vld1q_s8(kLut);
    const Levels n = nibbles(b + 2);
    return {vqtbl1q_s8(lut, vreinterpretq_u8_s8(n.lo)), vqtbl1q_s8(lut, vreinterpretq_u8_s8(n.hi))};
  }
};

struct Q6 {  // level = (low nibble | high 2 bits << 4) - 32; high bits of element 8k + j in byte j, bits 2k..2k+1
  static constexpr int kBytes = 26;
  static Levels levels(const uint8_t* b) {
    const uint8x8_t q = vld1_u8(b + 18), m3 = vdup_n_u8(3);
    const uint8x8_t h0 = vand_u8(q, m3), h1 = vand_u8(vshr_n_u8(q, 2), m3);
    const uint8x8_t h2 = vand_u8(vshr_n_u8(q, 4), m3), h3 = vshr_n_u8(q, 6);
    const Levels n = nibbles(b + 2);
    const int8x16_t lo = vreinterpretq_s8_u8(vshlq_n_u8(vcombine_u8(h0, h1), 4));
    const int8x16_t hi = vreinterpretq_s8_u8(vshlq_n_u8(vcombine_u8(h2, h3), 4));
    return {vsubq_s8(vorrq_s8(n.lo, lo), vdupq_n_s8(32)), vsubq_s8(vorrq_s8(n.hi, hi), vdupq_n_s8(32))};
  }
};

// Sum of w[i] * x[i] over a block's 32 signed bytes, as 4 int32 lanes.
inline int32x4_t dot32(const Levels& w, const int8_t* x) {
  const int8x16_t x0 = vld1q_s8(x), x1 = vld1q_s8(x + 16);
  int16x8_t p = vmull_s8(vget_low_s8(w.lo), vget_low_s8(x0));
  p = vmlal_s8(p, vget_high_s8(w.lo), vget_high_s8(x0));
  int32x4_t acc = vpaddlq_s16(p);
  p = vmull_s8(vget_low_s8(w.hi), vget_low_s8(x1));
  p = vmlal_s8(p, vget_high_s8(w.hi), vget_high_s8(x1));
  return vpadalq_s16(acc, p);
}

inline float f16_at(const uint8_t* p) { return f16_to_f32(static_cast<uint16_t>(p[0] | p[1] << 8)); }

template <class F, int R, int T>
void int_tile(const WeightRows& w, const ActView& x, int64_t o, int64_t t0, float* y, int64_t ldy) {
  float32x4_t acc[R][T];
  for (int r = 0; r < R; ++r)
    for (int t = 0; t < T; ++t) acc[r][t] = vdupq_n_f32(0.0f);
  for (int64_t g = 0; g < w.n_in / 32; ++g) {
    Levels wl[R];
    float wd[R];
    for (int r = 0; r < R; ++r) {
      const uint8_t* b = w.data + (o + r) * w.row_bytes + g * F::kBytes;
      wl[r] = F::levels(b);
      wd[r] = f16_at(b);
    }
    for (int t = 0; t < T; ++t) {
      const int8_t* xq = x.q + (t0 + t) * x.ld_q + g * 32;
      const float xd = x.d[(t0 + t) * x.ld_d + g];
      for (int r = 0; r < R; ++r) acc[r][t] = vfmaq_n_f32(acc[r][t], vcvtq_f32_s32(dot32(wl[r], xq)), wd[r] * xd);
    }
  }
  for (int t = 0; t < T; ++t)
    for (int r = 0; r < R; ++r) y[(t0 + t) * ldy + o + r] = vaddvq_f32(acc[r][t]);
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

// kernel_types.h PrepareQ8Fn: scale = max|x| / 127, q = x / scale rounded half away from zero
// (vcvtaq), clamped to +-127.
void prepare_q8(const float* x, int64_t n, int8_t* q, float* d, float* ds, int32_t* qsum) {
  for (int64_t g = 0; g < n / 32; ++g) {
    const float* xg = x + g * 32;
    float32x4_t v[8];
    float32x4_t mx = vdupq_n_f32(0.0f);
    for (int k = 0; k < 8; ++k) {
      v[k] = vld1q_f32(xg + 4 * k);
      mx = vmaxq_f32(mx, vabsq_f32(v[k]));
    }
    const float scale = vmaxvq_f32(mx) / 127.0f;
    const float inv = scale != 0.0f ? 1.0f / scale : 0.0f;
    int16x8_t h[4];
    int32x4_t sum = vdupq_n_s32(0);
    for (int k = 0; k < 4; ++k) {
      int32x4_t a = vcvtaq_s32_f32(vmulq_n_f32(v[2 * k], inv)), b = vcvtaq_s32_f32(vmulq_n_f32(v[2 * k + 1], inv));
      a = vmaxq_s32(vminq_s32(a, vdupq_n_s32(127)), vdupq_n_s32(-127));
      b = vmaxq_s32(vminq_s32(b, vdupq_n_s32(127)), vdupq_n_s32(-127));
      sum = vaddq_s32(sum, vaddq_s32(a, b));
      h[k] = vcombine_s16(vmovn_s32(a), vmovn_s32(b));
    }
    vst1q_s8(q + g * 32, vcombine_s8(vmovn_s16(h[0]), vmovn_s16(h[1])));
    vst1q_s8(q + g * 32 + 16, vcombine_s8(vmovn_s16(h[2]), vmovn_s16(h[3])));
    const int32_t total = vaddvq_s32(sum);
    d[g] = scale;
    ds[g] = scale * static_cast<float>(total);
    qsum[g] = total;
  }
}

}  // namespace

void register_neon_quant(KernelTable& t) {
  set_prepare_q8(t, prepare_q8);
  set_gemm(t, Format::kQ4G32, gemm_int<Q4>, ActForm::kQ8G32);
  set_gemm(t, Format::kQ4G32NL, gemm_int<Q4NL>, ActForm::kQ8G32);
  set_gemm(t, Format::kQ6G32, gemm_int<Q6>, ActForm::kQ8G32);
}

}  // namespace hearth::kernels
