// Reader of the safetensors format (Hugging Face): an 8-byte little-endian header length,
// a JSON header {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {...}},
// then the raw tensor bytes. The whole header is validated before any data is touched:
// length, JSON, dtype, shape x dtype size == byte span, spans inside the file, no overlaps.
// Not here: which tensors a model needs (models/), converting dtypes (ops/kernels), writing
// (safetensors_writer.h).
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>

#include "quant/tensor.h"
#include "src/base/status.h"

namespace hearth {

struct SafetensorsEntry {
  std::string dtype;  // as written in the header (F32, F16, BF16, I64, ...)
  bool supported = false;  // dtype maps onto a Format we can compute with
  TensorView view;         // valid when supported
};

// Bytes per element of a header dtype (F32: 4, BF16: 2, U8: 1, ...); 0 for an unknown one.
size_t safetensors_dtype_bytes(const std::string& dtype);

class SafetensorsIndex {
 public:
  // Parses and validates `bytes` (the whole file). `name` is used in error messages.
  static Result<SafetensorsIndex> parse(std::span<const uint8_t> bytes, const std::string& name);

  const std::map<std::string, SafetensorsEntry>& tensors() const { return tensors_; }
  const std::map<std::string, std::string>& metadata() const { return metadata_; }

 private:
  std::map<std::string, SafetensorsEntry> tensors_;
  std::map<std::string, std::string> metadata_;
};

}  // namespace hearth
