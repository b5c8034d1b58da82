// Prefill matmuls through ops (threads, chunking, activation conversion, packed rows) as a
// whole-model prompt runs them: 512 tokens times one of Qwen3-0.6B's matrices, reported as
// int8-equivalent ops/s (compare with the int8 peak of `hearth bench --roofline`). The gap to
// BM_gemm64_r16 in bench_kernels.cpp (one thread, one L2-sized matrix) is what the split over
// threads, the activations' conversion and the token blocks cost. Threads: OMP_NUM_THREADS.
#include <benchmark/benchmark.h>

#include <random>
#include <string>
#include <vector>

#include "benchmarks/bench_weights.h"
#include "src/ops/ops.h"
#include "src/ops/packed_weights.h"

namespace hearth {
namespace {

void BM_prefill_matmul(benchmark::State& state) {
  const int64_t rows = state.range(0), cols = state.range(1), n_tok = state.range(2);
  const Format f = static_cast<Format>(state.range(3));
  const std::vector<uint8_t> bytes = bench::random_weights(f, rows, cols, 5);
  ops::PackedWeights store;
  const TensorView w = store.pack(bench::weights_view(f, rows, cols, bytes));
  std::mt19937 rng(6);
  std::normal_distribution<float> nd(0.0f, 0.05f);
  std::vector<float> x(static_cast<size_t>(n_tok * cols)), y(static_cast<size_t>(n_tok * rows));
  for (auto& e : x) e = nd(rng) * 20;
  for (auto _ : state) {
    ops::matmul(w, x.data(), n_tok, y.data());  // converts the activations each time, as a layer does
    benchmark::DoNotOptimize(y.data());
  }
  state.SetLabel(std::string(format_traits(f).name));
  state.counters["GOP/s"] = benchmark::Counter(2.0 * rows * cols * n_tok * state.iterations() / 1e9,
                                               benchmark::Counter::kIsRate);
}

// Qwen3-0.6B's q, k and v together, o_proj, gate (up is the same shape) and down_proj, 512 tokens.
void shapes(benchmark::internal::Benchmark* b) {
  for (Format f : {Format::kQ4G32NL, Format::kQ8G32})
    for (auto [rows, cols] : {std::pair{4096, 1024}, {1024, 2048}, {3072, 1024}, {1024, 3072}})
      b->Args({rows, cols, 512, static_cast<int64_t>(f)});
  b->UseRealTime();
}
BENCHMARK(BM_prefill_matmul)->Apply(shapes);

}  // namespace
}  // namespace hearth
