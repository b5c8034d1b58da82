// Decode matmuls through ops (threads, the byte split, packed rows) as a whole-model decode runs
// them: one token times one matrix after another, each matrix read once from DRAM (copies cycle
// through 512 MiB, past any cache). Reported as weight bytes/s: compare with the DRAM read
// bandwidth of `hearth bench --roofline`; the gap between small and large matrices is the fixed
// cost of one call (hand-off to the threads, the wait for the last block, the prefetch stream
// starting again). Threads: OMP_NUM_THREADS.
#include <benchmark/benchmark.h>

#include <cstring>
#include <deque>
#include <random>
#include <vector>

#include "benchmarks/bench_weights.h"
#include "src/dispatch/kernel_dispatch.h"
#include "src/ops/ops.h"
#include "src/ops/packed_weights.h"

namespace hearth {
namespace {

constexpr size_t kWorkingSet = size_t{512} << 20;

// kernel_only: the packed kernel over all rows on the calling thread, without ops (no
// threads, no planning, activations converted once).
void decode_matmul(benchmark::State& state, bool kernel_only) {
  const int64_t rows = state.range(0), cols = state.range(1);
  const Format f = Format::kQ4G32NL;
  const std::vector<uint8_t> one = bench::random_weights(f, rows, cols, 3);
  std::mt19937 rng(4);
  std::normal_distribution<float> nd(0.0f, 0.05f);
  const size_t copies = std::max<size_t>(2, kWorkingSet / one.size());
  std::deque<std::vector<uint8_t>> bytes;
  ops::PackedWeights store;
  std::vector<TensorView> ws;
  for (size_t i = 0; i < copies; ++i) {
    bytes.emplace_back(one);
    ws.push_back(store.pack(bench::weights_view(f, rows, cols, bytes.back())));
  }
  std::vector<float> x(static_cast<size_t>(cols)), y(static_cast<size_t>(rows));
  for (auto& e : x) e = nd(rng);
  for (const TensorView& w : ws) ops::matmul(w, x.data(), 1, y.data());  // packs every copy
  size_t i = 0;
  if (kernel_only) {
    const kernels::KernelTable& t = kernels::kernel_table();
    const kernels::GemmFn fn = t.gemm_r16[static_cast<int>(f)];
    if (fn == nullptr || ws[0].packed == nullptr) {
      state.SkipWithError("no packed kernel in this tier");
      return;
    }
    ops::PreparedInput in(x.data(), 1, cols);
    const kernels::ActView& act = in.view(t.act_form_r16[static_cast<int>(f)]);
    for (auto _ : state) {
      fn(kernels::weight_rows(ws[i]), act, y.data(), rows, 0, rows / 16 * 16);
      i = (i + 1) % ws.size();
      benchmark::DoNotOptimize(y.data());
    }
  } else {
    // In a thread team, as a forward pass runs its matmuls (ops::with_team).
    ops::with_team(ops::num_threads(), [&] {
      for (auto _ : state) {
        ops::matmul(ws[i], x.data(), 1, y.data());
        i = (i + 1) % ws.size();
        benchmark::DoNotOptimize(y.data());
      }
    });
  }
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(one.size()));
}

void BM_decode_matmul(benchmark::State& state) { decode_matmul(state, false); }
void BM_decode_kernel(benchmark::State& state) { decode_matmul(state, true); }

// Qwen3-0.6B's decode matrices: o_proj, down_proj, gate_proj, q_proj, and its LM head.
void shapes(benchmark::internal::Benchmark* b) {
  b->Args({1024, 2048})->Args({1024, 3072})->Args({3072, 1024})->Args({4096, 1024})->Args({151936, 1024})->UseRealTime();
}
BENCHMARK(BM_decode_matmul)->Apply(shapes);
BENCHMARK(BM_decode_kernel)->Apply(shapes);

}  // namespace
}  // namespace hearth
