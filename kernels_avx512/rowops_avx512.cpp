// AVX-512F row helpers: q8 activation preparation (the exact rounding of quant/codec.h
// quantize_activations_q8: round half away from zero), RMSNorm (sum of squares in double, as
// the reference), SwiGLU with a vector exp, axpy and dot. Registers the avx512 tier.
// Not here: matrix kernels (gemm_*_avx512*.cpp).
#include <immintrin.h>

#include <cmath>

#include "kernels_avx512/isa_tiers.h"
#include "kernels_avx512/kernel_types.h"
#include "kernels_avx512/simd_avx512.h"

namespace hearth::kernels {

void register_avx512_gemm(KernelTable& t);

namespace {

// Round half away from zero, exactly (std::round): trunc, then step out when |frac| >= 0.5.
inline __m512 round_away(__m512 v) {
  const __m512 t = _mm512_roundscale_ps(v, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
  const __m512 frac = _mm512_abs_ps(_mm512_sub_ps(v, t));
  const __mmask16 up = _mm512_cmp_ps_mask(frac, _mm512_set1_ps(0.5f), _CMP_GE_OQ);
  const __m512 one = _mm512_castsi512_ps(_mm512_or_si512(
      _mm512_castps_si512(_mm512_set1_ps(1.0f)),
      _mm512_and_si512(_mm512_castps_si512(v), _mm512_set1_epi32(INT32_MIN))));
  return _mm512_mask_add_ps(t, up, t, one);
}

void prepare_q8(const float* x, int64_t n, int8_t* q, float* d, float* ds) {
  for (int64_t g = 0; g < n / 32; ++g) {
    const __m512 a = _mm512_loadu_ps(x + g * 32), b = _mm512_loadu_ps(x + g * 32 + 16);
    const float amax = simd::hmax_ps(_mm512_max_ps(_mm512_abs_ps(a), _mm512_abs_ps(b)));
    const float scale = amax / 127.0f;
    const __m512 inv = _mm512_set1_ps(scale != 0.0f ? 1.0f / scale : 0.0f);
    const __m512 lim = _mm512_set1_ps(127.0f), nlim = _mm512_set1_ps(-127.0f);
    const __m512i qa = _mm512_cvtps_epi32(
        _mm512_max_ps(nlim, _mm512_min_ps(lim, round_away(_mm512_mul_ps(a, inv)))));
    const __m512i qb = _mm512_cvtps_epi32(
        _mm512_max_ps(nlim, _mm512_min_ps(lim, round_away(_mm512_mul_ps(b, inv)))));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(q + g * 32), _mm512_cvtsepi32_epi8(qa));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(q + g * 32 + 16), _mm512_cvtsepi32_epi8(qb));
    d[g] = scale;
    ds[g] = scale * static_cast<float>(simd::hsum_epi32(_mm512_add_epi32(qa, qb)));
  }
}

// kernel_table.h prepare_q16, same arithmetic: cvtps rounds to nearest even, as lrint does.
void prepare_q16(const float* x, int64_t n, int16_t* q, float* d) {
  for (int64_t g = 0; g < n / 32; ++g) {
    const __m512 a = _mm512_loadu_ps(x + g * 32), b = _mm512_loadu_ps(x + g * 32 + 16);
    const float amax = simd::hmax_ps(_mm512_max_ps(_mm512_abs_ps(a), _mm512_abs_ps(b)));
    const float scale = amax / 32767.0f;
    const __m512 inv = _mm512_set1_ps(scale > 0.0f ? 1.0f / scale : 0.0f);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(q + g * 32), _mm512_cvtsepi32_epi16(_mm512_cvtps_epi32(_mm512_mul_ps(a, inv))));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(q + g * 32 + 16), _mm512_cvtsepi32_epi16(_mm512_cvtps_epi32(_mm512_mul_ps(b, inv))));
    d[g] = scale;
  }
}

void rms_norm(const float* x, const float* w, int64_t n, float eps, float* out) {
  __m512d s0 = _mm512_setzero_pd(), s1 = _mm512_setzero_pd();
  for (int64_t i = 0; i < n; i += 16) {
    const __m512 v = _mm512_maskz_loadu_ps(simd::first_lanes(n - i), x + i);
    const __m512d lo = _mm512_cvtps_pd(_mm512_castps512_ps256(v));
    const __m512d hi = _mm512_cvtps_pd(
        _mm512_castps512_ps256(_mm512_shuffle_f32x4(v, v, _MM_SHUFFLE(1, 0, 3, 2))));
    s0 = _mm512_fmadd_pd(lo, lo, s0);
    s1 = _mm512_fmadd_pd(hi, hi, s1);
  }
  const double ss = simd::hsum_pd(_mm512_add_pd(s0, s1));
  const __m512 scale = _mm512_set1_ps(static_cast<float>(1.0 / std::sqrt(ss / static_cast<double>(n) + eps)));
  for (int64_t i = 0; i < n; i += 16) {
    const __mmask16 m = simd::first_lanes(n - i);
    const __m512 v = _mm512_mul_ps(_mm512_maskz_loadu_ps(m, x + i), scale);
    _mm512_mask_storeu_ps(out + i, m, _mm512_mul_ps(v, _mm512_maskz_loadu_ps(m, w + i)));
  }
}

void swiglu(const float* gate, const float* up, int64_t n, float* out) {
  for (int64_t i = 0; i < n; i += 16) {
    const __mmask16 m = simd::first_lanes(n - i);
    const __m512 g = _mm512_maskz_loadu_ps(m, gate + i);
    const __m512 e = simd::exp_ps(_mm512_sub_ps(_mm512_setzero_ps(), g));
    const __m512 s = _mm512_div_ps(g, _mm512_add_ps(_mm512_set1_ps(1.0f), e));
    _mm512_mask_storeu_ps(out + i, m, _mm512_mul_ps(s, _mm512_maskz_loadu_ps(m, up + i)));
  }
}

void axpy(float a, const float* x, int64_t n, float* y) {
  const __m512 av = _mm512_set1_ps(a);
  for (int64_t i = 0; i < n; i += 16) {
    const __mmask16 m = simd::first_lanes(n - i);
    _mm512_mask_storeu_ps(y + i, m, _mm512_fmadd_ps(av, _mm512_maskz_loadu_ps(m, x + i),
                                                   _mm512_maskz_loadu_ps(m, y + i)));
  }
}

float dot(const float* a, const float* b, int64_t n) { return simd::dot(a, b, n); }

void dot_rows(const float* q, const float* const* rows, int64_t n, int64_t dim, float* out) {
  for (int64_t p = 0; p < n; ++p) out[p] = dot(q, rows[p], dim);
}

// Blocks of 128 output values live in 8 registers while every row streams past them, so out is
// written once instead of once per row.
void weighted_sum_rows(const float* w, const float* const* rows, int64_t n, int64_t dim, float* out) {
  constexpr int kRegs = 8;
  for (int64_t d0 = 0; d0 < dim; d0 += 16 * kRegs) {
    __m512 acc[kRegs];
    __mmask16 m[kRegs];
    for (int k = 0; k < kRegs; ++k) {
      acc[k] = _mm512_setzero_ps();
      const int64_t i = d0 + 16 * k;
      m[k] = i < dim ? simd::first_lanes(dim - i) : __mmask16(0);
    }
    for (int64_t p = 0; p < n; ++p) {
      const __m512 wv = _mm512_set1_ps(w[p]);
      const float* r = rows[p] + d0;
      for (int k = 0; k < kRegs; ++k)
        acc[k] = _mm512_fmadd_ps(wv, _mm512_maskz_loadu_ps(m[k], r + 16 * k), acc[k]);
    }
    for (int k = 0; k < kRegs; ++k) _mm512_mask_storeu_ps(out + d0 + 16 * k, m[k], acc[k]);
  }
}

}  // namespace

void prepare_q8_avx512(const float* x, int64_t n, int8_t* q, float* d, float* ds) {
  prepare_q8(x, n, q, d, ds);
}

void register_avx512(KernelTable& t) {
  register_avx512_gemm(t);
  set_prepare_q8(t, prepare_q8);
  set_prepare_q16(t, prepare_q16);
  RowOps ops{};
  ops.rms_norm = rms_norm;
  ops.swiglu = swiglu;
  ops.axpy = axpy;
  ops.dot = dot;
  ops.dot_rows = dot_rows;
  ops.weighted_sum_rows = weighted_sum_rows;
  set_row_ops(t, ops);
  register_avx512_attention(t);
  register_avx512_attention_rows(t);
}

}  // namespace hearth::kernels
