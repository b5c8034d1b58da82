// Roofline probes for `hearth bench --roofline`: a streaming read (sum of a float buffer, the
// DRAM read bandwidth when the buffer is far larger than the caches) and a register-only loop
// of independent 512-bit vpdpbusd (the int8 peak). Timing and threads are the caller's.
// Not here: anything a model runs.
#include <immintrin.h>

#include "kernels_avx512/x86_tiers.h"
#include "src/kernels/kernel_types.h"
#include "kernels_avx512/simd_avx512.h"

namespace hearth::kernels {

float read_sum_avx512(const float* x, int64_t n) {
  __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
  int64_t i = 0;
  for (; i + 64 <= n; i += 64) {
    a0 = _mm512_add_ps(a0, _mm512_loadu_ps(x + i));
    a1 = _mm512_add_ps(a1, _mm512_loadu_ps(x + i + 16));
    a2 = _mm512_add_ps(a2, _mm512_loadu_ps(x + i + 32));
    a3 = _mm512_add_ps(a3, _mm512_loadu_ps(x + i + 48));
  }
  float s = simd::hsum_ps(_mm512_add_ps(_mm512_add_ps(a0, a1), _mm512_add_ps(a2, a3)));
  for (; i < n; ++i) s += x[i];
  return s;
}

// iters x 12 independent vpdpbusd (64 multiply-adds = 128 ops each); returns a value that
// depends on every accumulator so nothing is optimised away.
int64_t int8_peak_avx512vnni(int64_t iters) {
  __m512i acc[12];
  for (int k = 0; k < 12; ++k) acc[k] = _mm512_set1_epi32(k);
  const __m512i a = _mm512_set1_epi8(1), b = _mm512_set1_epi8(2);
  for (int64_t i = 0; i < iters; ++i)
    for (int k = 0; k < 12; ++k) acc[k] = _mm512_dpbusd_epi32(acc[k], a, b);
  __m512i s = acc[0];
  for (int k = 1; k < 12; ++k) s = _mm512_add_epi32(s, acc[k]);
  return simd::hsum_epi32(s);
}

}  // namespace hearth::kernels
