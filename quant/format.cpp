#include "quant/format.h"

#include "src/base/status.h"

namespace hearth {
namespace {

constexpr FormatTraits kFormats[] = {
    {Format::kF32, "f32", 1, 4, false},
    {Format::kF16, "f16", 1, 2, false},
    {Format::kBF16, "bf16", 1, 2, false},
    {Format::kQ8G32, "q8g32", 32, 34, true},
    {Format::kQ4G32, "q4g32", 32, 18, true},
    {Format::kQ4G32Z, "q4g32z", 32, 20, true},
    {Format::kQ4G32NL, "q4g32nl", 32, 18, true},
    {Format::kQ6G32, "q6g32", 32, 26, true},
};
static_assert(sizeof(kFormats) / sizeof(kFormats[0]) == static_cast<size_t>(Format::kCount));

}  // namespace

const FormatTraits& format_traits(Format f) {
  const auto i = static_cast<size_t>(f);
  HEARTH_CHECK(i < static_cast<size_t>(Format::kCount), "bad format {}", i);
  HEARTH_CHECK(kFormats[i].format == f, "format table out of order");
  return kFormats[i];
}

std::optional<Format> format_from_name(std::string_view name) {
  for (const auto& t : kFormats)
    if (t.name == name) return t.format;
  return std::nullopt;
}

}  // namespace hearth

#include "quant/tensor.h"

namespace hearth {

std::string TensorView::shape_string() const {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

}  // namespace hearth
