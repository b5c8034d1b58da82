// Builds the kernel table once from the CPU's features (and HEARTH_ISA), logs the choice once.
// Tiers, lowest first: ref (scalar definitions) < avx2 (xsimd) < avx512 (F/BW/VL float
// kernels) < avx512vnni (integer kernels) on x86-64 (cpuid); ref < neon (xsimd and NEON
// kernels) < neondot (integer kernels on the dot-product extension) on AArch64 (hwcaps).
// HEARTH_ISA=<tier> caps the tier; asking for a tier the CPU lacks falls back to the best one
// it has, with a warning.
#include "kernels_avx512/kernel_table.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdlib>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

#if defined(__aarch64__)
#include <asm/hwcap.h>
#include <sys/auxv.h>
#endif

#include "kernels_avx512/isa_tiers.h"
#include "kernels_avx512/ref/ref_kernels.h"
#include "src/base/log.h"
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

KernelTable build_reference() {
  KernelTable t;
  t.tier = "ref";
  t.prepare_q16 = prepare_q16;
  ref::register_reference_kernels(t);
  ref::register_reference_gemm(t);
  return t;
}

// The table with every tier up to and including kTiers[last] (last = -1: reference only).
KernelTable build_up_to(int last) {
  KernelTable t = build_reference();
  for (int i = 0; i <= last; ++i) {
    kTiers[i].add(t);
    t.tier = kTiers[i].name;
  }
  return t;
}

std::string tier_names() {
  std::string names;
  for (const Tier& t : kTiers) names += (names.empty() ? "" : ", ") + std::string(t.name);
  return names;
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

const KernelTable& reference_table() { return all_tables().front(); }

int table_count() { return static_cast<int>(all_tables().size()); }

const KernelTable& table_at(int i) {
  HEARTH_CHECK(i >= 0 && i < table_count(), "kernel table {} of {}", i, table_count());
  return all_tables()[static_cast<size_t>(i)];
}

const KernelTable& kernel_table() {
  static const KernelTable table = build_best();
  return table;
}

WeightRows weight_rows(const TensorView& w) {
  return WeightRows{w.data, static_cast<int64_t>(w.row_bytes()), w.rows(), w.cols(), w.format, w.packed};
}

void set_gemm(KernelTable& t, Format f, GemmFn fn, ActForm form) {
  t.gemm[static_cast<int>(f)] = fn;
  t.act_form[static_cast<int>(f)] = form;
}
void set_gemm_r16(KernelTable& t, Format f, GemmFn fn, ActForm form) {
  t.gemm_r16[static_cast<int>(f)] = fn;
  t.act_form_r16[static_cast<int>(f)] = form;
}

void prepare_q16(const float* x, int64_t n, int16_t* q, float* d) {
  for (int64_t g = 0; g < n / 32; ++g) {
    float amax = 0.0f;
    for (int i = 0; i < 32; ++i) amax = std::max(amax, std::fabs(x[32 * g + i]));
    const float scale = amax / 32767.0f, inv = scale > 0.0f ? 1.0f / scale : 0.0f;
    for (int i = 0; i < 32; ++i) q[32 * g + i] = static_cast<int16_t>(std::lrint(x[32 * g + i] * inv));
    d[g] = scale;
  }
}
void set_prepare_q8(KernelTable& t, PrepareQ8Fn fn) { t.prepare_q8 = fn; }
void set_prepare_q16(KernelTable& t, PrepareQ16Fn fn) { t.prepare_q16 = fn; }
void set_row_ops(KernelTable& t, const RowOps& ops) {
  // A tier replaces the helpers it has and keeps the lower tier's others.
  if (ops.rms_norm) t.row.rms_norm = ops.rms_norm;
  if (ops.swiglu) t.row.swiglu = ops.swiglu;
  if (ops.axpy) t.row.axpy = ops.axpy;
  if (ops.dot) t.row.dot = ops.dot;
  if (ops.dot_rows) t.row.dot_rows = ops.dot_rows;
  if (ops.weighted_sum_rows) t.row.weighted_sum_rows = ops.weighted_sum_rows;
  if (ops.attend) t.row.attend = ops.attend;
  if (ops.attend_rows) t.row.attend_rows = ops.attend_rows;
  if (ops.attend_rows_bf16) t.row.attend_rows_bf16 = ops.attend_rows_bf16;
}

namespace ref {
MatmulFn reference_table_matmul(Format f) {
  static const KernelTable table = build_reference();
  return table.matmul[static_cast<int>(f)];
}
}  // namespace ref

}  // namespace hearth::kernels
