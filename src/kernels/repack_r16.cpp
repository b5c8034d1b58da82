// The r16 layout (repack_r16.h): canonical g32 blocks <-> 16-row interleaved groups.
#include "src/kernels/repack_r16.h"

#include <cstring>

#include "quant/blocks.h"
#include "src/base/size.h"

namespace hearth::kernels {
namespace {

constexpr int kScaleBytes = 2;   // float16 scale at the start of every canonical block
constexpr int kNibbleBytes = 16;  // canonical bytes [2, 18): split-half nibbles
constexpr int kHighBytes = 8;     // q6g32 bytes [18, 26): 2-bit high parts
constexpr int64_t kChunk = 64;    // 16 rows x 4 bytes

int block_bytes(Format f) { return f == Format::kQ8G32 ? 34 : f == Format::kQ6G32 ? 26 : 18; }
int64_t group_bytes(Format f) { return kPackRows * block_bytes(f); }

// Float formats: bytes of one element, 0 for the block formats.
int element_bytes(Format f) { return f == Format::kF32 ? 4 : (f == Format::kF16 || f == Format::kBF16) ? 2 : 0; }

// Element k of row r of a float block sits at (k * 16 + r) * e packed, (r * n_in + k) * e stored.
size_t packed_at(int r, int64_t k, int e) { return to_size((k * kPackRows + r) * e); }
size_t stored_at(int r, int64_t k, int64_t n_in, int e) { return to_size((r * n_in + k) * e); }

// High 2 bits of element e of a canonical q6g32 block's qh (quant/blocks.h six_at).
int high2(const uint8_t* qh, int e) { return (qh[e % 8] >> (2 * (e / 8))) & 3; }

void pack_group(Format f, const uint8_t* const* blocks, uint8_t* out) {
  for (int r = 0; r < kPackRows; ++r) {
    std::memcpy(out + kScaleBytes * r, blocks[r], kScaleBytes);
    if (f == Format::kQ8G32) {
      for (int k = 0; k < 16; ++k) std::memcpy(out + 32 + 32 * k + 2 * r, blocks[r] + kScaleBytes + 2 * k, 2);
      continue;
    }
    for (int c = 0; c < 4; ++c)
      std::memcpy(out + 32 + kChunk * c + 4 * r, blocks[r] + kScaleBytes + 4 * c, 4);
    if (f != Format::kQ6G32) continue;
    const uint8_t* qh = blocks[r] + kScaleBytes + kNibbleBytes;
    for (int h = 0; h < 2; ++h)
      for (int b = 0; b < 4; ++b) {
        int v = 0;
        for (int fld = 0; fld < 4; ++fld) v |= high2(qh, 16 * h + 4 * fld + b) << (2 * fld);
        out[32 + 4 * kChunk + kChunk * h + 4 * r + b] = static_cast<uint8_t>(v);
      }
  }
}

void unpack_group(Format f, const uint8_t* in, uint8_t* const* blocks) {
  for (int r = 0; r < kPackRows; ++r) {
    std::memcpy(blocks[r], in + kScaleBytes * r, kScaleBytes);
    if (f == Format::kQ8G32) {
      for (int k = 0; k < 16; ++k) std::memcpy(blocks[r] + kScaleBytes + 2 * k, in + 32 + 32 * k + 2 * r, 2);
      continue;
    }
    for (int c = 0; c < 4; ++c)
      std::memcpy(blocks[r] + kScaleBytes + 4 * c, in + 32 + kChunk * c + 4 * r, 4);
    if (f != Format::kQ6G32) continue;
    uint8_t* qh = blocks[r] + kScaleBytes + kNibbleBytes;
    std::memset(qh, 0, kHighBytes);
    for (int h = 0; h < 2; ++h)
      for (int b = 0; b < 4; ++b) {
        const int v = in[32 + 4 * kChunk + kChunk * h + 4 * r + b];
        for (int fld = 0; fld < 4; ++fld) {
          const int e = 16 * h + 4 * fld + b;
          qh[e % 8] = static_cast<uint8_t>(qh[e % 8] | (((v >> (2 * fld)) & 3) << (2 * (e / 8))));
        }
      }
  }
}

}  // namespace

bool r16_format(Format f) {
  return f == Format::kQ4G32 || f == Format::kQ4G32NL || f == Format::kQ6G32 || f == Format::kQ8G32 ||
         element_bytes(f) > 0;
}

size_t r16_bytes(Format f, int64_t n_out, int64_t n_in) {
  if (const int e = element_bytes(f)) return to_size(n_out / kPackRows * kPackRows * n_in * e);
  return to_size(n_out / kPackRows * (n_in / kGroup32) * group_bytes(f));
}

void repack_r16(Format f, const uint8_t* data, int64_t n_in, int64_t block_begin, int64_t block_end,
                uint8_t* out) {
  if (const int e = element_bytes(f)) {
    const int64_t bytes = kPackRows * n_in * e;
    for (int64_t blk = block_begin; blk < block_end; ++blk)
      for (int r = 0; r < kPackRows; ++r)
        for (int64_t k = 0; k < n_in; ++k)
          std::memcpy(out + blk * bytes + packed_at(r, k, e), data + blk * bytes + stored_at(r, k, n_in, e), to_size(e));
    return;
  }
  const int64_t groups = n_in / kGroup32, row_bytes = groups * block_bytes(f);
  for (int64_t blk = block_begin; blk < block_end; ++blk)
    for (int64_t g = 0; g < groups; ++g) {
      const uint8_t* blocks[kPackRows];
      for (int r = 0; r < kPackRows; ++r)
        blocks[r] = data + (blk * kPackRows + r) * row_bytes + g * block_bytes(f);
      pack_group(f, blocks, out + (blk * groups + g) * group_bytes(f));
    }
}

void unpack_r16(Format f, const uint8_t* packed, int64_t n_in, int64_t block, uint8_t* rows) {
  if (const int e = element_bytes(f)) {
    const uint8_t* in = packed + block * kPackRows * n_in * e;
    for (int r = 0; r < kPackRows; ++r)
      for (int64_t k = 0; k < n_in; ++k)
        std::memcpy(rows + stored_at(r, k, n_in, e), in + packed_at(r, k, e), to_size(e));
    return;
  }
  const int64_t groups = n_in / kGroup32, row_bytes = groups * block_bytes(f);
  for (int64_t g = 0; g < groups; ++g) {
    uint8_t* blocks[kPackRows];
    for (int r = 0; r < kPackRows; ++r) blocks[r] = rows + r * row_bytes + g * block_bytes(f);
    unpack_group(f, packed + (block * groups + g) * group_bytes(f), blocks);
  }
}

}  // namespace hearth::kernels
