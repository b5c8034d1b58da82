// The end-of-conversion summary printed by `hearth convert` (see convert.h: summarize).
#include <algorithm>
#include <map>
#include <set>

#include <fmt/format.h>

#include "src/convert/convert.h"

namespace hearth::convert {

std::string summarize(const ConvertReport& r) {
  struct ClassSum {
    int64_t tensors = 0, params = 0, fallbacks = 0, escalated = 0;
    uint64_t bytes = 0;
    double err_weighted = 0, err_max = 0;
    std::set<std::string> formats;
  };
  std::map<int, ClassSum> by_class;
  int64_t params = 0;
  for (const TensorReport& t : r.tensors) {
    int64_t n = 1;
    for (int64_t d : t.shape) n *= d;
    ClassSum& c = by_class[static_cast<int>(t.cls)];
    ++c.tensors;
    c.params += n;
    c.bytes += t.bytes;
    c.err_weighted += t.rel_rmse * static_cast<double>(n);
    c.err_max = std::max(c.err_max, t.rel_rmse);
    c.fallbacks += t.fallback;
    c.escalated += t.escalated;
    c.formats.insert(std::string(format_traits(t.format).name));
    params += n;
  }
  std::string s = r.budget + fmt::format("policy: {}\n", r.policy);
  if (r.calib_tokens > 0) s += fmt::format("calibration: {} tokens\n", r.calib_tokens);
  s += fmt::format("{:<15} {:>7} {:>11} {:>11} {:>6}  {:>10} {:>10}  {}\n", "class", "tensors",
                   "params", "bytes", "bpw", "rel_rmse", "max", "formats");
  for (const auto& [cls, c] : by_class) {
    std::string formats;
    for (const auto& f : c.formats) formats += (formats.empty() ? "" : ",") + f;
    s += fmt::format("{:<15} {:>7} {:>11} {:>11} {:>6.2f}  {:>10.2e} {:>10.2e}  {}{}{}\n",
                     class_name(static_cast<TensorClass>(cls)), c.tensors, c.params, c.bytes,
                     8.0 * double(c.bytes) / double(std::max<int64_t>(c.params, 1)),
                     c.err_weighted / double(std::max<int64_t>(c.params, 1)), c.err_max, formats,
                     c.fallbacks ? fmt::format(" ({} kept float: row not a multiple of the block)", c.fallbacks) : "",
                     c.escalated ? fmt::format(" ({} escalated by --max-error)", c.escalated) : "");
  }
  const double overhead = r.tensor_bytes ? double(r.file_bytes) / double(r.tensor_bytes) - 1.0 : 0.0;
  s += fmt::format("total: {} params, {} tensor bytes ({:.3f} bpw), file {} bytes ({:+.2f}% over "
                   "the tensors: header, metadata incl. tokenizer, table, alignment), {:.1f} s\n",
                   params, r.tensor_bytes, 8.0 * double(r.tensor_bytes) / double(std::max<int64_t>(params, 1)),
                   r.file_bytes, 100.0 * overhead, r.seconds);
  std::vector<const TensorReport*> worst;
  for (const TensorReport& t : r.tensors)
    if (format_traits(t.format).quantized || t.escalated || t.fallback) worst.push_back(&t);
  std::sort(worst.begin(), worst.end(), [](auto* a, auto* b) { return a->rel_rmse > b->rel_rmse; });
  for (size_t i = 0; i < worst.size() && i < 5; ++i)
    s += fmt::format("  worst {}: {} {} rel_rmse {:.3e} max_abs {:.3e}{}{}\n", i + 1, worst[i]->name,
                     format_traits(worst[i]->format).name, worst[i]->rel_rmse, worst[i]->max_abs,
                     worst[i]->escalated ? " (escalated)" : "", worst[i]->fallback ? " (float fallback)" : "");
  for (const TensorReport& t : r.tensors)
    if (t.fallback)
      s += fmt::format("  kept float: {} {} (row length {} is not a multiple of the block)\n", t.name,
                       format_traits(t.format).name, t.shape.back());
  return s;
}

}  // namespace hearth::convert
