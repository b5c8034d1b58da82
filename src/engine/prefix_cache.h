// Reuse of computed prompts across requests: the full KV pages of sequences are indexed by
// the tokens they hold, so a later request that starts with the same tokens (a system
// prompt, few-shot examples, a chat's earlier turns) gets those pages instead of computing
// them again. A hash chain over full pages, as vLLM's prefix caching: a page's key hashes its
// parent's key and its own tokens, so a lookup is one hash per page and an entry is one page
// (the tokens are kept and compared, so a hash collision is never a wrong reuse). The index
// holds a reference to each page it lists; when the pool needs room, evict() lets go of the
// least recently used pages that nobody else holds, leaves first.
// Not here: when to insert, look up or evict (the scheduler), the pages themselves (KvCache).
#pragma once

#include <cstdint>
#include <span>
#include <unordered_map>
#include <vector>

#include "src/model/kv_cache.h"

namespace hearth {

class PrefixCache {
 public:
  // Indexes pages of `cache` (and its pool); the cache must outlive the index.
  explicit PrefixCache(KvCache& cache);
  ~PrefixCache();
  PrefixCache(const PrefixCache&) = delete;
  PrefixCache& operator=(const PrefixCache&) = delete;

  // Indexes the full pages of seq, whose first positions hold `tokens` (from position 0).
  // Pages already indexed for the same tokens are kept as they are.
  void insert(int32_t seq, std::span<const int32_t> tokens);

  // How far one sequence's tokens are indexed: its first `pages` full pages, the last under
  // `key`. A growing sequence indexes each new page once instead of walking its prefix again.
  struct Chain {
    int64_t pages = 0;
    uint64_t key = 0;
  };
  // insert() from where `chain` stopped, moving it to the last page indexed. The pages it has
  // passed must still be indexed: start a new Chain when the sequence lets go of its pages.
  void extend(int32_t seq, std::span<const int32_t> tokens, Chain& chain);

  struct Hit {
    int32_t seq = -1;      // a new sequence of the cache holding the reused pages (-1: none)
    int64_t positions = 0;  // how many leading tokens it holds (whole pages)
  };
  // The longest indexed prefix of `tokens`, in whole pages, as a new sequence; at least one
  // token is always left to compute (the caller needs its logits).
  Hit lookup(std::span<const int32_t> tokens);

  // Lets go of up to `pages` pages that only the index holds, least recently used first;
  // returns how many were freed.
  int64_t evict(int64_t pages);

  int64_t indexed_pages() const { return static_cast<int64_t>(entries_.size()); }
  int64_t lookups() const { return lookups_; }
  int64_t hit_tokens() const { return hit_tokens_; }
  int64_t looked_up_tokens() const { return looked_up_tokens_; }

 private:
  struct Entry {
    uint64_t parent = 0;            // the previous page's key (0 for the first page)
    std::vector<int32_t> tokens;    // [page_positions]
    int32_t page = -1;
    int64_t last_used = 0;
    int32_t children = 0;           // entries whose parent this is
  };
  static uint64_t key_of(uint64_t parent, std::span<const int32_t> tokens);
  // Indexes the full pages of seq from chain.pages on; returns how far it got.
  Chain index_from(int32_t seq, std::span<const int32_t> tokens, Chain chain);
  // The entry for (parent, tokens), or null.
  Entry* find(uint64_t key, uint64_t parent, std::span<const int32_t> tokens);

  KvCache& cache_;
  int64_t page_positions_;
  std::unordered_map<uint64_t, Entry> entries_;
  int64_t tick_ = 0;
  int64_t lookups_ = 0, hit_tokens_ = 0, looked_up_tokens_ = 0;
};

}  // namespace hearth
