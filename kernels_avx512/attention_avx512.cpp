// AVX-512F attention for a block of queries that share one head's keys and values
// (kernel_types.h AttendBlock), the prefill hot spot: per query and key, a 128-long dot, the
// softmax, and the weighted sum of values.
// Scores: 32 keys at a time are transposed into a [dk][32] tile (lanes = keys), then every
// query of the block multiplies the whole tile by its broadcast values with FMAs, 8 queries at a
// time: the tile is built once per 32 keys and reused by all queries, each broadcast feeds two
// FMAs, and no horizontal sums are needed. Blocks of
// fewer than kTileMin queries use per-key dot products instead (decode: the transpose would cost
// more than it saves).
// Weighted sum: lanes = value dimensions; 6 queries x 64 dimensions of accumulators stay in
// registers while the value rows of their common range stream past.
// The softmax runs in float with a vector exp (the reference sums in double; tests bound the
// difference).
#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "kernels_avx512/x86_tiers.h"
#include "src/kernels/kernel_types.h"
#include "kernels_avx512/simd_avx512.h"

namespace hearth::kernels {
namespace {

constexpr int64_t kTileMin = 4;
// Cached rows are scattered (one head's slice of each position's row) and, in decode, come from
// DRAM: fetch the row this many positions ahead while computing on the current one.
constexpr int64_t kAhead = 4;

using simd::first_lanes;

// r[i] (row i, 16 values) -> r[j] (value j of rows 0..15). Unpack pairs, then 4x4 blocks inside
// 128-bit lanes, then a 4x4 transpose of the 128-bit lanes.
inline void transpose16(__m512 r[16]) {
  __m512 t[16], u[16];
  for (int i = 0; i < 8; ++i) {
    t[2 * i] = _mm512_unpacklo_ps(r[2 * i], r[2 * i + 1]);
    t[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i], r[2 * i + 1]);
  }
  for (int i = 0; i < 4; ++i) {  // u[4i + c], lane L = column 4L + c of rows 4i..4i+3
    u[4 * i] = _mm512_shuffle_ps(t[4 * i], t[4 * i + 2], 0x44);
    u[4 * i + 1] = _mm512_shuffle_ps(t[4 * i], t[4 * i + 2], 0xEE);
    u[4 * i + 2] = _mm512_shuffle_ps(t[4 * i + 1], t[4 * i + 3], 0x44);
    u[4 * i + 3] = _mm512_shuffle_ps(t[4 * i + 1], t[4 * i + 3], 0xEE);
  }
  for (int c = 0; c < 4; ++c) {
    const __m512 v0 = _mm512_shuffle_f32x4(u[c], u[4 + c], 0x88), v1 = _mm512_shuffle_f32x4(u[c], u[4 + c], 0xDD);
    const __m512 v2 = _mm512_shuffle_f32x4(u[8 + c], u[12 + c], 0x88), v3 = _mm512_shuffle_f32x4(u[8 + c], u[12 + c], 0xDD);
    r[c] = _mm512_shuffle_f32x4(v0, v2, 0x88);
    r[8 + c] = _mm512_shuffle_f32x4(v0, v2, 0xDD);
    r[4 + c] = _mm512_shuffle_f32x4(v1, v3, 0x88);
    r[12 + c] = _mm512_shuffle_f32x4(v1, v3, 0xDD);
  }
}

// Keys per tile: two vectors, so every broadcast query value feeds two FMAs.
constexpr int64_t kTileKeys = 32;

// Keys [p0, p0 + n) (n <= kTileKeys) as tile[d * kTileKeys + j] = k[p0 + j][d], zero past n.
void transpose_keys(const AttendBlock& b, int64_t p0, int64_t n, float* tile) {
  for (int64_t half = 0; half < kTileKeys; half += 16) {
    for (int64_t d0 = 0; d0 < b.dk; d0 += 16) {
      const __mmask16 m = first_lanes(b.dk - d0);
      __m512 r[16];
      for (int j = 0; j < 16; ++j)
        r[j] = half + j < n ? _mm512_maskz_loadu_ps(m, b.k[p0 + half + j] + d0) : _mm512_setzero_ps();
      transpose16(r);
      for (int64_t j = 0; j < 16 && d0 + j < b.dk; ++j) _mm512_storeu_ps(tile + (d0 + j) * kTileKeys + half, r[j]);
    }
  }
}

// Scores of query i for keys p0..p0+15 (dot products in `dots`): scaled inside the query's
// range, -inf outside it.
inline void store_scores(const AttendBlock& b, int64_t i, int64_t p0, __m512 dots, float* out) {
  const __m512i lane = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  const __m512i pos = _mm512_add_epi32(lane, _mm512_set1_epi32(static_cast<int>(p0 - b.begin[i])));
  const __mmask16 in = _mm512_cmplt_epi32_mask(pos, _mm512_set1_epi32(static_cast<int>(b.end[i] - b.begin[i]))) &
                       _mm512_cmpge_epi32_mask(pos, _mm512_setzero_si512());
  _mm512_storeu_ps(out, _mm512_mask_blend_ps(in, _mm512_set1_ps(-INFINITY), _mm512_mul_ps(dots, _mm512_set1_ps(b.scale))));
}

// Queries i..i+kQ-1 against one tile: kQ x 2 accumulators; per dimension 2 tile loads and kQ
// broadcasts feed 2 kQ FMAs (8 queries: 16 FMAs per 10 loads, so the FMA units set the pace).
template <int kQ>
inline void score_tile(const AttendBlock& b, int64_t i, int64_t p0, const float* tile, float* s, int64_t ld, int64_t lo) {
  const float* q[kQ];
  __m512 acc[kQ][2];
  for (int u = 0; u < kQ; ++u) {
    q[u] = b.q[i + u];
    acc[u][0] = acc[u][1] = _mm512_setzero_ps();
  }
  for (int64_t d = 0; d < b.dk; ++d) {
    const __m512 t0 = _mm512_loadu_ps(tile + d * kTileKeys), t1 = _mm512_loadu_ps(tile + d * kTileKeys + 16);
    for (int u = 0; u < kQ; ++u) {
      const __m512 qd = _mm512_set1_ps(q[u][d]);
      acc[u][0] = _mm512_fmadd_ps(qd, t0, acc[u][0]);
      acc[u][1] = _mm512_fmadd_ps(qd, t1, acc[u][1]);
    }
  }
  for (int u = 0; u < kQ; ++u) {
    float* row = s + (i + u) * ld + (p0 - lo);
    store_scores(b, i + u, p0, acc[u][0], row);
    store_scores(b, i + u, p0 + 16, acc[u][1], row + 16);
  }
}

// scores[i][p - lo] = scale * q_i . k_p inside query i's range, -inf elsewhere in [lo, hi).
void scores(const AttendBlock& b, int64_t lo, int64_t hi, int64_t ld, float* s, float* tile) {
  if (b.n_q < kTileMin) {
    for (int64_t p = lo; p < hi; ++p) {  // key-major: each key row is read once for all queries
      if (p + kAhead < hi) simd::prefetch_values(b.k[p + kAhead], b.dk);
      for (int64_t i = 0; i < b.n_q; ++i)
        s[i * ld + p - lo] = p >= b.begin[i] && p < b.end[i] ? b.scale * simd::dot(b.q[i], b.k[p], b.dk) : -INFINITY;
    }
    return;
  }
  for (int64_t p0 = lo; p0 < hi; p0 += kTileKeys) {
    transpose_keys(b, p0, std::min(kTileKeys, hi - p0), tile);
    int64_t i = 0;
    for (; i + 8 <= b.n_q; i += 8) score_tile<8>(b, i, p0, tile, s, ld, lo);
    for (; i + 4 <= b.n_q; i += 4) score_tile<4>(b, i, p0, tile, s, ld, lo);
    for (; i < b.n_q; ++i) score_tile<1>(b, i, p0, tile, s, ld, lo);
  }
}

// Row i of s over [0, n): exp(s - max) in place; returns 1 / sum.
float softmax_row(float* s, int64_t n) { return 1.0f / simd::exp_minus_in_place(s, n, simd::max_floats(s, n, -INFINITY)); }

// Value rows by position: decode reads the cache's rows where they are (prefetching ahead);
// prefill reads a contiguous copy of the block's span (values[p - lo]), made once per block:
// the cache's rows sit a whole position row apart, and the 11 passes a 64-query block makes
// over them cost a TLB miss per row (weighted sums were slower than the scores before).
template <bool kDecode>
struct ValueRows {
  const float* const* rows;  // kDecode
  const float* values;       // !kDecode: [hi - lo][ld]
  int64_t ld, lo;
  const float* at(int64_t p) const { return kDecode ? rows[p] : values + (p - lo) * ld; }
};

// out_i = inv_i * sum_p w[i][p - lo] v_p for kQ queries (first .. first + kQ - 1), over the
// union of their ranges.
template <int kQ, bool kDecode>
void weighted_values(const AttendBlock& b, const ValueRows<kDecode>& vr, int64_t first, int64_t lo, int64_t ld,
                     const float* w, const float* inv) {
  int64_t from = b.begin[first], to = b.end[first];
  for (int i = 1; i < kQ; ++i) {
    from = std::min(from, b.begin[first + i]);
    to = std::max(to, b.end[first + i]);
  }
  for (int64_t d0 = 0; d0 < b.dv; d0 += 64) {
    __mmask16 m[4];
    for (int c = 0; c < 4; ++c) m[c] = d0 + 16 * c < b.dv ? first_lanes(b.dv - d0 - 16 * c) : __mmask16(0);
    __m512 acc[kQ][4];
    for (int i = 0; i < kQ; ++i)
      for (int c = 0; c < 4; ++c) acc[i][c] = _mm512_setzero_ps();
    for (int64_t p = from; p < to; ++p) {
      if (kDecode && p + kAhead < to) simd::prefetch_values(vr.at(p + kAhead) + d0, std::min<int64_t>(64, b.dv - d0));
      const float* row = vr.at(p);
      __m512 v[4];
      for (int c = 0; c < 4; ++c) v[c] = _mm512_maskz_loadu_ps(m[c], row + d0 + 16 * c);
      for (int i = 0; i < kQ; ++i) {
        const __m512 wp = _mm512_set1_ps(w[(first + i) * ld + p - lo]);
        for (int c = 0; c < 4; ++c) acc[i][c] = _mm512_fmadd_ps(wp, v[c], acc[i][c]);
      }
    }
    for (int i = 0; i < kQ; ++i) {
      const __m512 scale = _mm512_set1_ps(inv[first + i]);
      for (int c = 0; c < 4; ++c) _mm512_mask_storeu_ps(b.out[first + i] + d0 + 16 * c, m[c], _mm512_mul_ps(acc[i][c], scale));
    }
  }
}

// Every query of the block, 6 at a time (24 accumulators, 10 loads per 24 FMAs), the rest in
// one pass, so a decode group of 2-5 heads reads each value row once.
template <bool kDecode>
void weighted_block(const AttendBlock& b, const ValueRows<kDecode>& vr, int64_t lo, int64_t ld, const float* s,
                    const float* inv) {
  int64_t i = 0;
  for (; i + 6 <= b.n_q; i += 6) weighted_values<6>(b, vr, i, lo, ld, s, inv);
  switch (b.n_q - i) {
    case 5: weighted_values<5>(b, vr, i, lo, ld, s, inv); break;
    case 4: weighted_values<4>(b, vr, i, lo, ld, s, inv); break;
    case 3: weighted_values<3>(b, vr, i, lo, ld, s, inv); break;
    case 2: weighted_values<2>(b, vr, i, lo, ld, s, inv); break;
    case 1: weighted_values<1>(b, vr, i, lo, ld, s, inv); break;
    default: break;
  }
}

void attend(const AttendBlock& b, float* scratch) {
  int64_t lo = b.begin[0], hi = b.end[0];
  for (int64_t i = 1; i < b.n_q; ++i) {
    lo = std::min(lo, b.begin[i]);
    hi = std::max(hi, b.end[i]);
  }
  const int64_t ld = (hi - lo + 15) / 16 * 16 + 16;  // whole 16-wide stores stay inside a row
  float* s = scratch;
  float* inv = s + b.n_q * ld;
  float* tile = inv + b.n_q + 16;
  scores(b, lo, hi, ld, s, tile);
  for (int64_t i = 0; i < b.n_q; ++i) {
    // Only the query's own range is live; positions outside it are -inf, so exp gives 0 there.
    float* row = s + i * ld;
    inv[i] = softmax_row(row, hi - lo);
  }
  // One query position (decode): each value row is read once, from DRAM; prefetch it. A
  // prefill block makes several passes: copy its span once (ValueRows).
  bool one_position = true;
  for (int64_t i = 1; i < b.n_q; ++i) one_position = one_position && b.end[i] == b.end[0];
  if (one_position) {
    weighted_block(b, ValueRows<true>{b.v, nullptr, b.dv, lo}, lo, ld, s, inv);
    return;
  }
  float* values = tile + kTileKeys * (b.dk + 16);
  for (int64_t p = lo; p < hi; ++p) std::memcpy(values + (p - lo) * b.dv, b.v[p], static_cast<size_t>(b.dv) * sizeof(float));
  weighted_block(b, ValueRows<false>{nullptr, values, b.dv, lo}, lo, ld, s, inv);
}

}  // namespace

void register_avx512_attention(KernelTable& t) {
  RowOps ops{};
  ops.attend = attend;
  set_row_ops(t, ops);
}

}  // namespace hearth::kernels
