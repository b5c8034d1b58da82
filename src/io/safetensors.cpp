#include "src/io/safetensors.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <vector>

#include <nlohmann/json.hpp>

#include "src/base/size.h"

namespace hearth {
namespace {

constexpr uint64_t kMaxHeaderBytes = 100ull << 20;  // same bound as the reference library

struct DtypeInfo {
  const char* name;
  size_t bytes;
  bool supported;
  Format format;
};

constexpr DtypeInfo kDtypes[] = {
    {"F32", 4, true, Format::kF32},   {"F16", 2, true, Format::kF16},
    {"BF16", 2, true, Format::kBF16}, {"F64", 8, false, Format::kF32},
    {"I64", 8, false, Format::kF32},  {"I32", 4, false, Format::kF32},
    {"I16", 2, false, Format::kF32},  {"I8", 1, false, Format::kF32},
    {"U8", 1, false, Format::kF32},   {"BOOL", 1, false, Format::kF32},
    {"F8_E4M3", 1, false, Format::kF32}, {"F8_E5M2", 1, false, Format::kF32},
};

const DtypeInfo* find_dtype(const std::string& s) {
  for (const auto& d : kDtypes)
    if (s == d.name) return &d;
  return nullptr;
}

// Multiplies with overflow detection.
bool mul_ok(uint64_t a, uint64_t b, uint64_t* out) {
  if (a != 0 && b > std::numeric_limits<uint64_t>::max() / a) return false;
  *out = a * b;
  return true;
}

}  // namespace

size_t safetensors_dtype_bytes(const std::string& dtype) {
  const DtypeInfo* d = find_dtype(dtype);
  return d ? d->bytes : 0;
}

Result<SafetensorsIndex> SafetensorsIndex::parse(std::span<const uint8_t> bytes,
                                                 const std::string& name) {
  auto fail = [&](const std::string& why) {
    return Status::errorf("{}: not a valid safetensors file: {}", name, why);
  };
  if (bytes.size() < 8) return fail(fmt::format("file is {} bytes, shorter than the 8-byte header length", bytes.size()));
  uint64_t header_len = 0;
  for (int i = 7; i >= 0; --i) header_len = (header_len << 8) | bytes[to_size(i)];
  if (header_len > kMaxHeaderBytes)
    return fail(fmt::format("header length {} exceeds the {} byte limit", header_len, kMaxHeaderBytes));
  if (header_len > bytes.size() - 8)
    return fail(fmt::format("header length {} runs past the end of the {}-byte file (truncated?)",
                            header_len, bytes.size()));
  const char* hdr = reinterpret_cast<const char*>(bytes.data() + 8);
  nlohmann::json j = nlohmann::json::parse(hdr, hdr + header_len, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return fail("header is not valid JSON");
  if (!j.is_object()) return fail("header JSON is not an object");

  const uint8_t* data = bytes.data() + 8 + header_len;
  const uint64_t data_size = bytes.size() - 8 - header_len;

  SafetensorsIndex index;
  struct Span { uint64_t begin, end; const std::string* name; };
  std::vector<Span> spans;
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string& key = it.key();
    const nlohmann::json& v = it.value();
    if (key == "__metadata__") {
      if (!v.is_object()) return fail("__metadata__ is not an object");
      for (auto m = v.begin(); m != v.end(); ++m)
        index.metadata_[m.key()] = m.value().is_string() ? m.value().get<std::string>() : m.value().dump();
      continue;
    }
    auto tfail = [&](const std::string& why) { return fail(fmt::format("tensor '{}': {}", key, why)); };
    if (!v.is_object()) return tfail("entry is not an object");
    if (!v.contains("dtype") || !v["dtype"].is_string()) return tfail("missing string 'dtype'");
    if (!v.contains("shape") || !v["shape"].is_array()) return tfail("missing array 'shape'");
    if (!v.contains("data_offsets") || !v["data_offsets"].is_array() || v["data_offsets"].size() != 2)
      return tfail("missing 'data_offsets' [begin, end]");
    const std::string dtype = v["dtype"].get<std::string>();
    const DtypeInfo* dt = find_dtype(dtype);
    if (!dt) return tfail(fmt::format("unknown dtype '{}'", dtype));
    uint64_t numel = 1;
    std::vector<int64_t> shape;
    for (const auto& d : v["shape"]) {
      if (!d.is_number_unsigned()) return tfail("shape has a negative or non-integer dimension");
      const uint64_t dim = d.get<uint64_t>();
      if (dim > (1ull << 40) || !mul_ok(numel, dim, &numel)) return tfail("shape is too large");
      shape.push_back(static_cast<int64_t>(dim));
    }
    const auto& off = v["data_offsets"];
    if (!off[0].is_number_unsigned() || !off[1].is_number_unsigned())
      return tfail("data_offsets are not non-negative integers");
    const uint64_t begin = off[0].get<uint64_t>(), end = off[1].get<uint64_t>();
    if (begin > end) return tfail(fmt::format("data_offsets [{}, {}] are reversed", begin, end));
    if (end > data_size)
      return tfail(fmt::format("data_offsets end {} is past the {} data bytes in the file (truncated?)",
                               end, data_size));
    uint64_t expect = 0;
    if (!mul_ok(numel, dt->bytes, &expect)) return tfail("shape is too large");
    if (expect != end - begin)
      return tfail(fmt::format("shape {} of {} needs {} bytes but data_offsets span {} bytes",
                               v["shape"].dump(), dtype, expect, end - begin));
    SafetensorsEntry e;
    e.dtype = dtype;
    e.supported = dt->supported;
    e.view.name = key;
    e.view.format = dt->format;
    e.view.shape = std::move(shape);
    e.view.data = data + begin;
    e.view.nbytes = end - begin;
    auto [pos, inserted] = index.tensors_.emplace(key, std::move(e));
    if (!inserted) return tfail("appears twice");
    if (begin != end) spans.push_back({begin, end, &pos->first});
  }
  std::sort(spans.begin(), spans.end(), [](const Span& a, const Span& b) { return a.begin < b.begin; });
  for (size_t i = 1; i < spans.size(); ++i)
    if (spans[i].begin < spans[i - 1].end)
      return fail(fmt::format("tensors '{}' and '{}' overlap in the data section", *spans[i - 1].name,
                              *spans[i].name));
  return index;
}

}  // namespace hearth
