// Builds the kernel table once from the CPU's features (and HEARTH_ISA), logs the choice once.
// Tiers, lowest first: ref (scalar definitions) < avx2 (xsimd) < avx512 (F/BW/VL float
// kernels) < avx512vnni (integer kernels) on x86-64 (cpuid); ref < neon (xsimd and NEON
// kernels) < neondot (integer kernels on the dot-product extension) on AArch64 (hwcaps).
// HEARTH_ISA=<tier> caps the tier; asking for a tier the CPU lacks falls back to the best one
// it has, with a warning.
#include "src/dispatch/kernel_dispatch.h"

#include <array>
#include <cstdlib>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

#if defined(__x86_64__) || defined(__i386__)
#include "kernels_avx512/x86_tiers.h"
#elif defined(__aarch64__)
#include <asm/hwcap.h>
#include <sys/auxv.h>

#include "kernels_arm/arm_tiers.h"
#endif
#include "src/base/log.h"
#include "src/base/size.h"
#include "src/base/status.h"

namespace hearth::kernels {
namespace {

struct Tier {
  const char* name;
  bool (*supported)();
  void (*add)(KernelTable&);
};

#if defined(__x86_64__) || defined(__i386__)
bool has_avx2() {
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
         __builtin_cpu_supports("f16c");
}
bool has_avx512() {
  return has_avx2() && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
         __builtin_cpu_supports("avx512vl");
}
bool has_avx512vnni() { return has_avx512() && __builtin_cpu_supports("avx512vnni"); }
constexpr Tier kTiers[] = {
    {"avx2", has_avx2, register_avx2},
    {"avx512", has_avx512, register_avx512},
    {"avx512vnni", has_avx512vnni, register_avx512vnni},
};
#elif defined(__aarch64__)
bool has_neon() { return (getauxval(AT_HWCAP) & HWCAP_ASIMD) != 0; }  // hwcaps: Advanced SIMD
bool has_neondot() { return has_neon() && (getauxval(AT_HWCAP) & HWCAP_ASIMDDP) != 0; }  // sdot/udot
constexpr Tier kTiers[] = {
    {"neon", has_neon, register_neon},
    {"neondot", has_neondot, register_neondot},
};
#else
constexpr std::array<Tier, 0> kTiers{};  // the reference tier alone
#endif
constexpr int kTierCount = static_cast<int>(std::size(kTiers));

// The table with every tier up to and including kTiers[last] (last = -1: reference only).
KernelTable build_up_to(int last) {
  KernelTable t = reference_table();
  for (int i = 0; i <= last; ++i) {
    kTiers[i].add(t);
    t.tier = kTiers[i].name;
  }
  return t;
}

int best_supported() {
  int best = -1;
  for (int i = 0; i < kTierCount && kTiers[i].supported(); ++i) best = i;
  return best;
}

KernelTable build_best() {
  int last = best_supported();
  if (const char* forced = std::getenv("HEARTH_ISA"); forced && *forced) {
    const std::string_view want(forced);
    int found = want == "ref" ? -1 : -2;
    for (int i = 0; i < kTierCount; ++i)
      if (want == kTiers[i].name) found = i;
    if (found == -2)
      log::warn("HEARTH_ISA={}: unknown tier (expected ref or one of this build's: {}); using the best", forced,
                tier_names());
    else if (found > last)
      log::warn("HEARTH_ISA={}: this CPU lacks it; using the best it has", forced);
    else
      last = found;
  }
  KernelTable t = build_up_to(last);
#if defined(__x86_64__) || defined(__i386__)
  if (has_avx512vnni()) t.roofline = {read_sum_avx512, int8_peak_avx512vnni};  // probes, any tier
#endif
  log::info("kernel tier: {}", t.tier);
  return t;
}

const std::vector<KernelTable>& all_tables() {
  static const std::vector<KernelTable> tables = [] {
    std::vector<KernelTable> v;
    for (int i = -1; i <= best_supported(); ++i) v.push_back(build_up_to(i));
    return v;
  }();
  return tables;
}

}  // namespace

int table_count() { return static_cast<int>(all_tables().size()); }

const KernelTable& table_at(int i) {
  HEARTH_CHECK(i >= 0 && i < table_count(), "kernel table {} of {}", i, table_count());
  return all_tables()[to_size(i)];
}

const KernelTable& kernel_table() {
  static const KernelTable table = build_best();
  return table;
}

std::string tier_names() {
  std::string names;
  for (const Tier& t : kTiers) names += (names.empty() ? "" : ", ") + std::string(t.name);
  return names;
}

}  // namespace hearth::kernels
