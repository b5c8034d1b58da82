// Decode attention over a float32 or bf16 KV cache (the kernel tier's attend_rows and
// attend_rows_bf16): one query row of
// Qwen3-0.6B's shape (16 query heads over 8 KV heads of 128) against N cached positions, in runs
// of 64 as AttentionGqa::attend_decode calls it, one thread. Each iteration reads another
// layer's rows (copies cycle through 256 MiB, past any cache), as decode does once the weights
// have gone through the caches. Reported as KV bytes/s; BM_attend_read_only streams the same
// rows without attending (the bound for this thread, float32 rows).
#include <benchmark/benchmark.h>

#include <cmath>
#include <random>
#include <type_traits>
#include <vector>

#include "src/dispatch/kernel_dispatch.h"
#include "src/base/half.h"
#include "src/ops/ops.h"

namespace hearth {
namespace {

constexpr int64_t kHeads = 16, kKvHeads = 8, kDim = 128, kWidth = kKvHeads * kDim, kChunk = 64;
constexpr size_t kWorkingSet = size_t{256} << 20;

// Layers of `positions` rows [K | V] of T (as KvCache stores them), enough to pass the caches.
template <class T>
struct KvLayers {
  explicit KvLayers(int64_t positions)
      : layer_values(static_cast<size_t>(positions * 2 * kWidth)),
        count(std::max<size_t>(2, kWorkingSet / (layer_values * sizeof(T)))),
        data(count * layer_values) {
    std::mt19937 rng(5);
    std::normal_distribution<float> nd(0.0f, 1.0f);
    for (T& e : data) {
      if constexpr (std::is_same_v<T, float>) e = nd(rng);
      else e = f32_to_bf16(nd(rng));
    }
  }
  const T* layer(size_t i) const { return data.data() + i % count * layer_values; }
  int64_t layer_bytes() const { return static_cast<int64_t>(layer_values * sizeof(T)); }
  size_t layer_values, count;
  std::vector<T> data;
};

template <class T>
void attend_decode(benchmark::State& state) {
  const int64_t positions = state.range(0);
  const KvLayers<T> kv(positions);
  std::vector<float> q(static_cast<size_t>(kHeads * kDim), 0.05f);
  std::vector<const T*> kp(kChunk), vp(kChunk);
  std::vector<float> m(kHeads), l(kHeads), o(static_cast<size_t>(kHeads * kDim));
  std::vector<float> scratch(static_cast<size_t>(kernels::attend_rows_scratch_floats(kHeads, kChunk)));
  size_t layer = 0;
  for (auto _ : state) {
    const T* base = kv.layer(layer++);
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
      kernels::AttendRows rows{q.data(), nullptr, nullptr, n, kHeads, kHeads / kKvHeads, kDim, kDim, 0.088f};
      if constexpr (std::is_same_v<T, float>) {
        rows.k = kp.data();
        rows.v = vp.data();
        ops::attend_rows(rows, st, scratch.data());
      } else {
        rows.k_bf16 = kp.data();
        rows.v_bf16 = vp.data();
        ops::attend_rows_bf16(rows, st, scratch.data());
      }
    }
    benchmark::DoNotOptimize(o.data());
  }
  state.SetBytesProcessed(state.iterations() * kv.layer_bytes());
}

void BM_attend_decode(benchmark::State& state) { attend_decode<float>(state); }

void BM_attend_decode_bf16(benchmark::State& state) {
  if (!ops::has_attend_rows_bf16()) {
    state.SkipWithError("this tier reads no bf16 rows");
    return;
  }
  attend_decode<uint16_t>(state);
}

void BM_attend_read_only(benchmark::State& state) {
  const KvLayers<float> kv(state.range(0));
  const auto read_sum = kernels::kernel_table().roofline.read_sum;
  if (read_sum == nullptr) {
    state.SkipWithError("no read probe in this tier");
    return;
  }
  size_t layer = 0;
  for (auto _ : state) benchmark::DoNotOptimize(read_sum(kv.layer(layer++), static_cast<int64_t>(kv.layer_values)));
  state.SetBytesProcessed(state.iterations() * kv.layer_bytes());
}

BENCHMARK(BM_attend_decode)->Arg(64)->Arg(128)->Arg(512);
BENCHMARK(BM_attend_decode_bf16)->Arg(64)->Arg(128)->Arg(512);
BENCHMARK(BM_attend_read_only)->Arg(64)->Arg(128)->Arg(512);

}  // namespace
}  // namespace hearth
