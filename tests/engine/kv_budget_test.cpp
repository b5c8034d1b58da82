// default_kv_budget (src/engine/kv_budget.h): half of what /proc/meminfo calls available.
#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "src/engine/kv_budget.h"

namespace hearth {
namespace {

TEST(KvBudget, IsHalfOfAvailableMemory) {
  const int64_t available = available_memory_bytes();
  ASSERT_GT(available, 0);
  std::ifstream meminfo("/proc/meminfo");
  std::string key, unit;
  int64_t total_kib = 0;
  meminfo >> key >> total_kib >> unit;  // the first line is MemTotal
  ASSERT_EQ(key, "MemTotal:");
  EXPECT_LE(available, total_kib * 1024);
  // Memory moves between two reads; the budget is half of a reading close to the first.
  const int64_t budget = default_kv_budget();
  EXPECT_NEAR(static_cast<double>(budget), available / 2.0, available * 0.05);
}

}  // namespace
}  // namespace hearth
