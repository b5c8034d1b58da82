// The AArch64 NEON integer kernels' shared parts, for the neon tier (gemm_qxg32_neon.cpp: the
// baseline ARMv8-A products) and the neondot tier (gemm_qxg32_neondot.cpp: the dot-product
// extension): the formats' levels as signed bytes and the row x token tiles, over a `Dot`
// policy with `static int32x4_t dot32(const Levels& w, const int8_t* x)`, the sum of a block's
// 32 products as 4 int32 lanes. Included only by those two files (AArch64 builds).
// Tiles: 2 rows x up to 4 tokens; one convert and one FMA per block apply the two scales
// (q4g32z adds its minimum times the activations' block sum, ds).
// Everything here has internal linkage: the two files are compiled for different ISAs, and one
// shared definition picked by the linker could carry the other's instructions.
#pragma once

#include <arm_neon.h>

#include <cstdint>

#include "src/kernels/kernel_types.h"
#include "src/kernels/token_tiles.h"
#include "src/base/half.h"

namespace hearth::kernels::neon {
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
  static constexpr bool kMin = false;
  static Levels levels(const uint8_t* b) {
    const Levels n = nibbles(b + 2);
    return {vsubq_s8(n.lo, vdupq_n_s8(8)), vsubq_s8(n.hi, vdupq_n_s8(8))};
  }
};

struct Q4NL {  // level = kCodebookQ4NL[nibble] (quant/blocks.h)
  static constexpr int kBytes = 18;
  static constexpr bool kMin = false;
  static Levels levels(const uint8_t* b) {
    static constexpr int8_t kLut[16] = {-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113};
    const int8x16_t lut = vld1q_s8(kLut);
    const Levels n = nibbles(b + 2);
    return {vqtbl1q_s8(lut, vreinterpretq_u8_s8(n.lo)), vqtbl1q_s8(lut, vreinterpretq_u8_s8(n.hi))};
  }
};

struct Q6 {  // level = (low nibble | high 2 bits << 4) - 32; high bits of element 8k + j in byte j, bits 2k..2k+1
  static constexpr int kBytes = 26;
  static constexpr bool kMin = false;
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

inline float f16_at(const uint8_t* p) { return f16_to_f32(static_cast<uint16_t>(p[0] | p[1] << 8)); }

struct Q4Z {  // value = scale * nibble + min: the nibbles as levels, the minimum added per block
  static constexpr int kBytes = 20;
  static constexpr bool kMin = true;
  static Levels levels(const uint8_t* b) { return nibbles(b + 4); }
  static float min(const uint8_t* b) { return f16_at(b + 2); }
};

template <class F, class Dot, int R, int T>
void int_tile(const WeightRows& w, const ActView& x, int64_t o, int64_t t0, float* y, int64_t ldy) {
  float32x4_t acc[R][T];
  float by_min[R][T] = {};  // q4g32z: sum of min * ds over the blocks
  for (int r = 0; r < R; ++r)
    for (int t = 0; t < T; ++t) acc[r][t] = vdupq_n_f32(0.0f);
  for (int64_t g = 0; g < w.n_in / 32; ++g) {
    Levels wl[R];
    float wd[R], wm[R];
    for (int r = 0; r < R; ++r) {
      const uint8_t* b = w.data + (o + r) * w.row_bytes + g * F::kBytes;
      wl[r] = F::levels(b);
      wd[r] = f16_at(b);
      if constexpr (F::kMin) wm[r] = F::min(b);
    }
    for (int t = 0; t < T; ++t) {
      const int8_t* xq = x.q + (t0 + t) * x.ld_q + g * 32;
      const float xd = x.d[(t0 + t) * x.ld_d + g];
      for (int r = 0; r < R; ++r) {
        acc[r][t] = vfmaq_n_f32(acc[r][t], vcvtq_f32_s32(Dot::dot32(wl[r], xq)), wd[r] * xd);
        if constexpr (F::kMin) by_min[r][t] += wm[r] * x.ds[(t0 + t) * x.ld_d + g];
      }
    }
  }
  for (int t = 0; t < T; ++t)
    for (int r = 0; r < R; ++r) y[(t0 + t) * ldy + o + r] = vaddvq_f32(acc[r][t]) + by_min[r][t];
}

template <class F, class Dot, int R>
void int_rows(const WeightRows& w, const ActView& x, int64_t o, float* y, int64_t ldy) {
  for_token_tiles<kTok>(x.n_tok, [&]<int T>(int64_t t) { int_tile<F, Dot, R, T>(w, x, o, t, y, ldy); });
}

template <class F, class Dot>
void gemm_int(const WeightRows& w, const ActView& x, float* y, int64_t ldy, int64_t o_begin, int64_t o_end) {
  int64_t o = o_begin;
  for (; o + 2 <= o_end; o += 2) int_rows<F, Dot, 2>(w, x, o, y, ldy);
  if (o < o_end) int_rows<F, Dot, 1>(w, x, o, y, ldy);
}

}  // namespace
}  // namespace hearth::kernels::neon
