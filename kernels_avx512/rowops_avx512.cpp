// AVX-512F row helpers: q8 activation preparation (the exact rounding of quant/codec.h
// quantize_activations_q8: round half away from zero), RMSNorm (sum of squares in double, as
// the reference), SwiGLU with a vector exp, axpy and dot. Registers the avx512 tier.
// Not here: matrix kernels (gemm_*_avx512*.cpp).
#include <immintrin.h>

#include <cmath>

#include "kernels_avx512/x86_tiers.h"
#include "src/kernels/kernel_types.h"
#include "kernels_avx512/simd_avx512.h"

namespace hearth::kernels {

namespace {

// Round half away from zero, exactly (std::round): add the float just below 1/2 with v's sign,
// then truncate. (Adding 1/2 itself rounds 0.49999997 up to 1; one ulp less makes every tie
// k + 1/2 sum past k + 1 or round to it, and every non-tie stay below.)
inline __m512 round_away(__m512 v) {
  const __m512i sign = _mm512_and_si512(_mm512_castps_si512(v), _mm512_set1_epi32(INT32_MIN));
  const __m512 half = _mm512_castsi512_ps(_mm512_or_si512(_mm512_castps_si512(_mm512_set1_ps(0.49999997f)), sign));
  return _mm512_roundscale_ps(_mm512_add_ps(v, half), _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
}

// One group of 32 values: q (returned as two vectors of 16 int32) at the reciprocal inv.
inline void quantize_group(const float* x, __m512 inv, int8_t* q, __m512i& qa, __m512i& qb) {
  const __m512 lim = _mm512_set1_ps(127.0f), nlim = _mm512_set1_ps(-127.0f);
  qa = _mm512_cvtps_epi32(_mm512_max_ps(nlim, _mm512_min_ps(lim, round_away(_mm512_mul_ps(_mm512_loadu_ps(x), inv)))));
  qb = _mm512_cvtps_epi32(_mm512_max_ps(nlim, _mm512_min_ps(lim, round_away(_mm512_mul_ps(_mm512_loadu_ps(x + 16), inv)))));
  _mm_storeu_si128(reinterpret_cast<__m128i*>(q), _mm512_cvtsepi32_epi8(qa));
  _mm_storeu_si128(reinterpret_cast<__m128i*>(q + 16), _mm512_cvtsepi32_epi8(qb));
}

inline __m512 abs_max32(const float* x) {
  return _mm512_max_ps(_mm512_abs_ps(_mm512_loadu_ps(x)), _mm512_abs_ps(_mm512_loadu_ps(x + 16)));
}

// The scales of sixteen consecutive groups of 32 (max|x| / qmax), their maxima reduced
// together (simd::fold16_ps), and inv[i] = 1 / scale where kUsed (the reference's test: scale
// != 0 for q8, scale > 0 for q16), else 0. The per-group reductions were most of the work
// (prefill converts ~100 M activations per 512-token prompt of Qwen3-0.6B).
template <int kUsed>
inline __m512 scales16(const float* x, float qmax, float inv[16]) {
  __m512 part[16];
  for (int i = 0; i < 16; ++i) part[i] = abs_max32(x + 32 * i);
  const __m512 scale = _mm512_div_ps(simd::fold16_ps(part, [](__m512 a, __m512 b) { return _mm512_max_ps(a, b); }),
                                     _mm512_set1_ps(qmax));
  const __mmask16 used = _mm512_cmp_ps_mask(scale, _mm512_setzero_ps(), kUsed);
  _mm512_storeu_ps(inv, _mm512_maskz_div_ps(used, _mm512_set1_ps(1.0f), scale));
  return scale;
}

// Sixteen groups at a time (scales16), their integer sums reduced together as well.
void prepare_q8(const float* x, int64_t n, int8_t* q, float* d, float* ds, int32_t* qsum) {
  const int64_t groups = n / 32;
  int64_t g0 = 0;
  const auto add_i32 = [](__m512 a, __m512 b) {
    return _mm512_castsi512_ps(_mm512_add_epi32(_mm512_castps_si512(a), _mm512_castps_si512(b)));
  };
  for (; g0 + 16 <= groups; g0 += 16) {
    const float* xg = x + g0 * 32;
    alignas(64) float inv[16];
    const __m512 scale = scales16<_CMP_NEQ_UQ>(xg, 127.0f, inv);
    __m512 part[16];
    for (int i = 0; i < 16; ++i) {
      __m512i qa, qb;
      quantize_group(xg + 32 * i, _mm512_set1_ps(inv[i]), q + (g0 + i) * 32, qa, qb);
      part[i] = _mm512_castsi512_ps(_mm512_add_epi32(qa, qb));
    }
    const __m512i sums = _mm512_castps_si512(simd::fold16_ps(part, add_i32));
    _mm512_storeu_ps(d + g0, scale);
    _mm512_storeu_ps(ds + g0, _mm512_mul_ps(scale, _mm512_cvtepi32_ps(sums)));
    _mm512_storeu_si512(qsum + g0, sums);
  }
  for (int64_t g = g0; g < groups; ++g) {  // the last groups one at a time
    const float amax = simd::hmax_ps(abs_max32(x + g * 32));
    const float scale = amax / 127.0f;
    __m512i qa, qb;
    quantize_group(x + g * 32, _mm512_set1_ps(scale != 0.0f ? 1.0f / scale : 0.0f), q + g * 32, qa, qb);
    const int32_t sum = simd::hsum_epi32(_mm512_add_epi32(qa, qb));
    d[g] = scale;
    ds[g] = scale * static_cast<float>(sum);
    qsum[g] = sum;
  }
}

// kernel_table.h prepare_q16, same arithmetic: cvtps rounds to nearest even, as lrint does.
// Sixteen groups at a time (scales16), as prepare_q8.
void prepare_q16(const float* x, int64_t n, int16_t* q, float* d) {
  const int64_t groups = n / 32;
  const auto quantize = [&](int64_t g, __m512 inv) {
    const float* xg = x + g * 32;
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(q + g * 32), _mm512_cvtsepi32_epi16(_mm512_cvtps_epi32(_mm512_mul_ps(_mm512_loadu_ps(xg), inv))));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(q + g * 32 + 16), _mm512_cvtsepi32_epi16(_mm512_cvtps_epi32(_mm512_mul_ps(_mm512_loadu_ps(xg + 16), inv))));
  };
  int64_t g0 = 0;
  for (; g0 + 16 <= groups; g0 += 16) {
    alignas(64) float inv[16];
    const __m512 scale = scales16<_CMP_GT_OQ>(x + g0 * 32, 32767.0f, inv);
    for (int i = 0; i < 16; ++i) quantize(g0 + i, _mm512_set1_ps(inv[i]));
    _mm512_storeu_ps(d + g0, scale);
  }
  for (int64_t g = g0; g < groups; ++g) {
    const float scale = simd::hmax_ps(abs_max32(x + g * 32)) / 32767.0f;
    quantize(g, _mm512_set1_ps(scale > 0.0f ? 1.0f / scale : 0.0f));
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

void prepare_q8_avx512(const float* x, int64_t n, int8_t* q, float* d, float* ds, int32_t* qsum) {
  prepare_q8(x, n, q, d, ds, qsum);
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
