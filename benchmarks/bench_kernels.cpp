// Google Benchmark per kernel family: every tier's gemm for the hot formats, as GEMV (one
// token, reported as weight bytes/s: compare with DRAM and L2 read bandwidth) and as GEMM over
// a 64-token tile (reported as int8-equivalent ops/s: compare with the vpdpbusd peak). One
// thread; the weight matrix is 4096 x 2048 (L3/DRAM-sized) for GEMV and 256 x 2048 for GEMM.
// Not here: whole-model speed (hearth bench).
#include <benchmark/benchmark.h>

#include <random>
#include <vector>

#include "src/dispatch/kernel_dispatch.h"
#include "src/kernels/repack_r16.h"
#include "quant/codec.h"

namespace hearth::kernels {
namespace {

struct Setup {
  std::vector<uint8_t> w;
  std::vector<float> x;
  std::vector<int8_t> q;
  std::vector<float> d, ds;
  std::vector<int32_t> qsum;
  std::vector<int16_t> q16;
  ActView act{};
  WeightRows rows{};
};

Setup make(const KernelTable& t, Format f, int64_t n_out, int64_t n_in, int64_t n_tok, bool packed) {
  Setup s;
  std::mt19937 rng(7);
  std::normal_distribution<float> nd(0.0f, 0.05f);
  std::vector<float> wf(static_cast<size_t>(n_out * n_in));
  for (auto& v : wf) v = nd(rng);
  s.w.resize(format_bytes(f, wf.size()));
  (void)quantize_matrix(f, wf.data(), n_out, n_in, s.w.data(), nullptr, QuantOptions{.search = false});
  s.x.resize(static_cast<size_t>(n_tok * n_in));
  for (auto& v : s.x) v = nd(rng) * 20;
  s.rows = WeightRows{s.w.data(), static_cast<int64_t>(format_bytes(f, static_cast<size_t>(n_in))), n_out, n_in, f};
  s.act = ActView{packed ? t.act_form_r16[static_cast<int>(f)] : t.act_form[static_cast<int>(f)], n_tok, n_in, s.x.data(), n_in, nullptr, nullptr, nullptr, 0, 0};
  if (s.act.form == ActForm::kQ8G32) {
    s.q.resize(s.x.size());
    s.d.resize(static_cast<size_t>(n_tok * n_in / 32));
    s.ds.resize(s.d.size());
    s.qsum.resize(s.d.size());
    for (int64_t i = 0; i < n_tok; ++i) {
      t.prepare_q8(s.x.data() + i * n_in, n_in, s.q.data() + i * n_in, s.d.data() + i * n_in / 32,
                   s.ds.data() + i * n_in / 32, s.qsum.data() + i * n_in / 32);
    }
    s.act.qsum = s.qsum.data();
    s.act.q = s.q.data();
    s.act.d = s.d.data();
    s.act.ds = s.ds.data();
    s.act.ld_q = n_in;
    s.act.ld_d = n_in / 32;
  }
  if (s.act.form == ActForm::kQ16G32) {
    s.q16.resize(s.x.size());
    s.d.resize(static_cast<size_t>(n_tok * n_in / 32));
    for (int64_t i = 0; i < n_tok; ++i)
      t.prepare_q16(s.x.data() + i * n_in, n_in, s.q16.data() + i * n_in, s.d.data() + i * n_in / 32);
    s.act.q16 = s.q16.data();
    s.act.d = s.d.data();
    s.act.ld_q = n_in;
    s.act.ld_d = n_in / 32;
  }
  return s;
}

// packed: the tier's kernel over r16-repacked rows (skipped where the tier has none).
void run(benchmark::State& state, Format f, int64_t n_tok, bool packed = false) {
  const KernelTable& t = table_at(static_cast<int>(state.range(0)));
  const int64_t n_out = n_tok == 1 ? 4096 : 256, n_in = 2048;
  Setup s = make(t, f, n_out, n_in, n_tok, packed);
  GemmFn fn = t.gemm[static_cast<int>(f)];
  std::vector<uint8_t> packed_rows;
  if (packed) {
    fn = t.gemm_r16[static_cast<int>(f)];
    if (fn == nullptr) {
      state.SkipWithError("no packed kernel in this tier");
      return;
    }
    packed_rows.resize(r16_bytes(f, n_out, n_in));
    repack_r16(f, s.w.data(), n_in, 0, n_out / kPackRows, packed_rows.data());
    s.rows.packed = packed_rows.data();
  }
  std::vector<float> y(static_cast<size_t>(n_tok * n_out));
  for (auto _ : state) {
    fn(s.rows, s.act, y.data(), n_out, 0, n_out);
    benchmark::DoNotOptimize(y.data());
  }
  state.SetLabel(t.tier);
  if (n_tok == 1)
    state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(s.w.size()));
  else
    state.counters["GOP/s"] = benchmark::Counter(2.0 * n_out * n_in * n_tok * state.iterations() / 1e9,
                                                 benchmark::Counter::kIsRate);
}

void tiers(benchmark::internal::Benchmark* b) {
  for (int i = 1; i < table_count(); ++i) b->Arg(i);  // the reference tier is far slower
}

#define HEARTH_KERNEL_BENCH(fmt)                                                                  \
  void BM_gemv_##fmt(benchmark::State& s) { run(s, Format::k##fmt, 1); }                         \
  void BM_gemm64_##fmt(benchmark::State& s) { run(s, Format::k##fmt, 64); }                      \
  BENCHMARK(BM_gemv_##fmt)->Apply(tiers);                                                         \
  BENCHMARK(BM_gemm64_##fmt)->Apply(tiers);

#define HEARTH_PACKED_BENCH(fmt)                                                                  \
  void BM_gemv_r16_##fmt(benchmark::State& s) { run(s, Format::k##fmt, 1, true); }               \
  void BM_gemm64_r16_##fmt(benchmark::State& s) { run(s, Format::k##fmt, 64, true); }            \
  BENCHMARK(BM_gemv_r16_##fmt)->Apply(tiers);                                                     \
  BENCHMARK(BM_gemm64_r16_##fmt)->Apply(tiers);

// Activation preparation for the int8 kernels (f32 -> int8 groups, scales and sums) over 64
// rows of 3072 values (Qwen3-0.6B's down_proj input): every prefill matmul's input goes through
// it. Reported as input values/s.
void BM_prepare_q8(benchmark::State& state) {
  const KernelTable& t = table_at(static_cast<int>(state.range(0)));
  const int64_t n = 3072, rows = 64, groups = n / 32;
  std::mt19937 rng(9);
  std::normal_distribution<float> nd(0.0f, 1.0f);
  std::vector<float> x(static_cast<size_t>(rows * n));
  for (auto& v : x) v = nd(rng);
  std::vector<int8_t> q(x.size());
  std::vector<float> d(static_cast<size_t>(rows * groups)), ds(d.size());
  std::vector<int32_t> qsum(d.size());
  for (auto _ : state) {
    for (int64_t r = 0; r < rows; ++r)
      t.prepare_q8(x.data() + r * n, n, q.data() + r * n, d.data() + r * groups, ds.data() + r * groups, qsum.data() + r * groups);
    benchmark::DoNotOptimize(q.data());
  }
  state.SetLabel(t.tier);
  state.SetItemsProcessed(state.iterations() * rows * n);
}
BENCHMARK(BM_prepare_q8)->Apply(tiers);

HEARTH_KERNEL_BENCH(BF16)
HEARTH_KERNEL_BENCH(Q8G32)
HEARTH_KERNEL_BENCH(Q4G32)
HEARTH_KERNEL_BENCH(Q4G32Z)
HEARTH_KERNEL_BENCH(Q4G32NL)
HEARTH_KERNEL_BENCH(Q6G32)
HEARTH_PACKED_BENCH(Q4G32NL)
HEARTH_PACKED_BENCH(Q8G32)
HEARTH_PACKED_BENCH(Q6G32)

}  // namespace
}  // namespace hearth::kernels
