// AArch64 NEON matrix kernels of the neon tier (baseline ARMv8-A): the 4- and 6-bit g32 formats
// against int8 activations (neon_int_tiles.h, with byte products widened into int16 pairs),
// and the q8 activation preparation they read (the reference arithmetic exactly: vcvtaq rounds
// half away from zero, as std::round); q8g32, bf16 and f16 against float32 activations.
// Integer dot of a block, exactly (quant/codec.h dot_row_q8act).
// Float activations (q8g32, as on every tier, for its KL bar; bf16/f16): weights widened to
// float in registers, FMA; 1 row x up to 4 tokens. f32 weights: the portable xsimd kernel.
// Not here: packed layouts (AVX-512 only); the dot-product extension (gemm_qxg32_neondot.cpp).
#include <arm_neon.h>

#include <algorithm>

#include "kernels_arm/arm_tiers.h"
#include "kernels_arm/neon_int_tiles.h"

namespace hearth::kernels {
namespace {

using namespace neon;

// Baseline ARMv8-A: byte products widened into int16 pairs (|w|, |x| <= 127: a pair's sum
// fits), then pairwise into int32 lanes.
struct Smull {
  static int32x4_t dot32(const Levels& w, const int8_t* x) {
    const int8x16_t x0 = vld1q_s8(x), x1 = vld1q_s8(x + 16);
    int16x8_t p = vmull_s8(vget_low_s8(w.lo), vget_low_s8(x0));
    p = vmlal_s8(p, vget_high_s8(w.lo), vget_high_s8(x0));
    int32x4_t acc = vpaddlq_s16(p);
    p = vmull_s8(vget_low_s8(w.hi), vget_low_s8(x1));
    p = vmlal_s8(p, vget_high_s8(w.hi), vget_high_s8(x1));
    return vpadalq_s16(acc, p);
  }
};

// Float weights for the float-activation kernels: 4 at a time.
struct Q8F {  // q8g32: fp16 scale + 32 int8 per block; the scale applied per block
  static constexpr bool kBlocks = true;
  static constexpr int kBytes = 34;
  static void load32(const uint8_t* row, int64_t g, float32x4_t out[8]) {
    const int8_t* q = reinterpret_cast<const int8_t*>(row + g * kBytes + 2);
    for (int h = 0; h < 2; ++h) {
      const int8x16_t v = vld1q_s8(q + 16 * h);
      const int16x8_t lo = vmovl_s8(vget_low_s8(v)), hi = vmovl_s8(vget_high_s8(v));
      out[4 * h + 0] = vcvtq_f32_s32(vmovl_s16(vget_low_s16(lo)));
      out[4 * h + 1] = vcvtq_f32_s32(vmovl_s16(vget_high_s16(lo)));
      out[4 * h + 2] = vcvtq_f32_s32(vmovl_s16(vget_low_s16(hi)));
      out[4 * h + 3] = vcvtq_f32_s32(vmovl_s16(vget_high_s16(hi)));
    }
  }
  static float scale(const uint8_t* row, int64_t g) { return f16_at(row + g * kBytes); }
};

struct BF16F {  // bf16: the upper half of a float32
  static constexpr bool kBlocks = false;
  static float32x4_t load4(const uint8_t* row, int64_t i) {
    return vreinterpretq_f32_u32(vshll_n_u16(vld1_u16(reinterpret_cast<const uint16_t*>(row + 2 * i)), 16));
  }
  static float at(const uint8_t* row, int64_t i) { return bf16_to_f32(static_cast<uint16_t>(row[2 * i] | row[2 * i + 1] << 8)); }
};

struct F16F {
  static constexpr bool kBlocks = false;
  static float32x4_t load4(const uint8_t* row, int64_t i) {
    return vcvt_f32_f16(vreinterpret_f16_u16(vld1_u16(reinterpret_cast<const uint16_t*>(row + 2 * i))));
  }
  static float at(const uint8_t* row, int64_t i) { return f16_at(row + 2 * i); }
};

template <class F, int T>
void float_tile(const WeightRows& w, const ActView& x, int64_t o, int64_t t0, float* y, int64_t ldy) {
  const uint8_t* row = w.data + o * w.row_bytes;
  float32x4_t acc[T];
  for (int t = 0; t < T; ++t) acc[t] = vdupq_n_f32(0.0f);
  if constexpr (F::kBlocks) {
    for (int64_t g = 0; g < w.n_in / 32; ++g) {
      float32x4_t wv[8];
      F::load32(row, g, wv);
      const float d = F::scale(row, g);
      for (int t = 0; t < T; ++t) {
        const float* xt = x.f32 + (t0 + t) * x.ld_f32 + g * 32;
        float32x4_t s = vmulq_f32(wv[0], vld1q_f32(xt));
        for (int k = 1; k < 8; ++k) s = vfmaq_f32(s, wv[k], vld1q_f32(xt + 4 * k));
        acc[t] = vfmaq_n_f32(acc[t], s, d);
      }
    }
    for (int t = 0; t < T; ++t) y[(t0 + t) * ldy + o] = vaddvq_f32(acc[t]);
    return;
  } else {
    int64_t i = 0;
    for (; i + 4 <= w.n_in; i += 4) {
      const float32x4_t wv = F::load4(row, i);
      for (int t = 0; t < T; ++t) acc[t] = vfmaq_f32(acc[t], wv, vld1q_f32(x.f32 + (t0 + t) * x.ld_f32 + i));
    }
    for (int t = 0; t < T; ++t) {
      float s = vaddvq_f32(acc[t]);
      for (int64_t j = i; j < w.n_in; ++j) s += F::at(row, j) * x.f32[(t0 + t) * x.ld_f32 + j];
      y[(t0 + t) * ldy + o] = s;
    }
  }
}

template <class F>
void gemm_float(const WeightRows& w, const ActView& x, float* y, int64_t ldy, int64_t o_begin, int64_t o_end) {
  for (int64_t o = o_begin; o < o_end; ++o)
    for_token_tiles<kTok>(x.n_tok, [&]<int T>(int64_t t) { float_tile<F, T>(w, x, o, t, y, ldy); });
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
  set_gemm(t, Format::kQ4G32, gemm_int<Q4, Smull>, ActForm::kQ8G32);
  set_gemm(t, Format::kQ4G32NL, gemm_int<Q4NL, Smull>, ActForm::kQ8G32);
  set_gemm(t, Format::kQ6G32, gemm_int<Q6, Smull>, ActForm::kQ8G32);
  set_gemm(t, Format::kQ4G32Z, gemm_int<Q4Z, Smull>, ActForm::kQ8G32);
  set_gemm(t, Format::kQ8G32, gemm_float<Q8F>, ActForm::kF32);
  set_gemm(t, Format::kBF16, gemm_float<BF16F>, ActForm::kF32);
  set_gemm(t, Format::kF16, gemm_float<F16F>, ActForm::kF32);
}

}  // namespace hearth::kernels
