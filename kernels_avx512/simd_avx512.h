// Horizontal reductions for AVX-512 kernel files (include only from *_avx512*.cpp). Written
// with in-register shuffles instead of _mm512_reduce_* (GCC 12's extract-based versions warn
// -Wuninitialized inside its own headers).
#pragma once

#include <immintrin.h>

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

}  // namespace hearth::kernels::simd
