// The forward pass's thread team (src/ops/thread_team.h) and the loops of src/ops/parallel.h on
// it: every part of every op runs exactly once, on as many threads as the team has, the caller
// taking part 0; ops inside ops, teams inside teams and exceptions from any part behave.
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>
#include <vector>

#include "src/ops/parallel.h"
#include "src/ops/thread_team.h"

namespace hearth::ops {
namespace {

TEST(ThreadTeam, EveryPartOfEveryOpRunsOnceOnTheTeamsThreads) {
  constexpr int kThreads = 3, kOps = 2000;
  std::vector<std::atomic<int>> runs(kThreads);
  std::mutex mu;
  std::set<std::thread::id> threads_seen;
  std::atomic<int> part0_elsewhere{0};
  const std::thread::id caller = std::this_thread::get_id();
  with_team(kThreads, [&] {
    for (int op = 0; op < kOps; ++op)
      on_threads(kThreads, [&](int me) {
        runs[static_cast<size_t>(me)].fetch_add(1);
        if (me == 0 && std::this_thread::get_id() != caller) part0_elsewhere.fetch_add(1);
        if (op == 0) {
          std::lock_guard<std::mutex> lock(mu);
          threads_seen.insert(std::this_thread::get_id());
        }
      });
  });
  for (int me = 0; me < kThreads; ++me) EXPECT_EQ(runs[static_cast<size_t>(me)].load(), kOps) << "part " << me;
  EXPECT_EQ(part0_elsewhere.load(), 0) << "part 0 belongs to the calling thread";
  EXPECT_EQ(threads_seen.size(), static_cast<size_t>(kThreads)) << "the parts of one op ran on fewer threads";
}

TEST(ThreadTeam, MorePartsThanMembersAndFewerParts) {
  for (int parts : {1, 2, 5, 9}) {
    std::vector<std::atomic<int>> runs(static_cast<size_t>(parts));
    with_team(2, [&] { on_threads(parts, [&](int me) { runs[static_cast<size_t>(me)].fetch_add(1); }); });
    for (int me = 0; me < parts; ++me) EXPECT_EQ(runs[static_cast<size_t>(me)].load(), 1) << parts << " parts, part " << me;
  }
}

// for_rows, for_items and for_items_with cover [0, n) exactly once, in a team and outside one.
TEST(ThreadTeam, LoopsCoverEveryIndexOnce) {
  for (bool in_team : {false, true})
    for (int64_t n : {0, 1, 2, 3, 17, 1001}) {
      std::vector<std::atomic<int>> rows(static_cast<size_t>(n)), items(rows.size()), with(rows.size());
      std::atomic<int> states{0};
      auto loops = [&] {
        for_rows(n, true, [&](int64_t r) { rows[static_cast<size_t>(r)].fetch_add(1); });
        for_items(n, 3, [&](int64_t k) { items[static_cast<size_t>(k)].fetch_add(1); });
        const auto make = [&] { return states.fetch_add(1) + 1; };
        for_items_with(n, 2, make, [&](int& state, int64_t k) {
          EXPECT_GE(state, 1);
          with[static_cast<size_t>(k)].fetch_add(1);
        });
      };
      if (in_team) with_team(2, loops); else loops();
      for (int64_t i = 0; i < n; ++i) {
        EXPECT_EQ(rows[static_cast<size_t>(i)].load(), 1) << "for_rows, n " << n << ", team " << in_team;
        EXPECT_EQ(items[static_cast<size_t>(i)].load(), 1) << "for_items, n " << n << ", team " << in_team;
        EXPECT_EQ(with[static_cast<size_t>(i)].load(), 1) << "for_items_with, n " << n << ", team " << in_team;
      }
      EXPECT_LE(states.load(), 2) << "one state per thread at most";
    }
}

TEST(ThreadTeam, OpsInsideOpsAndTeamsInsideTeamsStillRunEveryPart) {
  std::atomic<int> inner{0}, nested_team_runs{0};
  with_team(2, [&] {
    on_threads(2, [&](int) { on_threads(3, [&](int) { inner.fetch_add(1); }); });
    with_team(2, [&] { on_threads(2, [&](int) { nested_team_runs.fetch_add(1); }); });
  });
  EXPECT_EQ(inner.load(), 6);
  EXPECT_EQ(nested_team_runs.load(), 2);
}

TEST(ThreadTeam, ExceptionsFromAnyPartReachTheCallerAndTheTeamCarriesOn) {
  std::atomic<int> after{0};
  with_team(2, [&] {
    for (int thrower : {0, 1}) {
      EXPECT_THROW(on_threads(2, [&](int me) {
                     if (me == thrower) throw std::runtime_error("part failed");
                   }),
                   std::runtime_error)
          << "part " << thrower;
      on_threads(2, [&](int) { after.fetch_add(1); });
    }
  });
  EXPECT_EQ(after.load(), 4);
  EXPECT_THROW(with_team(2, [] { throw std::invalid_argument("pass failed"); }), std::invalid_argument);
  std::atomic<int> again{0};
  with_team(2, [&] { on_threads(2, [&](int) { again.fetch_add(1); }); });
  EXPECT_EQ(again.load(), 2);
}

}  // namespace
}  // namespace hearth::ops
