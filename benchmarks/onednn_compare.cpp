// Prefill GEMM: oneDNN against Hearth's own kernels on the same shapes (the kernels issue asks
// to use oneDNN where it measures faster). One thread, Google Benchmark, ops/s counting one
// multiply-add as 2 ops. oneDNN's integer GEMM (u8 x s8 -> s32) has no per-32-column block
// scales, so it cannot compute Hearth's formats: its row is the ceiling of a plain int8 GEMM
// (no scales at all), not a drop-in. Its f32 GEMM is a drop-in for float weights.
// Built only where oneDNN (libdnnl-dev) is installed; not part of the test suite.
#include <benchmark/benchmark.h>
#include <dnnl.h>
#include <omp.h>

#include <random>
#include <vector>

#include "src/dispatch/kernel_dispatch.h"
#include "src/kernels/repack_r16.h"
#include "quant/codec.h"

namespace hearth::kernels {
namespace {

struct Shape {
  int64_t tokens, n_in, n_out;
};
// Qwen3-MoE expert up projection and Qwen3-0.6B FFN up projection, 128 prompt tokens.
constexpr Shape kShapes[] = {{128, 2048, 768}, {128, 1024, 3072}};

std::vector<float> normal(size_t n, float scale, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> nd(0.0f, scale);
  std::vector<float> v(n);
  for (auto& x : v) x = nd(rng);
  return v;
}

void count(benchmark::State& state, const Shape& s) {
  state.counters["GOP/s"] = benchmark::Counter(2.0 * s.tokens * s.n_in * s.n_out * state.iterations() / 1e9,
                                               benchmark::Counter::kIsRate);
}

void BM_onednn_f32(benchmark::State& state) {
  omp_set_num_threads(1);
  const Shape s = kShapes[state.range(0)];
  const auto x = normal(static_cast<size_t>(s.tokens * s.n_in), 1.0f, 1), w = normal(static_cast<size_t>(s.n_out * s.n_in), 0.05f, 2);
  std::vector<float> y(static_cast<size_t>(s.tokens * s.n_out));
  for (auto _ : state) {
    dnnl_sgemm('N', 'T', s.tokens, s.n_out, s.n_in, 1.0f, x.data(), s.n_in, w.data(), s.n_in, 0.0f, y.data(), s.n_out);
    benchmark::DoNotOptimize(y.data());
  }
  count(state, s);
}

void BM_onednn_u8s8s32(benchmark::State& state) {
  omp_set_num_threads(1);
  const Shape s = kShapes[state.range(0)];
  std::vector<uint8_t> x(static_cast<size_t>(s.tokens * s.n_in), 100);
  std::vector<int8_t> w(static_cast<size_t>(s.n_out * s.n_in), -3);
  std::vector<int32_t> y(static_cast<size_t>(s.tokens * s.n_out));
  const int32_t co = 0;
  for (auto _ : state) {
    dnnl_gemm_u8s8s32('N', 'T', 'F', s.tokens, s.n_out, s.n_in, 1.0f, x.data(), s.n_in, 0, w.data(), s.n_in, 0, 0.0f,
                      y.data(), s.n_out, &co);
    benchmark::DoNotOptimize(y.data());
  }
  count(state, s);
}

// Hearth: format f through the best tier's kernel (packed rows where the tier has them).
void hearth_gemm(benchmark::State& state, Format f) {
  const KernelTable& t = kernel_table();
  const Shape s = kShapes[state.range(0)];
  const auto xf = normal(static_cast<size_t>(s.tokens * s.n_in), 1.0f, 1), wf = normal(static_cast<size_t>(s.n_out * s.n_in), 0.05f, 2);
  std::vector<uint8_t> w(format_bytes(f, wf.size()));
  (void)quantize_matrix(f, wf.data(), s.n_out, s.n_in, w.data(), nullptr, QuantOptions{.search = false});
  WeightRows rows{w.data(), static_cast<int64_t>(format_bytes(f, static_cast<size_t>(s.n_in))), s.n_out, s.n_in, f};
  const int fi = static_cast<int>(f);
  GemmFn fn = t.gemm[fi];
  ActForm form = t.act_form[fi];
  std::vector<uint8_t> packed;
  if (t.gemm_r16[fi] != nullptr) {
    packed.resize(r16_bytes(f, s.n_out, s.n_in));
    repack_r16(f, w.data(), s.n_in, 0, s.n_out / kPackRows, packed.data());
    rows.packed = packed.data();
    fn = t.gemm_r16[fi];
    form = t.act_form_r16[fi];
  }
  const int64_t g = s.n_in / 32;
  std::vector<int8_t> q8(xf.size());
  std::vector<int16_t> q16(xf.size());
  std::vector<float> d(static_cast<size_t>(s.tokens * g)), ds(d.size());
  std::vector<int32_t> qsum(d.size());
  ActView act{form, s.tokens, s.n_in, xf.data(), s.n_in, nullptr, nullptr, nullptr, s.n_in, g};
  for (int64_t i = 0; i < s.tokens; ++i) {
    if (form == ActForm::kQ8G32) {
      t.prepare_q8(xf.data() + i * s.n_in, s.n_in, q8.data() + i * s.n_in, d.data() + i * g, ds.data() + i * g,
                   qsum.data() + i * g);
    } else if (form == ActForm::kQ16G32) {
      t.prepare_q16(xf.data() + i * s.n_in, s.n_in, q16.data() + i * s.n_in, d.data() + i * g);
    }
  }
  act.q = q8.data();
  act.q16 = q16.data();
  act.d = d.data();
  act.ds = ds.data();
  act.qsum = qsum.data();
  std::vector<float> y(static_cast<size_t>(s.tokens * s.n_out));
  for (auto _ : state) {
    fn(rows, act, y.data(), s.n_out, 0, s.n_out);
    benchmark::DoNotOptimize(y.data());
  }
  state.SetLabel(t.tier + (rows.packed ? " packed" : ""));
  count(state, s);
}

void BM_hearth_f32(benchmark::State& s) { hearth_gemm(s, Format::kF32); }
void BM_hearth_bf16(benchmark::State& s) { hearth_gemm(s, Format::kBF16); }
void BM_hearth_q8g32(benchmark::State& s) { hearth_gemm(s, Format::kQ8G32); }
void BM_hearth_q4g32nl(benchmark::State& s) { hearth_gemm(s, Format::kQ4G32NL); }

BENCHMARK(BM_onednn_f32)->Arg(0)->Arg(1);
BENCHMARK(BM_onednn_u8s8s32)->Arg(0)->Arg(1);
BENCHMARK(BM_hearth_f32)->Arg(0)->Arg(1);
BENCHMARK(BM_hearth_bf16)->Arg(0)->Arg(1);
BENCHMARK(BM_hearth_q8g32)->Arg(0)->Arg(1);
BENCHMARK(BM_hearth_q4g32nl)->Arg(0)->Arg(1);

}  // namespace
}  // namespace hearth::kernels
