// Portable SIMD kernels through xsimd, written once over the architecture: each ISA file
// instantiates XsimdKernels for its own (kernels_xsimd_avx2.cpp: AVX2 + FMA;
// kernels_xsimd_neon.cpp: NEON on AArch64) and registers them. f32-weight GEMM against float
// activations, and the row helpers (dot, axpy, SwiGLU with xsimd::exp, RMSNorm).
// Include only from those files: they are compiled with their ISA's flags.
// Not here: integer kernels (per-ISA files: gemm_qxg32_avx2.cpp, gemm_qxg32_neon.cpp, the
// AVX-512 VNNI tier).
#pragma once

#include <xsimd/xsimd.hpp>

#include <cmath>
#include <cstdint>

#include "src/kernels/table_setters.h"
#include "src/kernels/kernel_types.h"

namespace hearth::kernels {

template <class Arch>
struct XsimdKernels {
  using VF = xsimd::batch<float, Arch>;
  static constexpr int64_t kW = static_cast<int64_t>(VF::size);

  static float dot(const float* a, const float* b, int64_t n) {
    VF acc0(0.0f), acc1(0.0f);
    int64_t i = 0;
    for (; i + 2 * kW <= n; i += 2 * kW) {
      acc0 = xsimd::fma(VF::load_unaligned(a + i), VF::load_unaligned(b + i), acc0);
      acc1 = xsimd::fma(VF::load_unaligned(a + i + kW), VF::load_unaligned(b + i + kW), acc1);
    }
    float s = xsimd::hadd(acc0 + acc1);
    for (; i < n; ++i) s += a[i] * b[i];
    return s;
  }

  static void axpy(float a, const float* x, int64_t n, float* y) {
    const VF av(a);
    int64_t i = 0;
    for (; i + kW <= n; i += kW)
      xsimd::fma(av, VF::load_unaligned(x + i), VF::load_unaligned(y + i)).store_unaligned(y + i);
    for (; i < n; ++i) y[i] += a * x[i];
  }

  static void swiglu(const float* gate, const float* up, int64_t n, float* out) {
    int64_t i = 0;
    for (; i + kW <= n; i += kW) {
      const VF g = VF::load_unaligned(gate + i);
      (g / (VF(1.0f) + xsimd::exp(-g)) * VF::load_unaligned(up + i)).store_unaligned(out + i);
    }
    for (; i < n; ++i) out[i] = gate[i] / (1.0f + std::exp(-gate[i])) * up[i];
  }

  static void rms_norm(const float* x, const float* w, int64_t n, float eps, float* out) {
    double ss = 0;  // double, as the reference
    for (int64_t i = 0; i < n; ++i) ss += static_cast<double>(x[i]) * x[i];
    const float scale = static_cast<float>(1.0 / std::sqrt(ss / static_cast<double>(n) + eps));
    const VF sv(scale);
    int64_t i = 0;
    for (; i + kW <= n; i += kW)
      (VF::load_unaligned(x + i) * sv * VF::load_unaligned(w + i)).store_unaligned(out + i);
    for (; i < n; ++i) out[i] = x[i] * scale * w[i];
  }

  // f32 weights: 4 rows at a time, one token at a time (4 independent FMA chains).
  static void gemm_f32(const WeightRows& w, const ActView& x, float* y, int64_t ldy, int64_t o_begin,
                int64_t o_end) {
    for (int64_t t = 0; t < x.n_tok; ++t) {
      const float* xt = x.f32 + t * x.ld_f32;
      int64_t o = o_begin;
      for (; o + 4 <= o_end; o += 4) {
        const float* r[4];
        for (int k = 0; k < 4; ++k) r[k] = reinterpret_cast<const float*>(w.data + (o + k) * w.row_bytes);
        VF acc[4] = {VF(0.0f), VF(0.0f), VF(0.0f), VF(0.0f)};
        int64_t i = 0;
        for (; i + kW <= w.n_in; i += kW) {
          const VF xv = VF::load_unaligned(xt + i);
          for (int k = 0; k < 4; ++k) acc[k] = xsimd::fma(VF::load_unaligned(r[k] + i), xv, acc[k]);
        }
        for (int k = 0; k < 4; ++k) {
          float s = xsimd::hadd(acc[k]);
          for (int64_t j = i; j < w.n_in; ++j) s += r[k][j] * xt[j];
          y[t * ldy + o + k] = s;
        }
      }
      for (; o < o_end; ++o)
        y[t * ldy + o] = dot(reinterpret_cast<const float*>(w.data + o * w.row_bytes), xt, w.n_in);
    }
  }

  static void register_row_ops(KernelTable& t) {
    set_gemm(t, Format::kF32, gemm_f32, ActForm::kF32);
    RowOps ops{};
    ops.rms_norm = rms_norm;
    ops.swiglu = swiglu;
    ops.axpy = axpy;
    ops.dot = dot;
    set_row_ops(t, ops);
  }
};

}  // namespace hearth::kernels
