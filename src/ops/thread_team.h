// One OpenMP parallel region for a whole forward pass: the calling thread runs the model and
// the region's other threads wait for work between ops, so a parallel op inside the pass is a
// hand-off through two cache lines instead of an OpenMP fork and join, which costs several
// times more, and decode passes over a hundred parallel matmul calls per token
// (benchmarks/RESULTS.md, BM_parallel_op).
//
// parallel.h's loops use the team of the calling thread when there is one; outside a team (or
// on a helper thread) they open their own OpenMP region as before.
#pragma once

#include <cstdint>

namespace hearth::ops {

// Threads a parallel op may use: inside with_team, the count the pass was opened with (a
// model's own thread count, its load option); elsewhere OpenMP's default.
int num_threads();
// OpenMP's default thread count for the regions opened after this call outside a pass (the
// converter's quantization loops); n <= 0 is ignored.
void set_num_threads(int n);

namespace detail {

using MemberFn = void (*)(const void* body, int me);
class ThreadTeam;

// The team the calling thread drives, or null (no team, or a helper thread).
ThreadTeam* driven_team();
// The thread count of the pass the calling thread runs (with_team), or 0 outside one.
int threads_of_pass();
// body(me) for me in [0, threads), spread over the team's members (me = 0 on the caller);
// returns when every member is done, rethrowing the first exception any of them threw.
void run_on_team(ThreadTeam& team, int threads, MemberFn fn, const void* body);
// fn(body) on the calling thread, driving a team of `threads` (see with_team).
void with_team(int threads, void (*fn)(const void* body), const void* body);

}  // namespace detail

// fn() on the calling thread while threads - 1 other threads wait to take part in its parallel
// ops. Runs fn alone when threads <= 1, inside another team or inside an OpenMP region.
// An exception from fn propagates once the team has left.
template <class Fn>
void with_team(int threads, const Fn& fn) {
  detail::with_team(threads, [](const void* f) { (*static_cast<const Fn*>(f))(); }, &fn);
}

}  // namespace hearth::ops
