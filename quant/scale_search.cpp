// Per-group scale search (see quant/scale_search.h for the method).
// Not here: packing, row loops, threading.
#include "quant/scale_search.h"

#include <algorithm>
#include <cmath>

#include "quant/blocks.h"
#include "src/base/half.h"
#include "src/base/status.h"

namespace hearth {
namespace {

constexpr int kMaxGroup = 256;

struct Grids {
  float q8[255];
  float q4[16];
  float q4nl[16];
  float q6[64];
  uint8_t q4nl_lut[2 * (113 + 127) + 1];
  LevelGrid g8, g4, g4nl, g6;
  Grids() {
    for (int i = 0; i < 255; ++i) q8[i] = static_cast<float>(i - 127);
    for (int i = 0; i < 16; ++i) q4[i] = static_cast<float>(i - 8);
    for (int i = 0; i < 16; ++i) q4nl[i] = static_cast<float>(kCodebookQ4NL[i]);
    g8 = {q8, 255, true};
    g4 = {q4, 16, true};
    for (int i = 0; i < 64; ++i) q6[i] = static_cast<float>(i - 32);
    g6 = {q6, 64, true};
    g4nl = {q4nl, 16, false};
    for (int k = 0; k < static_cast<int>(sizeof(q4nl_lut)); ++k) {
      const float x = -127.0f + 0.5f * k + 0.25f;  // bin centre
      int best = 0;
      for (int i = 1; i < 16; ++i)
        if (std::fabs(x - q4nl[i]) < std::fabs(x - q4nl[best])) best = i;
      q4nl_lut[k] = static_cast<uint8_t>(best);
    }
    g4nl.lut = q4nl_lut;
  }
};
const Grids& grids() {
  static const Grids g;
  return g;
}

inline float weight_at(const float* imp, int i) { return imp ? imp[i] : 1.0f; }

// Rounds every element to its nearest level under scale d; returns sum imp*w*L and imp*L^2.
void assign(const LevelGrid& g, const float* w, const float* imp, int n, float d, uint8_t* idx,
            double* sum_wl, double* sum_ll) {
  const float inv = d != 0.0f ? 1.0f / d : 0.0f;
  double wl = 0, ll = 0;
  for (int i = 0; i < n; ++i) {
    const int k = g.nearest(w[i] * inv);
    idx[i] = static_cast<uint8_t>(k);
    const double l = g.levels[k], c = weight_at(imp, i);
    wl += c * w[i] * l;
    ll += c * l * l;
  }
  *sum_wl = wl;
  *sum_ll = ll;
}

double sym_error(const LevelGrid& g, const float* w, const float* imp, int n, float d,
                 const uint8_t* idx) {
  double e = 0;
  for (int i = 0; i < n; ++i) {
    const double r = static_cast<double>(w[i]) - static_cast<double>(d * g.levels[idx[i]]);
    e += weight_at(imp, i) * r * r;
  }
  return e;
}

}  // namespace

int LevelGrid::nearest(float x) const {
  const float lo = levels[0], hi = levels[count - 1];
  if (!(x > lo)) return 0;  // also catches NaN (callers reject non-finite input earlier)
  if (x >= hi) return count - 1;
  if (uniform) return static_cast<int>(std::round(x - lo));
  if (lut) return lut[static_cast<int>(2.0f * (x - lo))];  // x - lo > 0: truncation is floor
  int a = 0, b = count - 1;  // levels[a] <= x < levels[b]
  while (b - a > 1) {
    const int m = (a + b) / 2;
    (levels[m] <= x ? a : b) = m;
  }
  return (x - levels[a] <= levels[b] - x) ? a : b;
}

const LevelGrid& grid_q8() { return grids().g8; }
const LevelGrid& grid_q4() { return grids().g4; }
const LevelGrid& grid_q4nl() { return grids().g4nl; }
const LevelGrid& grid_q6() { return grids().g6; }

uint16_t search_scale_sym(const LevelGrid& g, const float* w, const float* imp, int n,
                          float rtn_scale, const QuantOptions& opt, uint8_t* idx) {
  HEARTH_CHECK(n > 0 && n <= kMaxGroup, "group of {} elements", n);
  uint8_t cand[kMaxGroup];
  double wl, ll;
  // Candidate 0: RTN, measured exactly as stored.
  uint16_t best_bits = f32_to_f16(rtn_scale);
  assign(g, w, imp, n, f16_to_f32(best_bits), idx, &wl, &ll);
  if (!opt.search || rtn_scale == 0.0f) return best_bits;
  double best_err = sym_error(g, w, imp, n, f16_to_f32(best_bits), idx);

  float amax = 0.0f, mx = 0.0f;  // mx: the element of largest magnitude, with its sign
  for (int i = 0; i < n; ++i)
    if (std::fabs(w[i]) > amax) { amax = std::fabs(w[i]); mx = w[i]; }
  const float ends[2] = {g.levels[0], g.levels[g.count - 1]};
  const int n_sides = (ends[0] == -ends[1]) ? 1 : 2;  // symmetric grid: one side suffices
  const int nc = std::max(opt.n_candidates, 1);
  for (int side = 0; side < n_sides; ++side) {
    for (int t = 0; t < nc; ++t) {
      const float f = nc == 1 ? 1.0f : 1.0f + opt.search_range * (2.0f * t / (nc - 1) - 1.0f);
      float d = mx / (ends[side] * f);
      assign(g, w, imp, n, d, cand, &wl, &ll);
      for (int it = 0; it < opt.refine_iters && ll > 0; ++it) {
        d = static_cast<float>(wl / ll);  // least-squares scale for fixed levels
        assign(g, w, imp, n, d, cand, &wl, &ll);
      }
      if (ll > 0) d = static_cast<float>(wl / ll);
      const uint16_t bits = f32_to_f16(d);
      const float dh = f16_to_f32(bits);
      if (!std::isfinite(dh) || dh == 0.0f) continue;
      assign(g, w, imp, n, dh, cand, &wl, &ll);
      const double e = sym_error(g, w, imp, n, dh, cand);
      if (e < best_err) {
        best_err = e;
        best_bits = bits;
        std::copy(cand, cand + n, idx);
      }
    }
  }
  return best_bits;
}

namespace {

void assign_min(int nmax, const float* w, int n, float s, float m, uint8_t* q) {
  const float inv = s != 0.0f ? 1.0f / s : 0.0f;
  for (int i = 0; i < n; ++i) {
    const float x = std::clamp((w[i] - m) * inv, 0.0f, static_cast<float>(nmax));
    q[i] = static_cast<uint8_t>(std::round(x));
  }
}

double min_error(const float* w, const float* imp, int n, float s, float m, const uint8_t* q) {
  double e = 0;
  for (int i = 0; i < n; ++i) {
    const double r = static_cast<double>(w[i]) - static_cast<double>(s * q[i] + m);
    e += weight_at(imp, i) * r * r;
  }
  return e;
}

// Weighted least squares for (s, m) in w ~ s*q + m; false when the system is singular.
bool fit_min(const float* w, const float* imp, int n, const uint8_t* q, float* s, float* m) {
  double s0 = 0, s1 = 0, s2 = 0, t0 = 0, t1 = 0;
  for (int i = 0; i < n; ++i) {
    const double c = weight_at(imp, i), l = q[i];
    s0 += c; s1 += c * l; s2 += c * l * l; t0 += c * w[i]; t1 += c * l * w[i];
  }
  const double det = s0 * s2 - s1 * s1;
  if (!(det > 1e-12 * s0 * s2) || s0 <= 0) return false;
  *s = static_cast<float>((s0 * t1 - s1 * t0) / det);
  *m = static_cast<float>((s2 * t0 - s1 * t1) / det);
  return std::isfinite(*s) && std::isfinite(*m) && *s > 0;
}

}  // namespace

void search_scale_min(int nmax, const float* w, const float* imp, int n,
                      const QuantOptions& opt, uint16_t* scale_f16, uint16_t* min_f16,
                      uint8_t* q) {
  HEARTH_CHECK(n > 0 && n <= kMaxGroup && nmax > 0, "group of {} elements, nmax {}", n, nmax);
  float lo = w[0], hi = w[0];
  for (int i = 1; i < n; ++i) { lo = std::min(lo, w[i]); hi = std::max(hi, w[i]); }
  // Candidate 0: RTN (min = smallest element, scale spans the range), measured as stored.
  uint16_t sb = f32_to_f16((hi - lo) / nmax), mb = f32_to_f16(lo);
  assign_min(nmax, w, n, f16_to_f32(sb), f16_to_f32(mb), q);
  *scale_f16 = sb;
  *min_f16 = mb;
  if (!opt.search || hi == lo) return;
  double best = min_error(w, imp, n, f16_to_f32(sb), f16_to_f32(mb), q);
  uint8_t cand[kMaxGroup];
  const int nc = std::max(opt.n_candidates, 1);
  for (int t = 0; t < nc; ++t) {
    const float f = nc == 1 ? 1.0f : 1.0f + opt.search_range * (2.0f * t / (nc - 1) - 1.0f);
    float s = (hi - lo) / (nmax * f), m = lo;
    if (f > 1.0f) m = lo + 0.5f * (hi - lo - s * nmax);  // a finer grid: centre it, clip both ends
    assign_min(nmax, w, n, s, m, cand);
    for (int it = 0; it <= opt.refine_iters; ++it) {
      if (!fit_min(w, imp, n, cand, &s, &m)) break;
      if (it < opt.refine_iters) assign_min(nmax, w, n, s, m, cand);
    }
    const uint16_t sbits = f32_to_f16(s), mbits = f32_to_f16(m);
    const float sh = f16_to_f32(sbits), mh = f16_to_f32(mbits);
    if (!std::isfinite(sh) || !std::isfinite(mh) || sh <= 0.0f) continue;
    assign_min(nmax, w, n, sh, mh, cand);
    const double e = min_error(w, imp, n, sh, mh, cand);
    if (e < best) {
      best = e;
      *scale_f16 = sbits;
      *min_f16 = mbits;
      std::copy(cand, cand + n, q);
    }
  }
}

}  // namespace hearth
