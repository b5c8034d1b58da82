// KvPagePool: pages handed out until the budget is spent (then an error, not bad_alloc),
// reference counts, the free list, copy on write of shared pages, bad budgets.
#include <gtest/gtest.h>

#include <algorithm>

#include <cstring>
#include <set>

#include "src/model/kv_page_pool.h"

namespace hearth {
namespace {

std::unique_ptr<KvPagePool> make_pool(int64_t page_bytes, int64_t budget) {
  auto pool = KvPagePool::create(page_bytes, budget);
  EXPECT_TRUE(pool.is_ok()) << pool.message();
  return std::move(pool.value());
}

TEST(KvPagePool, HandsOutEveryPageOfTheBudgetThenSaysItIsFull) {
  auto pool = make_pool(100, 1050);  // 10 whole pages; the 50 left over make none
  EXPECT_EQ(pool->page_count(), 10);
  std::set<int32_t> pages;
  for (int i = 0; i < 10; ++i) {
    auto p = pool->allocate();
    ASSERT_TRUE(p.is_ok()) << p.message();
    EXPECT_TRUE(pages.insert(*p).second) << "page " << *p << " handed out twice";
    EXPECT_EQ(pool->refcount(*p), 1);
  }
  EXPECT_EQ(pool->free_count(), 0);
  EXPECT_EQ(pool->used_count(), 10);
  auto full = pool->allocate();
  ASSERT_FALSE(full.is_ok());
  EXPECT_NE(full.message().find("full"), std::string::npos) << full.message();
  EXPECT_NE(full.message().find("10 pages"), std::string::npos) << full.message();

  // Pages do not overlap: each one's bytes stay its own.
  for (int32_t p : pages) std::memset(pool->data(p), p + 1, 100);
  for (int32_t p : pages)
    for (int i = 0; i < 100; ++i) ASSERT_EQ(pool->data(p)[i], p + 1) << "page " << p << " byte " << i;
}

TEST(KvPagePool, ReleasedPagesReturnOnlyWhenTheLastHolderLetsGo) {
  auto pool = make_pool(64, 64 * 2);
  const int32_t a = *pool->allocate(), b = *pool->allocate();
  pool->retain(a);  // a shared by two holders
  EXPECT_EQ(pool->refcount(a), 2);
  pool->release(a);
  EXPECT_EQ(pool->refcount(a), 1);
  EXPECT_FALSE(pool->allocate().is_ok()) << "a still has a holder";
  pool->release(a);
  EXPECT_EQ(pool->refcount(a), 0);
  EXPECT_EQ(pool->free_count(), 1);
  auto again = pool->allocate();
  ASSERT_TRUE(again.is_ok());
  EXPECT_EQ(*again, a) << "the freed page is the one handed out again";
  pool->release(b);
  pool->release(*again);
  EXPECT_EQ(pool->free_count(), 2);
}

TEST(KvPagePool, SharedPageIsCopiedBeforeAWrite) {
  auto pool = make_pool(32, 32 * 3);
  const int32_t shared = *pool->allocate();
  for (int i = 0; i < 32; ++i) pool->data(shared)[i] = static_cast<uint8_t>(i * 3);
  pool->retain(shared);  // two sequences hold the page

  auto mine = pool->make_writable(shared);
  ASSERT_TRUE(mine.is_ok()) << mine.message();
  EXPECT_NE(*mine, shared);
  EXPECT_EQ(pool->refcount(shared), 1) << "the writer's reference moved to its copy";
  EXPECT_EQ(pool->refcount(*mine), 1);
  EXPECT_EQ(std::memcmp(pool->data(*mine), pool->data(shared), 32), 0) << "the copy holds the page's bytes";
  pool->data(*mine)[5] = 200;
  EXPECT_EQ(pool->data(shared)[5], 15) << "the other holder's page is untouched";

  // A sole holder writes in place.
  auto same = pool->make_writable(*mine);
  ASSERT_TRUE(same.is_ok());
  EXPECT_EQ(*same, *mine);
  EXPECT_EQ(pool->used_count(), 2);
}

TEST(KvPagePool, CopyOnWriteWithNoFreePageIsAnErrorAndKeepsTheSharedPage) {
  auto pool = make_pool(16, 16);
  const int32_t only = *pool->allocate();
  pool->retain(only);
  auto w = pool->make_writable(only);
  ASSERT_FALSE(w.is_ok());
  EXPECT_NE(w.message().find("full"), std::string::npos) << w.message();
  EXPECT_EQ(pool->refcount(only), 2) << "a failed copy takes no reference away";
}

TEST(KvPagePool, BadBudgetsAreErrors) {
  auto none = KvPagePool::create(4096, 100);
  ASSERT_FALSE(none.is_ok());
  EXPECT_NE(none.message().find("holds no page"), std::string::npos) << none.message();
  EXPECT_FALSE(KvPagePool::create(0, 1 << 20).is_ok());
  EXPECT_FALSE(KvPagePool::create(-1, 1 << 20).is_ok());
  EXPECT_FALSE(KvPagePool::create(64, -5).is_ok());
}

TEST(KvPagePool, PrefaultMakesFreePagesUpToTheBudget) {
  auto pool = make_pool(8, 64);  // 8 pages of 8 bytes
  ASSERT_TRUE(pool->prefault(5));
  EXPECT_EQ(pool->used_count(), 0);
  EXPECT_EQ(pool->free_count(), 8);
  std::vector<int32_t> pages;
  for (int i = 0; i < 5; ++i) pages.push_back(*pool->allocate());
  std::sort(pages.begin(), pages.end());
  EXPECT_EQ(pages, (std::vector<int32_t>{0, 1, 2, 3, 4}));  // the prefaulted ones, no new ones
  EXPECT_TRUE(pool->prefault(100));  // capped at the budget's 8
  for (int i = 0; i < 3; ++i) EXPECT_LT(*pool->allocate(), 8);
  EXPECT_FALSE(pool->allocate());
}

TEST(KvPagePoolDeathTest, MisuseIsAProgrammerError) {
  auto pool = make_pool(8, 16);
  const int32_t p = *pool->allocate();
  pool->release(p);
  EXPECT_DEATH(pool->release(p), "free KV page");
  EXPECT_DEATH(pool->retain(p), "free KV page");
  EXPECT_DEATH(pool->data(7), "KV page 7 of 1");
}

}  // namespace
}  // namespace hearth
