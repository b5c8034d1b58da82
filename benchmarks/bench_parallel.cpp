// The fixed cost of one parallel op, empty body: an OpenMP region of its own (fork and join)
// against a hand-off to a thread team that is already waiting (ops::with_team, as a forward
// pass runs its ops). Threads: OMP_NUM_THREADS (the cost is per op, whatever the work).
#include <benchmark/benchmark.h>

#include <vector>

#include "src/ops/parallel.h"

namespace hearth {
namespace {

void parallel_op(benchmark::State& state, bool in_team) {
  const int threads = ops::num_threads();
  if (threads < 2) {
    state.SkipWithError("needs OMP_NUM_THREADS >= 2");
    return;
  }
  struct alignas(64) Count {
    int64_t parts = 0;
  };
  std::vector<Count> counts(static_cast<size_t>(threads));  // one line per part: no sharing
  auto loop = [&] {
    for (auto _ : state) ops::on_threads(threads, [&](int me) { ++counts[static_cast<size_t>(me)].parts; });
  };
  if (in_team) ops::with_team(threads, loop); else loop();
  for (const Count& c : counts)
    if (c.parts != static_cast<int64_t>(state.iterations())) state.SkipWithError("a part did not run");
  state.counters["threads"] = threads;
}

void BM_parallel_op_fork_join(benchmark::State& state) { parallel_op(state, false); }
void BM_parallel_op_team_handoff(benchmark::State& state) { parallel_op(state, true); }
BENCHMARK(BM_parallel_op_fork_join);
BENCHMARK(BM_parallel_op_team_handoff);

}  // namespace
}  // namespace hearth
