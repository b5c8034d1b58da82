// to_size(n): a signed count or index as size_t, for sizing and indexing std containers.
// It exists because model code counts in signed int64_t, as the dims are spelled (n_embd,
// n_rows, n_expert...), while containers take size_t: one short call instead of a cast at
// every vector size and subscript. Not a checked conversion: a negative n is a programmer
// error, asserted in debug builds only (compiles to the plain cast in Release). Not for
// pointer differences, enums, floats, or values a user controls (validate those first).
#pragma once

#include <cassert>
#include <concepts>
#include <cstddef>
#include <type_traits>

namespace hearth {

template <std::integral I>
constexpr size_t to_size(I n) {
  if constexpr (std::is_signed_v<I>) assert(n >= 0);
  return static_cast<size_t>(n);
}

}  // namespace hearth
