// Codec rows for the block-quantized formats q8g32, q4g32, q4g32z, q4g32nl, q6g32: packing the levels
// chosen by the scale search (quant/scale_search.h) into the blocks of quant/blocks.h, and the
// reference dequantize / dot / int8-activation dot that kernels are tested against.
// Not here: the search itself, argument checks (codec.cpp), fast kernels.
#include <cmath>

#include "quant/codec_table.h"
#include "quant/scale_search.h"
#include "src/base/half.h"

namespace hearth {
namespace {

// One struct per format: its block, its level grid, the RTN scale rule, how to read a level.
struct Q8 {
  using Block = BlockQ8G32;
  static constexpr bool kHasMin = false;
  static const LevelGrid& grid() { return grid_q8(); }
  static float rtn_scale(float amax, float) { return amax / 127.0f; }  // ggml q8_0
  static int level(const Block& b, int i) { return b.q[i]; }
  static void store(Block& b, const uint8_t* idx) {
    for (int i = 0; i < kGroup32; ++i) b.q[i] = static_cast<int8_t>(idx[i] - 127);
  }
};
struct Q4 {
  using Block = BlockQ4G32;
  static constexpr bool kHasMin = false;
  static const LevelGrid& grid() { return grid_q4(); }
  static float rtn_scale(float, float mx) { return mx / -8.0f; }  // ggml q4_0: max|w| -> -8
  static int level(const Block& b, int i) { return nibble_at(b.q, i) - 8; }
  static void store(Block& b, const uint8_t* idx) { pack_nibbles(idx, b.q); }
};
struct Q4NL {
  using Block = BlockQ4G32NL;
  static constexpr bool kHasMin = false;
  static const LevelGrid& grid() { return grid_q4nl(); }
  static float rtn_scale(float, float mx) { return mx / -127.0f; }  // max|w| -> codebook end
  static int level(const Block& b, int i) { return kCodebookQ4NL[nibble_at(b.q, i)]; }
  static void store(Block& b, const uint8_t* idx) { pack_nibbles(idx, b.q); }
};
struct Q6 {
  using Block = BlockQ6G32;
  static constexpr bool kHasMin = false;
  static const LevelGrid& grid() { return grid_q6(); }
  static float rtn_scale(float, float mx) { return mx / -32.0f; }  // as q4g32: max|w| -> -32
  static int level(const Block& b, int i) { return six_at(b, i) - 32; }
  static void store(Block& b, const uint8_t* idx) { pack_six(idx, b); }
};
struct Q4Z {
  using Block = BlockQ4G32Z;
  static constexpr bool kHasMin = true;
  static int level(const Block& b, int i) { return nibble_at(b.q, i); }
};

template <class F>
float block_min(const typename F::Block& b) {
  if constexpr (F::kHasMin) return f16_to_f32(b.min_f16);
  else return 0.0f;
}

Status scale_overflow(int64_t at, float amax) {
  return Status::errorf("group at element {}: max |w| = {} needs a scale beyond the fp16 range;"
                        " store this tensor as f32 or bf16", at, amax);
}

template <class F>
Status quantize_sym(const float* src, int64_t n, void* dst, const float* imp,
                    const QuantOptions& opt) {
  auto* blocks = static_cast<typename F::Block*>(dst);
  uint8_t idx[kGroup32];
  for (int64_t b = 0; b < n / kGroup32; ++b) {
    const float* w = src + b * kGroup32;
    const float* c = imp ? imp + b * kGroup32 : nullptr;
    float amax = 0.0f, mx = 0.0f;
    for (int i = 0; i < kGroup32; ++i)
      if (std::fabs(w[i]) > amax) { amax = std::fabs(w[i]); mx = w[i]; }
    const uint16_t bits = search_scale_sym(F::grid(), w, c, kGroup32, F::rtn_scale(amax, mx), opt,
                                           idx);
    if (!std::isfinite(f16_to_f32(bits))) return scale_overflow(b * kGroup32, amax);
    blocks[b].scale_f16 = bits;
    F::store(blocks[b], idx);
  }
  return Status::ok();
}

Status quantize_q4z(const float* src, int64_t n, void* dst, const float* imp,
                    const QuantOptions& opt) {
  auto* blocks = static_cast<BlockQ4G32Z*>(dst);
  uint8_t q[kGroup32];
  for (int64_t b = 0; b < n / kGroup32; ++b) {
    const float* w = src + b * kGroup32;
    const float* c = imp ? imp + b * kGroup32 : nullptr;
    search_scale_min(15, w, c, kGroup32, opt, &blocks[b].scale_f16, &blocks[b].min_f16, q);
    if (!std::isfinite(f16_to_f32(blocks[b].scale_f16)) ||
        !std::isfinite(f16_to_f32(blocks[b].min_f16))) {
      float amax = 0.0f;
      for (int i = 0; i < kGroup32; ++i) amax = std::fmax(amax, std::fabs(w[i]));
      return scale_overflow(b * kGroup32, amax);
    }
    pack_nibbles(q, blocks[b].q);
  }
  return Status::ok();
}

template <class F>
void dequantize_blocks(const void* src, int64_t n, float* dst) {
  const auto* blocks = static_cast<const typename F::Block*>(src);
  for (int64_t b = 0; b < n / kGroup32; ++b) {
    const float d = f16_to_f32(blocks[b].scale_f16), m = block_min<F>(blocks[b]);
    for (int i = 0; i < kGroup32; ++i) dst[b * kGroup32 + i] = d * F::level(blocks[b], i) + m;
  }
}

// Per block: d * sum(level_i * x_i) (+ m * sum(x_i)) in float; blocks summed in double.
template <class F>
float dot_blocks(const void* row, const float* x, int64_t n) {
  const auto* blocks = static_cast<const typename F::Block*>(row);
  double acc = 0;
  for (int64_t b = 0; b < n / kGroup32; ++b) {
    const float* xb = x + b * kGroup32;
    float sum_lx = 0.0f, sum_x = 0.0f;
    for (int i = 0; i < kGroup32; ++i) {
      sum_lx += static_cast<float>(F::level(blocks[b], i)) * xb[i];
      sum_x += xb[i];
    }
    float part = f16_to_f32(blocks[b].scale_f16) * sum_lx;
    if constexpr (F::kHasMin) part += block_min<F>(blocks[b]) * sum_x;
    acc += part;
  }
  return static_cast<float>(acc);
}

// Per block: exact int32 sum(level_i * q_i) times d_w * d_x (+ m * d_x * sum(q_i)).
template <class F>
float dot_blocks_q8act(const void* row, const ActQ8G32* xq, int64_t n) {
  const auto* blocks = static_cast<const typename F::Block*>(row);
  double acc = 0;
  for (int64_t b = 0; b < n / kGroup32; ++b) {
    int32_t sum_lq = 0, sum_q = 0;
    for (int i = 0; i < kGroup32; ++i) {
      sum_lq += F::level(blocks[b], i) * xq[b].q[i];
      sum_q += xq[b].q[i];
    }
    float part = f16_to_f32(blocks[b].scale_f16) * xq[b].scale * static_cast<float>(sum_lq);
    if constexpr (F::kHasMin) part += block_min<F>(blocks[b]) * xq[b].scale * sum_q;
    acc += part;
  }
  return static_cast<float>(acc);
}

template <class F>
constexpr CodecOps sym_row() {
  return {quantize_sym<F>, dequantize_blocks<F>, dot_blocks<F>, dot_blocks_q8act<F>};
}

}  // namespace

const CodecOps kCodecQ8G32 = sym_row<Q8>();
const CodecOps kCodecQ4G32 = sym_row<Q4>();
const CodecOps kCodecQ4G32NL = sym_row<Q4NL>();
const CodecOps kCodecQ6G32 = sym_row<Q6>();
const CodecOps kCodecQ4G32Z = {quantize_q4z, dequantize_blocks<Q4Z>, dot_blocks<Q4Z>,
                               dot_blocks_q8act<Q4Z>};

}  // namespace hearth
