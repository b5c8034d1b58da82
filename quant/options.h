// QuantOptions: how hard the quantizer searches. A plain value struct, no globals.
// Not here: which format a tensor gets (the converter decides) or the codecs themselves.
#pragma once

namespace hearth {

struct QuantOptions {
  // false: round-to-nearest with the format's plain scale rule (the RTN baseline callers
  // report against). true: per-group scale (and minimum) search minimising the
  // importance-weighted squared error sum_i imp_i (w_i - wq_i)^2.
  bool search = true;
  int n_candidates = 16;        // candidate scales per side of the grid around the RTN scale
  float search_range = 0.25f;   // candidates span (1 +- search_range) x the RTN divisor
  int refine_iters = 2;         // least-squares scale refits (re-rounding in between)
};

}  // namespace hearth
