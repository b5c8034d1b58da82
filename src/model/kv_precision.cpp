#include "src/model/kv_precision.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "src/base/half.h"
#include "src/base/size.h"

namespace hearth {

std::string_view kv_precision_name(KvPrecision p) {
  switch (p) {
    case KvPrecision::kF32: return "f32";
    case KvPrecision::kBf16: return "bf16";
    case KvPrecision::kQ8: return "q8";
  }
  return "?";
}

std::optional<KvPrecision> parse_kv_precision(std::string_view name) {
  for (KvPrecision p : kKvPrecisions)
    if (name == kv_precision_name(p)) return p;
  return std::nullopt;
}

namespace {

int64_t q8_groups(int64_t width) { return (width + kKvQ8Group - 1) / kKvQ8Group; }

}  // namespace

int64_t kv_row_bytes(int64_t width, KvPrecision p) {
  switch (p) {
    case KvPrecision::kF32: return width * 4;
    case KvPrecision::kBf16: return width * 2;
    case KvPrecision::kQ8: return width + q8_groups(width) * 2;
  }
  return 0;
}

void kv_encode_row(const float* src, int64_t width, KvPrecision p, uint8_t* dst) {
  switch (p) {
    case KvPrecision::kF32:
      std::memcpy(dst, src, to_size(width) * 4);
      return;
    case KvPrecision::kBf16:
      for (int64_t i = 0; i < width; ++i) {
        const uint16_t h = f32_to_bf16(src[i]);
        std::memcpy(dst + 2 * i, &h, 2);
      }
      return;
    case KvPrecision::kQ8: {
      auto* q = reinterpret_cast<int8_t*>(dst);
      uint8_t* scales = dst + width;
      for (int64_t g = 0; g < q8_groups(width); ++g) {
        const int64_t a = g * kKvQ8Group, b = std::min(width, a + kKvQ8Group);
        float amax = 0;
        for (int64_t i = a; i < b; ++i) amax = std::max(amax, std::fabs(src[i]));
        // The scale is stored as float16; quantize with the rounded scale so decode matches.
        const uint16_t d16 = f32_to_f16(amax / 127.0f);
        const float d = f16_to_f32(d16);
        const float inv = d > 0 ? 1.0f / d : 0.0f;
        for (int64_t i = a; i < b; ++i)
          q[i] = static_cast<int8_t>(std::clamp(std::nearbyint(src[i] * inv), -127.0f, 127.0f));
        std::memcpy(scales + 2 * g, &d16, 2);
      }
      return;
    }
  }
}

void kv_decode_range(const uint8_t* row, int64_t width, KvPrecision p, int64_t offset, int64_t count, float* dst) {
  switch (p) {
    case KvPrecision::kF32:
      std::memcpy(dst, row + 4 * offset, to_size(count) * 4);
      return;
    case KvPrecision::kBf16:
      for (int64_t i = 0; i < count; ++i) {
        uint16_t h;
        std::memcpy(&h, row + 2 * (offset + i), 2);
        dst[i] = bf16_to_f32(h);
      }
      return;
    case KvPrecision::kQ8: {
      const auto* q = reinterpret_cast<const int8_t*>(row);
      const uint8_t* scales = row + width;
      for (int64_t i = offset; i < offset + count;) {
        const int64_t g = i / kKvQ8Group, end = std::min(offset + count, (g + 1) * kKvQ8Group);
        uint16_t d16;
        std::memcpy(&d16, scales + 2 * g, 2);
        const float d = f16_to_f32(d16);
        for (; i < end; ++i) dst[i - offset] = d * static_cast<float>(q[i]);
      }
      return;
    }
  }
}

}  // namespace hearth
