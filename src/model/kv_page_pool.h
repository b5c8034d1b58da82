// The KV cache memory of one loaded model, shared by all its sequences: a byte budget cut into
// pages of a fixed size, handed out from a free list and reference-counted, so sequences that
// share a prefix (a system prompt, few-shot examples, a chat's earlier turns) share its full
// pages, and a shared page is copied before anyone writes into it (make_writable). Running
// out is a Status the caller acts on (a scheduler preempts or refuses), never bad_alloc.
// Pages are not zero-filled (every row is written before it is read) and come from the OS
// when first handed out; a freed page stays with the pool for the next one who asks.
// Not here: which page holds which positions (a sequence's page table, KvCache), which
// prefixes are worth keeping (the engine's prefix cache).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "src/base/status.h"

namespace hearth {

class KvPagePool {
 public:
  // page_bytes > 0; the pool holds budget_bytes / page_bytes pages (an error if that is 0).
  static Result<std::unique_ptr<KvPagePool>> create(int64_t page_bytes, int64_t budget_bytes);
  // A pool with no budget: it grows while the process has memory (a single chat, a test).
  static std::unique_ptr<KvPagePool> unbounded(int64_t page_bytes);

  // A free page with one reference, or an error saying the pool is full (its size), or that
  // the process is out of memory.
  Result<int32_t> allocate();
  // Another holder of the page (a sequence sharing it, the prefix cache keeping it).
  void retain(int32_t page);
  // One holder fewer; the page returns to the free list when none is left.
  void release(int32_t page);
  // The page a holder may write: the page itself when the caller is its only holder, else a
  // fresh copy of it, to which the caller's reference moves (copy on write).
  Result<int32_t> make_writable(int32_t page);

  // Makes pages until `pages` exist (at most the budget) and touches their memory, so the
  // first sequences to use them do not wait for the OS to fault them in (a server at start, a
  // benchmark of a warm pool). They stay free. An error when the process is out of memory.
  Status prefault(int64_t pages);

  int32_t refcount(int32_t page) const;
  uint8_t* data(int32_t page);
  const uint8_t* data(int32_t page) const;

  int64_t page_bytes() const { return page_bytes_; }
  // Pages the budget allows (INT32_MAX when unbounded), and those held now.
  int64_t page_count() const { return max_pages_; }
  int64_t used_count() const { return used_; }
  int64_t free_count() const { return max_pages_ - used_; }

 private:
  KvPagePool(int64_t page_bytes, int64_t max_pages);
  void check_page(int32_t page) const;
  // A new page (made, with no holder and on no list), or nothing when out of memory.
  std::optional<int32_t> make_page();

  int64_t page_bytes_;
  int64_t max_pages_;
  int64_t used_ = 0;
  std::vector<std::unique_ptr<uint8_t[]>> memory_;  // [pages made so far][page_bytes]
  std::vector<int32_t> refs_;                       // [pages made so far]
  std::vector<int32_t> free_;  // made and free; a stack: the most recently freed page is reused first
};

}  // namespace hearth
