// Decode attention over a float32 KV cache (the kernel tier's attend_rows): one query row of
// Qwen3-0.6B's shape (16 query heads over 8 KV heads of 128) against N cached positions, in runs
// of 64 as AttentionGqa::attend_decode calls it, one thread. Each iteration reads another
// layer's rows (copies cycle through 256 MiB, past any cache), as decode does once the weights
// have gone through the caches. Reported as KV bytes/s; BM_attend_read_only streams the same
// rows without attending (the bound for this thread).
#include <benchmark/benchmark.h>

#include <cmath>
#include <random>
#include <vector>

#include "kernels_avx512/kernel_table.h"
#include "src/ops/ops.h"

namespace hearth {
namespace {

constexpr int64_t kHeads = 16, kKvHeads = 8, kDim = 128, kWidth = kKvHeads * kDim, kChunk = 64;
constexpr size_t kWorkingSet = size_t{256} << 20;

// Layers of `positions` rows [K | V] (as KvCache stores them), enough to pass the caches.
struct KvLayers {
  explicit KvLayers(int64_t positions)
      : layer_floats(static_cast<size_t>(positions * 2 * kWidth)),
        count(std::max<size_t>(2, kWorkingSet / (layer_floats * sizeof(float)))),
        data(count * layer_floats) {
    std::mt19937 rng(5);
    std::normal_distribution<float> nd(0.0f, 1.0f);
    for (float& e : data) e = nd(rng);
  }
  const float* layer(size_t i) const { return data.data() + i % count * layer_floats; }
  size_t layer_floats, count;
  std::vector<float> data;
};

void BM_attend_decode(benchmark::State& state) {
  const int64_t positions = state.range(0);
  const KvLayers kv(positions);
  std::vector<float> q(static_cast<size_t>(kHeads * kDim), 0.05f);
  std::vector<const float*> kp(kChunk), vp(kChunk);
  std::vector<float> m(kHeads), l(kHeads), o(static_cast<size_t>(kHeads * kDim));
  std::vector<float> scratch(static_cast<size_t>(kernels::attend_rows_scratch_floats(kHeads, kChunk)));
  size_t layer = 0;
  for (auto _ : state) {
    const float* base = kv.layer(layer++);
    std::fill(m.begin(), m.end(), -INFINITY);
    std::fill(l.begin(), l.end(), 0.0f);
    std::fill(o.begin(), o.end(), 0.0f);
    const kernels::AttendState st{m.data(), l.data(), o.data()};
    for (int64_t p0 = 0; p0 < positions; p0 += kChunk) {
      const int64_t n = std::min(kChunk, positions - p0);
      for (int64_t p = 0; p < n; ++p) {
        kp[p] = base + (p0 + p) * 2 * kWidth;
        vp[p] = kp[p] + kWidth;
      }
      ops::attend_rows({q.data(), kp.data(), vp.data(), n, kHeads, kHeads / kKvHeads, kDim, kDim, 0.088f}, st, scratch.data());
    }
    benchmark::DoNotOptimize(o.data());
  }
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(kv.layer_floats * sizeof(float)));
}

void BM_attend_read_only(benchmark::State& state) {
  const KvLayers kv(state.range(0));
  const auto read_sum = kernels::kernel_table().roofline.read_sum;
  if (read_sum == nullptr) {
    state.SkipWithError("no read probe in this tier");
    return;
  }
  size_t layer = 0;
  for (auto _ : state) benchmark::DoNotOptimize(read_sum(kv.layer(layer++), static_cast<int64_t>(kv.layer_floats)));
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(kv.layer_floats * sizeof(float)));
}

BENCHMARK(BM_attend_decode)->Arg(64)->Arg(128)->Arg(512);
BENCHMARK(BM_attend_read_only)->Arg(64)->Arg(128)->Arg(512);

}  // namespace
}  // namespace hearth
