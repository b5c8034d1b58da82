// How the KV cache stores its rows: float32, bfloat16, or int8 with one float16 scale per
// group of 32 values (symmetric, round to nearest). The model always computes in float32;
// rows are encoded when written and decoded when attention reads them, so the precision is
// a property of the cache alone. Row bytes come from kv_row_bytes, the one size function the
// cache's allocator and the memory report share.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace hearth {

enum class KvPrecision { kF32, kBf16, kQ8 };
inline constexpr KvPrecision kKvPrecisions[] = {KvPrecision::kF32, KvPrecision::kBf16, KvPrecision::kQ8};

inline constexpr int64_t kKvQ8Group = 32;

std::string_view kv_precision_name(KvPrecision p);
std::optional<KvPrecision> parse_kv_precision(std::string_view name);  // "f32", "bf16", "q8"

// Bytes of one stored row of `width` values. q8: width int8 values, then one float16 scale per
// group of 32 (the last group may be shorter).
int64_t kv_row_bytes(int64_t width, KvPrecision p);

// Encodes a row of `width` floats into kv_row_bytes(width, p) bytes at dst.
void kv_encode_row(const float* src, int64_t width, KvPrecision p, uint8_t* dst);

// Decodes values [offset, offset + count) of a stored row of `width` values into dst.
void kv_decode_range(const uint8_t* row, int64_t width, KvPrecision p, int64_t offset, int64_t count, float* dst);

}  // namespace hearth
