#include "src/ops/thread_team.h"

#include <omp.h>
#include <strings.h>

#include <cstdlib>
#include <exception>
#include <mutex>
#include <thread>

namespace hearth::ops::detail {
namespace {

// A spinning thread's hint to the core (frees the sibling hyperthread, saves power).
inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

// Waits spin this many times before sleeping: the serial work between two parallel ops of a
// forward pass is microseconds (a futex wake-up costs tens), the gaps between passes longer.
// With more threads than processors a spinning thread holds a processor another member needs:
// then they sleep almost at once (as libgomp throttles its spinning), as they do when the user
// asked OpenMP's threads not to spin (OMP_WAIT_POLICY=passive).
constexpr int kSpinsBeforeSleep = 1 << 14, kSpinsPassive = 64;

bool passive_wait_policy() {
  const char* p = std::getenv("OMP_WAIT_POLICY");
  return p != nullptr && strcasecmp(p, "passive") == 0;
}

thread_local ThreadTeam* tl_driven = nullptr;
// Threads the calling thread's current pass may use (with_team's count), 0 outside a pass.
thread_local int tl_budget = 0;

}  // namespace

class ThreadTeam {
 public:
  // Set before the region opens: the helpers spin on it from their first instruction.
  explicit ThreadTeam(int threads)
      : spins_(threads <= omp_get_num_procs() && !passive_wait_policy() ? kSpinsBeforeSleep : kSpinsPassive) {}

  // The region's real size; read by the helpers only after the first op is published.
  void set_size(int size) { size_ = size; }

  // Driver: publishes one op, runs member 0's part, waits for the helpers.
  void run(int threads, MemberFn fn, const void* body) {
    if (busy_) {  // an op inside an op: the helpers are taken, the caller does it all
      for (int me = 0; me < threads; ++me) fn(body, me);
      return;
    }
    busy_ = true;
    op_.fn = fn;
    op_.body = body;
    op_.threads = threads;
    const uint64_t done_after = done_.load(std::memory_order_relaxed) + static_cast<uint64_t>(size_ - 1);
    publish();
    std::exception_ptr error;
    try {
      run_members(0);
    } catch (...) {
      error = std::current_exception();
    }
    for (int spins = 0; done_.load(std::memory_order_acquire) != done_after; ++spins)
      if (spins < spins_) cpu_relax(); else std::this_thread::yield();
    busy_ = false;
    if (!error) std::swap(error, helper_error_);
    helper_error_ = nullptr;
    if (error) std::rethrow_exception(error);
  }

  // Helper `me` (1 .. size - 1): runs its part of each op until the driver stops the team.
  void serve(int me) {
    uint32_t seen = 0;
    for (;;) {
      uint32_t now;
      for (int spins = 0; (now = op_.epoch.load(std::memory_order_acquire)) == seen; ++spins)
        if (spins < spins_) cpu_relax(); else op_.epoch.wait(seen, std::memory_order_acquire);
      seen = now;
      if (stopping_) return;
      try {
        run_members(me);
      } catch (...) {
        std::lock_guard<std::mutex> lock(error_mutex_);
        if (!helper_error_) helper_error_ = std::current_exception();
      }
      done_.fetch_add(1, std::memory_order_release);
    }
  }

  void stop() {
    stopping_ = true;
    publish();
  }

 private:
  // Member i takes parts i, i + size, ... (an op may ask for more parts than there are members).
  void run_members(int member) const {
    for (int me = member; me < op_.threads; me += size_) op_.fn(op_.body, me);
  }
  void publish() {
    op_.epoch.fetch_add(1, std::memory_order_release);
    op_.epoch.notify_all();  // wakes only helpers that have gone to sleep
  }

  // The op, written by the driver before publish() and read by the helpers once they see the
  // new epoch: one cache line, so a helper's wake-up fetches the op with it.
  struct alignas(64) Op {
    std::atomic<uint32_t> epoch{0};
    int threads = 0;
    MemberFn fn = nullptr;
    const void* body = nullptr;
  };
  Op op_;
  alignas(64) std::atomic<uint64_t> done_{0};  // parts finished by helpers, over all ops (never reset)
  const int spins_;
  int size_ = 1;
  bool stopping_ = false, busy_ = false;
  std::exception_ptr helper_error_;
  std::mutex error_mutex_;
};

ThreadTeam* driven_team() { return tl_driven; }

int threads_of_pass() { return tl_budget; }

void run_on_team(ThreadTeam& team, int threads, MemberFn fn, const void* body) { team.run(threads, fn, body); }

void with_team(int threads, void (*fn)(const void*), const void* body) {
  // The pass's thread count holds for its parallel ops (num_threads), with a team or without.
  struct Budget {
    int saved = tl_budget;
    explicit Budget(int n) { if (n > 0) tl_budget = n; }
    ~Budget() { tl_budget = saved; }
  } budget(threads);
  if (threads <= 1 || tl_driven != nullptr || omp_in_parallel()) {
    fn(body);
    return;
  }
  ThreadTeam team(threads);
  std::exception_ptr error;
#pragma omp parallel num_threads(threads)
  {
    const int me = omp_get_thread_num();
    if (me == 0) {
      team.set_size(omp_get_num_threads());  // helpers read it after the first publish
      tl_driven = &team;
      try {
        fn(body);
      } catch (...) {
        error = std::current_exception();
      }
      tl_driven = nullptr;
      team.stop();
    } else {
      team.serve(me);
    }
  }
  if (error) std::rethrow_exception(error);
}

}  // namespace hearth::ops::detail

namespace hearth::ops {

int num_threads() {
  const int pass = detail::threads_of_pass();
  return pass > 0 ? pass : omp_get_max_threads();
}

void set_num_threads(int n) {
  if (n > 0) omp_set_num_threads(n);
}

}  // namespace hearth::ops
