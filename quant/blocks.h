// Block layouts of the quantized formats: one packed struct per format, its byte layout,
// its size (static_assert) and its bits per weight. These are the canonical on-disk blocks;
// kernels that want an interleaved layout repack into their own structs.
// Not here: how blocks are filled (quant/codec_*.cpp) or the format table (quant/format.h).
#pragma once

#include <cstdint>

namespace hearth {

constexpr int kGroup32 = 32;  // elements per block of every *g32 format, along a row

// q8g32: int8 symmetric, 32 elements, fp16 scale. 34 bytes / 32 = 8.5 bpw.
//   bytes [0,2)  scale  fp16 (little endian)
//   bytes [2,34) q[i]   int8 in [-127, 127], element i of the group
//   value(i) = scale * q[i]
struct BlockQ8G32 {
  uint16_t scale_f16;
  int8_t q[kGroup32];
};
static_assert(sizeof(BlockQ8G32) == 34, "q8g32 block is 34 bytes (8.5 bpw)");

// q4g32: int4 symmetric, 32 elements, fp16 scale. 18 bytes / 32 = 4.5 bpw.
//   bytes [0,2)  scale  fp16
//   bytes [2,18) q[j]   low nibble = element j, high nibble = element j + 16 (j in 0..15)
//   value(i) = scale * (nibble(i) - 8), nibble in 0..15 (so -8..7 times scale)
// The split-half nibble order is the one SIMD kernels prefer: one AND gives elements 0..15,
// one shift gives 16..31 (same as ggml's block_q4_0).
struct BlockQ4G32 {
  uint16_t scale_f16;
  uint8_t q[kGroup32 / 2];
};
static_assert(sizeof(BlockQ4G32) == 18, "q4g32 block is 18 bytes (4.5 bpw)");

// q4g32z: int4 asymmetric (scale + minimum), 32 elements. 20 bytes / 32 = 5.0 bpw.
//   bytes [0,2)  scale  fp16
//   bytes [2,4)  min    fp16
//   bytes [4,20) q[j]   nibble order as q4g32
//   value(i) = scale * nibble(i) + min, nibble in 0..15
struct BlockQ4G32Z {
  uint16_t scale_f16;
  uint16_t min_f16;
  uint8_t q[kGroup32 / 2];
};
static_assert(sizeof(BlockQ4G32Z) == 20, "q4g32z block is 20 bytes (5.0 bpw)");

// q4g32nl: 4-bit indices into a fixed non-uniform 16-level codebook, 32 elements, fp16 scale.
// 18 bytes / 32 = 4.5 bpw. Same bytes as q4g32; only the meaning of a nibble differs.
//   bytes [0,2)  scale  fp16
//   bytes [2,18) q[j]   nibble order as q4g32
//   value(i) = scale * kCodebookQ4NL[nibble(i)]
// The codebook is ggml's kvalues_iq4nl (ggml-common.h, block_iq4_nl), so files written in
// this format and IQ4_NL blocks decode identically; our scale search is our own.
struct BlockQ4G32NL {
  uint16_t scale_f16;
  uint8_t q[kGroup32 / 2];
};
static_assert(sizeof(BlockQ4G32NL) == 18, "q4g32nl block is 18 bytes (4.5 bpw)");

inline constexpr int8_t kCodebookQ4NL[16] = {-127, -104, -83, -65, -49, -35, -22, -10,
                                             1,    13,   25,  38,  53,  69,  89,  113};

// q6g32: int6 symmetric, 32 elements, fp16 scale. 26 bytes / 32 = 6.5 bpw. For the tensors a
// 4-bit file cannot afford to round coarsely (embedding, LM head) at less than 8-bit cost.
//   bytes [2,18)  ql[j]  low 4 bits of u(i) = level(i) + 32, nibble order as q4g32
//   bytes [18,26) qh[k]  high 2 bits of u(k), u(k + 8), u(k + 16), u(k + 24) at bits 0, 2, 4, 6
//   value(i) = scale * (u(i) - 32), u in 0..63 (so -32..31 times scale)
struct BlockQ6G32 {
  uint16_t scale_f16;
  uint8_t ql[kGroup32 / 2];
  uint8_t qh[kGroup32 / 4];
};
static_assert(sizeof(BlockQ6G32) == 26, "q6g32 block is 26 bytes (6.5 bpw)");

// Nibble helpers for the split-half order shared by all 4-bit g32 formats.
inline int nibble_at(const uint8_t* q, int i) {
  return i < kGroup32 / 2 ? (q[i] & 0x0f) : (q[i - kGroup32 / 2] >> 4);
}
inline void pack_nibbles(const uint8_t* idx /*[32] values 0..15*/, uint8_t* q /*[16]*/) {
  for (int j = 0; j < kGroup32 / 2; ++j)
    q[j] = static_cast<uint8_t>((idx[j] & 0x0f) | ((idx[j + kGroup32 / 2] & 0x0f) << 4));
}

// q6g32's u(i) in 0..63 and its packing.
inline int six_at(const BlockQ6G32& b, int i) {
  return nibble_at(b.ql, i) | (((b.qh[i % 8] >> (2 * (i / 8))) & 3) << 4);
}
inline void pack_six(const uint8_t* u /*[32] values 0..63*/, BlockQ6G32& b) {
  pack_nibbles(u, b.ql);
  for (int k = 0; k < kGroup32 / 4; ++k)
    b.qh[k] = static_cast<uint8_t>((u[k] >> 4) | ((u[k + 8] >> 4) << 2) | ((u[k + 16] >> 4) << 4) |
                                   ((u[k + 24] >> 4) << 6));
}

}  // namespace hearth
