// The codec table and the public entry points of quant/codec.h: argument checks done once here,
// then one indexed call into the format's row of the table (no per-format switches).
// Not here: the per-format arithmetic (codec_float.cpp, codec_int.cpp, scale_search.cpp).
#include "quant/codec.h"

#include <cmath>
#include <vector>

#include "quant/codec_table.h"
#include "quant/error.h"
#include "src/base/size.h"

namespace hearth {
namespace {

// Indexed by Format; order must match the enum (checked in codec_ops).
constexpr const CodecOps* kCodecs[] = {&kCodecF32,  &kCodecF16,   &kCodecBF16,   &kCodecQ8G32,
                                       &kCodecQ4G32, &kCodecQ4G32Z, &kCodecQ4G32NL,
                                       &kCodecQ6G32};
static_assert(sizeof(kCodecs) / sizeof(kCodecs[0]) == static_cast<size_t>(Format::kCount),
              "one codec row per format");

const CodecOps& codec_ops(Format f) {
  const auto i = static_cast<size_t>(f);
  HEARTH_CHECK(i < static_cast<size_t>(Format::kCount), "bad format {}", i);
  return *kCodecs[i];
}

Status check_length(Format f, int64_t n) {
  const FormatTraits& t = format_traits(f);
  if (n < 0 || n % t.block_elements != 0)
    return Status::errorf("{}: row length {} is not a multiple of the block size {}; "
                          "choose a format with a smaller block (e.g. f16 or bf16)",
                          t.name, n, t.block_elements);
  return Status::ok();
}

void check_length_or_die(Format f, int64_t n) {
  const Status s = check_length(f, n);
  HEARTH_CHECK(s.is_ok(), "{}", s.message());
}

Status check_importance(const float* imp, int64_t n) {
  if (!imp) return Status::ok();
  for (int64_t i = 0; i < n; ++i)
    if (!(imp[i] >= 0.0f) || !std::isfinite(imp[i]))
      return Status::errorf("importance[{}] = {}: importance weights must be finite and >= 0",
                            i, imp[i]);
  return Status::ok();
}

}  // namespace

Status quantize_row(Format f, const float* src, int64_t n, void* dst, const float* importance,
                    const QuantOptions& opt) {
  HEARTH_TRY(check_length(f, n));
  HEARTH_TRY(check_finite(src, n, "row"));
  HEARTH_TRY(check_importance(importance, n));
  return codec_ops(f).quantize(src, n, dst, importance, opt);
}

Status quantize_matrix(Format f, const float* src, int64_t rows, int64_t cols, void* dst,
                       const float* importance, const QuantOptions& opt) {
  HEARTH_TRY(check_length(f, cols));
  HEARTH_TRY(check_importance(importance, cols));
  const size_t row_bytes = format_bytes(f, to_size(cols));
  const CodecOps& ops = codec_ops(f);
  std::vector<Status> row_status(to_size(rows));
#pragma omp parallel for schedule(dynamic, 16)
  for (int64_t r = 0; r < rows; ++r) {
    const float* row = src + r * cols;
    Status s = check_finite(row, cols, "row");
    if (s.is_ok()) s = ops.quantize(row, cols, static_cast<uint8_t*>(dst) + r * row_bytes,
                                    importance, opt);
    row_status[to_size(r)] = std::move(s);
  }
  for (int64_t r = 0; r < rows; ++r)
    if (!row_status[to_size(r)].is_ok())
      return row_status[to_size(r)].with_context(fmt::format("row {} of {}", r, rows));
  return Status::ok();
}

void dequantize_row(Format f, const void* src, int64_t n, float* dst) {
  check_length_or_die(f, n);
  codec_ops(f).dequantize(src, n, dst);
}

float dot_row(Format f, const void* row, const float* x, int64_t n) {
  check_length_or_die(f, n);
  return codec_ops(f).dot(row, x, n);
}

Status quantize_activations_q8(const float* x, int64_t n, ActQ8G32* dst) {
  if (n < 0 || n % kGroup32 != 0)
    return Status::errorf("q8 activations: length {} is not a multiple of {}", n, kGroup32);
  HEARTH_TRY(check_finite(x, n, "activations"));
  for (int64_t b = 0; b < n / kGroup32; ++b) {
    const float* xb = x + b * kGroup32;
    float amax = 0.0f;
    for (int i = 0; i < kGroup32; ++i) amax = std::fmax(amax, std::fabs(xb[i]));
    const float d = amax / 127.0f;  // ggml quantize_row_q8_0_ref: id = 1/d, q = round(x*id)
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    dst[b].scale = d;
    for (int i = 0; i < kGroup32; ++i)
      dst[b].q[i] = static_cast<int8_t>(std::fmax(-127.0f, std::fmin(127.0f, std::round(xb[i] * id))));
  }
  return Status::ok();
}

float dot_row_q8act(Format f, const void* row, const ActQ8G32* xq, int64_t n) {
  check_length_or_die(f, n);
  HEARTH_CHECK(n % kGroup32 == 0, "q8 activations need a multiple of {}, got {}", kGroup32, n);
  const CodecOps& ops = codec_ops(f);
  if (ops.dot_q8act) return ops.dot_q8act(row, xq, n);
  std::vector<float> x(to_size(n));  // float formats: dequantized activations
  for (int64_t i = 0; i < n; ++i) x[i] = xq[i / kGroup32].scale * xq[i / kGroup32].q[i % kGroup32];
  return ops.dot(row, x.data(), n);
}

}  // namespace hearth
