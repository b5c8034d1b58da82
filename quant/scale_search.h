// Per-group scale search: given one group of weights, choose the stored fp16 scale (and
// minimum) and the level index of every element so that the importance-weighted squared
// error sum_i imp_i (w_i - wq_i)^2 is as small as the search can make it.
// Not here: byte packing (quant/codec_*.cpp) or choosing formats per tensor.
//
// Method (both searchers): evaluate the RTN candidate and a fan of candidate scales around it;
// for each, round every element to its nearest level, refit the scale (and minimum) by
// weighted least squares given those levels, re-round, refit again (refine_iters), then round
// the result to fp16 exactly as it will be stored, re-round the elements under the stored
// values and measure the weighted error. The best candidate wins. Because the RTN candidate is
// measured the same way, the result is never worse than RTN on the weighted metric.
// Related: ggml's make_qx_quants / make_qkx2_quants and quantize_row_iq4_nl_impl
// (llama.cpp ggml-quants.c), which fit the scale by least squares over a fan of tries.
#pragma once

#include <cstdint>

#include "quant/options.h"

namespace hearth {

// An ascending set of levels that a scale multiplies. Uniform grids (levels[i] = levels[0]+i)
// round directly; others use a binary search over the midpoints.
struct LevelGrid {
  const float* levels;  // [count], ascending
  int count;
  bool uniform;
  // Optional, for integer-valued non-uniform levels: index of the nearest level for each
  // half-unit bin, lut[floor(2x) - 2*levels[0]]; all midpoints fall on bin edges.
  const uint8_t* lut = nullptr;
  int nearest(float x) const;  // index of the level nearest to x (clamped to the ends)
};

const LevelGrid& grid_q8();    // -127..127  (index = q + 127)
const LevelGrid& grid_q4();    // -8..7      (index = nibble)
const LevelGrid& grid_q4nl();  // kCodebookQ4NL (index = nibble)
const LevelGrid& grid_q6();    // -32..31    (index = u)

// Symmetric formats: value = scale * levels[idx]. `rtn_scale` is the plain rule's scale
// (e.g. max|w|/127); with opt.search false it is the only candidate. imp may be null (all 1).
// Writes idx[n] and returns the fp16 bits of the stored scale.
uint16_t search_scale_sym(const LevelGrid& grid, const float* w, const float* imp, int n,
                          float rtn_scale, const QuantOptions& opt, uint8_t* idx);

// Asymmetric formats: value = scale * q + min, q in 0..nmax. Writes q[n] and the fp16 bits.
void search_scale_min(int nmax, const float* w, const float* imp, int n,
                      const QuantOptions& opt, uint16_t* scale_f16, uint16_t* min_f16,
                      uint8_t* q);

}  // namespace hearth
