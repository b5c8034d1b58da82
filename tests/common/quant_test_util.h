// Shared helpers of the quant/ tests and benchmarks: the format lists, random weights of
// several distributions, lognormal importance, and a byte buffer with guard bytes.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "quant/format.h"

namespace hearth::test {

constexpr Format kQuantFormats[] = {Format::kQ8G32, Format::kQ4G32, Format::kQ4G32Z,
                                    Format::kQ4G32NL, Format::kQ6G32};
constexpr Format kFloatFormats[] = {Format::kF32, Format::kF16, Format::kBF16};
constexpr Format kAllFormats[] = {Format::kF32,   Format::kF16,    Format::kBF16,  Format::kQ8G32,
                                  Format::kQ4G32, Format::kQ4G32Z, Format::kQ4G32NL, Format::kQ6G32};

// "gaussian", "laplacian", "uniform", "outliers" (gaussian with 3% of values x20).
inline std::vector<float> random_weights(const std::string& dist, int64_t n, uint32_t seed,
                                         float scale = 1.0f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::exponential_distribution<float> expo(1.0f);
  std::uniform_real_distribution<float> uni(-1.0f, 1.0f);
  std::vector<float> w(static_cast<size_t>(n));
  for (auto& v : w) {
    if (dist == "gaussian") v = normal(rng);
    else if (dist == "laplacian") v = (uni(rng) < 0 ? -1.0f : 1.0f) * expo(rng);
    else if (dist == "uniform") v = uni(rng);
    else v = normal(rng) * (uni(rng) > 0.94f ? 20.0f : 1.0f);
    v *= scale;
  }
  return w;
}

// Per-element importance, lognormal (heavy spread like real activation statistics).
inline std::vector<float> random_importance(int64_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::lognormal_distribution<float> ln(0.0f, 1.5f);
  std::vector<float> imp(static_cast<size_t>(n));
  for (auto& v : imp) v = ln(rng);
  return imp;
}

// A byte buffer with kGuard guard bytes after `size` payload bytes.
struct Guarded {
  static constexpr size_t kGuard = 64;
  static constexpr uint8_t kFill = 0xA5;
  std::vector<uint8_t> bytes;
  size_t size;
  explicit Guarded(size_t n) : bytes(n + kGuard, kFill), size(n) {}
  uint8_t* data() { return bytes.data(); }
  bool guard_intact() const {
    for (size_t i = size; i < bytes.size(); ++i)
      if (bytes[i] != kFill) return false;
    return true;
  }
  float* floats() { return reinterpret_cast<float*>(bytes.data()); }
};

}  // namespace hearth::test
