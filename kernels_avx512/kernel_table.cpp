// Builds the kernel table once from the CPU's features (and HEARTH_ISA), logs the choice once.
#include "kernels_avx512/kernel_table.h"

#include <cstdlib>
#include <string_view>

#include "kernels_avx512/ref/ref_kernels.h"
#include "src/base/log.h"

namespace hearth::kernels {
namespace {

KernelTable build_reference() {
  KernelTable t;
  t.tier = "ref";
  ref::register_reference_kernels(t);
  return t;
}

KernelTable build_best() {
  KernelTable t = build_reference();
  const char* forced = std::getenv("HEARTH_ISA");
  if (forced && std::string_view(forced) != "ref")
    log::warn("HEARTH_ISA={} requested; tiers available in this build: ref", forced);
  log::info("kernel tier: {}", t.tier);
  return t;
}

}  // namespace

const KernelTable& reference_table() {
  static const KernelTable table = build_reference();
  return table;
}

const KernelTable& kernel_table() {
  static const KernelTable table = build_best();
  return table;
}

}  // namespace hearth::kernels
