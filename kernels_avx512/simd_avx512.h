// Horizontal reductions, a vector exp, row helpers and a dot product for AVX-512 kernel files (include only from *_avx512*.cpp). Written
// with in-register shuffles instead of _mm512_reduce_* (GCC 12's extract-based versions warn
// -Wuninitialized inside its own headers).
#pragma once

#include <immintrin.h>

#include <cstdint>

namespace hearth::kernels::simd {

inline __m128 fold_ps(__m512 v, __m512 (*op)(__m512, __m512)) {
  v = op(v, _mm512_shuffle_f32x4(v, v, _MM_SHUFFLE(1, 0, 3, 2)));
  v = op(v, _mm512_shuffle_f32x4(v, v, _MM_SHUFFLE(2, 3, 0, 1)));
  v = op(v, _mm512_permute_ps(v, _MM_SHUFFLE(1, 0, 3, 2)));
  v = op(v, _mm512_permute_ps(v, _MM_SHUFFLE(2, 3, 0, 1)));
  return _mm512_castps512_ps128(v);
}

inline float hsum_ps(__m512 v) {
  return _mm_cvtss_f32(fold_ps(v, [](__m512 a, __m512 b) { return _mm512_add_ps(a, b); }));
}
inline float hmax_ps(__m512 v) {
  return _mm_cvtss_f32(fold_ps(v, [](__m512 a, __m512 b) { return _mm512_max_ps(a, b); }));
}
inline int hsum_epi32(__m512i v) {
  v = _mm512_add_epi32(v, _mm512_shuffle_i32x4(v, v, _MM_SHUFFLE(1, 0, 3, 2)));
  v = _mm512_add_epi32(v, _mm512_shuffle_i32x4(v, v, _MM_SHUFFLE(2, 3, 0, 1)));
  v = _mm512_add_epi32(v, _mm512_shuffle_epi32(v, _MM_PERM_BADC));
  v = _mm512_add_epi32(v, _mm512_shuffle_epi32(v, _MM_PERM_CDAB));
  return _mm_cvtsi128_si32(_mm512_castsi512_si128(v));
}
inline double hsum_pd(__m512d v) {
  v = _mm512_add_pd(v, _mm512_shuffle_f64x2(v, v, _MM_SHUFFLE(1, 0, 3, 2)));
  v = _mm512_add_pd(v, _mm512_shuffle_f64x2(v, v, _MM_SHUFFLE(2, 3, 0, 1)));
  v = _mm512_add_pd(v, _mm512_permute_pd(v, 0x55));
  return _mm_cvtsd_f64(_mm512_castpd512_pd128(v));
}

// Sixteen horizontal reductions at once: lane g of the result is op over the 16 lanes of v[g].
// A shuffle tree (4 levels, 15 ops and 30 shuffles for all sixteen) instead of 16 separate folds
// (4 ops and 4 shuffles each, one dependent chain per vector). op is a float op, or an integer
// one on the same bits through casts: the shuffles only move lanes.
template <class Op>
inline __m512 fold16_ps(const __m512 (&v)[16], Op op) {
  __m512 a[8], b[4], c[2];
  for (int i = 0; i < 8; ++i)  // chunks 0-1: 8 partials of v[2i]; chunks 2-3: of v[2i + 1]
    a[i] = op(_mm512_shuffle_f32x4(v[2 * i], v[2 * i + 1], _MM_SHUFFLE(1, 0, 1, 0)),
              _mm512_shuffle_f32x4(v[2 * i], v[2 * i + 1], _MM_SHUFFLE(3, 2, 3, 2)));
  for (int i = 0; i < 4; ++i)  // chunk k: 4 partials of v[4i + k]
    b[i] = op(_mm512_shuffle_f32x4(a[2 * i], a[2 * i + 1], _MM_SHUFFLE(2, 0, 2, 0)),
              _mm512_shuffle_f32x4(a[2 * i], a[2 * i + 1], _MM_SHUFFLE(3, 1, 3, 1)));
  for (int i = 0; i < 2; ++i)  // chunk k: lanes 0-1 of v[8i + k], lanes 2-3 of v[8i + 4 + k]
    c[i] = op(_mm512_shuffle_ps(b[2 * i], b[2 * i + 1], _MM_SHUFFLE(1, 0, 1, 0)),
              _mm512_shuffle_ps(b[2 * i], b[2 * i + 1], _MM_SHUFFLE(3, 2, 3, 2)));
  // Lane 4k + j now holds v[4j + k]'s result: transpose the 4 x 4 back.
  const __m512 r = op(_mm512_shuffle_ps(c[0], c[1], _MM_SHUFFLE(2, 0, 2, 0)),
                      _mm512_shuffle_ps(c[0], c[1], _MM_SHUFFLE(3, 1, 3, 1)));
  return _mm512_permutexvar_ps(_mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15), r);
}

// exp(x) for x in float range: Cody-Waite range reduction and a degree-6 polynomial
// (Cephes expf coefficients), ~1 ulp; underflows to 0, overflows to inf.
inline __m512 exp_ps(__m512 x) {
  x = _mm512_max_ps(_mm512_min_ps(x, _mm512_set1_ps(88.7f)), _mm512_set1_ps(-103.9f));
  const __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)),
                                        _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), x);
  r = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.12194440e-4f), r);
  __m512 p = _mm512_set1_ps(1.9875691500e-4f);
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.3981999507e-3f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(8.3334519073e-3f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.1665795894e-2f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.6666665459e-1f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(5.0000001201e-1f));
  p = _mm512_fmadd_ps(p, _mm512_mul_ps(r, r), _mm512_add_ps(r, _mm512_set1_ps(1.0f)));
  return _mm512_scalef_ps(p, n);  // p * 2^n, handles the under/overflow ends
}

// Lanes [0, n) of a 16-lane mask (all when n >= 16).
inline __mmask16 first_lanes(int64_t n) { return n >= 16 ? __mmask16(0xffff) : __mmask16((1u << n) - 1); }

// Fetches the cache lines of x[0, n) into L1, one prefetch per 64 bytes (float or bf16 rows).
template <class T>
inline void prefetch_values(const T* x, int64_t n) {
  const auto* b = reinterpret_cast<const char*>(x);
  for (int64_t i = 0; i < n * static_cast<int64_t>(sizeof(T)); i += 64) _mm_prefetch(b + i, _MM_HINT_T0);
}

// The largest of init and x[0, n).
inline float max_floats(const float* x, int64_t n, float init) {
  __m512 mx = _mm512_set1_ps(init);
  for (int64_t i = 0; i < n; i += 16) mx = _mm512_max_ps(mx, _mm512_mask_loadu_ps(mx, first_lanes(n - i), x + i));
  return hmax_ps(mx);
}

// x[i] = exp(x[i] - m) in place for i < n (-inf gives 0); returns their sum (a softmax's
// denominator when m is the row's maximum).
inline float exp_minus_in_place(float* x, int64_t n, float m) {
  const __m512 mv = _mm512_set1_ps(m);
  __m512 sum = _mm512_setzero_ps();
  for (int64_t i = 0; i < n; i += 16) {
    const __mmask16 k = first_lanes(n - i);
    const __m512 e = exp_ps(_mm512_sub_ps(_mm512_maskz_loadu_ps(k, x + i), mv));
    _mm512_mask_storeu_ps(x + i, k, e);
    sum = _mm512_add_ps(sum, _mm512_maskz_mov_ps(k, e));
  }
  return hsum_ps(sum);
}

// sum_i a[i] * b[i], two accumulators, masked tail.
inline float dot(const float* a, const float* b, int64_t n) {
  __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();
  int64_t i = 0;
  for (; i + 32 <= n; i += 32) {
    acc0 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i), acc0);
    acc1 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i + 16), _mm512_loadu_ps(b + i + 16), acc1);
  }
  for (; i < n; i += 16) {
    const __mmask16 m = first_lanes(n - i);
    acc0 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, a + i), _mm512_maskz_loadu_ps(m, b + i), acc0);
  }
  return hsum_ps(_mm512_add_ps(acc0, acc1));
}

}  // namespace hearth::kernels::simd
