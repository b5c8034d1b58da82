// Codec rows for the plain float formats f32, f16, bf16 (round to nearest even on narrowing;
// conversions from src/base/half.h). Importance and search options do not apply.
// Not here: quantized formats (codec_int.cpp).
#include <cmath>
#include <cstring>

#include "quant/codec_table.h"
#include "src/base/half.h"
#include "src/base/size.h"

namespace hearth {
namespace {

Status quantize_f32(const float* src, int64_t n, void* dst, const float*, const QuantOptions&) {
  std::memcpy(dst, src, to_size(n) * sizeof(float));
  return Status::ok();
}
void dequantize_f32(const void* src, int64_t n, float* dst) {
  std::memcpy(dst, src, to_size(n) * sizeof(float));
}
float dot_f32(const void* row, const float* x, int64_t n) {
  const auto* w = static_cast<const float*>(row);
  double acc = 0;
  for (int64_t i = 0; i < n; ++i) acc += static_cast<double>(w[i]) * x[i];
  return static_cast<float>(acc);
}

template <uint16_t (*kNarrow)(float), float (*kWiden)(uint16_t)>
struct Half {
  static Status quantize(const float* src, int64_t n, void* dst, const float*,
                         const QuantOptions&) {
    auto* h = static_cast<uint16_t*>(dst);
    for (int64_t i = 0; i < n; ++i) {
      h[i] = kNarrow(src[i]);
      if (!std::isfinite(kWiden(h[i])))
        return Status::errorf("element {} = {} is outside the range of the 16-bit format;"
                              " store this tensor as f32 or a quantized format", i, src[i]);
    }
    return Status::ok();
  }
  static void dequantize(const void* src, int64_t n, float* dst) {
    const auto* h = static_cast<const uint16_t*>(src);
    for (int64_t i = 0; i < n; ++i) dst[i] = kWiden(h[i]);
  }
  static float dot(const void* row, const float* x, int64_t n) {
    const auto* h = static_cast<const uint16_t*>(row);
    double acc = 0;
    for (int64_t i = 0; i < n; ++i) acc += static_cast<double>(kWiden(h[i])) * x[i];
    return static_cast<float>(acc);
  }
};
using F16 = Half<f32_to_f16, f16_to_f32>;
using BF16 = Half<f32_to_bf16, bf16_to_f32>;

}  // namespace

const CodecOps kCodecF32 = {quantize_f32, dequantize_f32, dot_f32, nullptr};
const CodecOps kCodecF16 = {F16::quantize, F16::dequantize, F16::dot, nullptr};
const CodecOps kCodecBF16 = {BF16::quantize, BF16::dequantize, BF16::dot, nullptr};

}  // namespace hearth
