// Random weight matrices for the benchmarks: normal values (sigma 0.05) stored in a format by the
// reference codec, and the TensorView ops and the packer read them through.
#pragma once

#include <cstdint>
#include <random>
#include <vector>

#include "quant/codec.h"
#include "quant/tensor.h"

namespace hearth::bench {

inline std::vector<uint8_t> random_weights(Format f, int64_t rows, int64_t cols, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> nd(0.0f, 0.05f);
  std::vector<float> v(static_cast<size_t>(rows * cols));
  for (auto& x : v) x = nd(rng);
  std::vector<uint8_t> bytes(format_bytes(f, v.size()));
  (void)quantize_matrix(f, v.data(), rows, cols, bytes.data(), nullptr, QuantOptions{.search = false});
  return bytes;
}

inline TensorView weights_view(Format f, int64_t rows, int64_t cols, const std::vector<uint8_t>& bytes) {
  TensorView t;
  t.format = f;
  t.shape = {rows, cols};
  t.data = bytes.data();
  t.nbytes = bytes.size();
  return t;
}

}  // namespace hearth::bench
