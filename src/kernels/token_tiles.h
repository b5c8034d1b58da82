// The token loop of every tiled matrix kernel: whole tiles of kMax tokens, then one tile of the
// remainder, where the tile size is a template parameter (accumulators live in registers).
// `tile` is a generic lambda, [&]<int T>(int64_t t0) { ... }.
// Safe to include from per-ISA files: each file instantiates these with its own lambdas, whose
// types are local to that file, so no instantiation is shared between files built with
// different ISA flags (kernel_types.h says why that matters).
#pragma once

#include <cstdint>

namespace hearth::kernels {

template <int T, class Tile>
inline void remainder_tile(int64_t left, int64_t t0, const Tile& tile) {
  if constexpr (T > 0) {
    if (left == T)
      tile.template operator()<T>(t0);
    else
      remainder_tile<T - 1>(left, t0, tile);
  }
}

template <int kMax, class Tile>
inline void for_token_tiles(int64_t n_tok, const Tile& tile) {
  int64_t t = 0;
  for (; t + kMax <= n_tok; t += kMax) tile.template operator()<kMax>(t);
  remainder_tile<kMax - 1>(n_tok - t, t, tile);
}

}  // namespace hearth::kernels
