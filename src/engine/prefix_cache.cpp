#include "src/engine/prefix_cache.h"

#include <algorithm>

#include "src/base/size.h"

namespace hearth {

PrefixCache::PrefixCache(KvCache& cache) : cache_(cache), page_positions_(cache.page_positions()) {}

PrefixCache::~PrefixCache() {
  for (auto& [key, e] : entries_) cache_.pool().release(e.page);
}

uint64_t PrefixCache::key_of(uint64_t parent, std::span<const int32_t> tokens) {
  // FNV-1a over the parent's key and the page's tokens.
  uint64_t h = 1469598103934665603ull;
  auto mix = [&h](uint64_t v) {
    for (int i = 0; i < 8; ++i) {
      h ^= (v >> (8 * i)) & 0xff;
      h *= 1099511628211ull;
    }
  };
  mix(parent);
  for (int32_t t : tokens) mix(static_cast<uint32_t>(t));
  return h == 0 ? 1 : h;  // 0 means "no parent"
}

PrefixCache::Entry* PrefixCache::find(uint64_t key, uint64_t parent, std::span<const int32_t> tokens) {
  auto it = entries_.find(key);
  if (it == entries_.end()) return nullptr;
  Entry& e = it->second;
  if (e.parent != parent || !std::equal(tokens.begin(), tokens.end(), e.tokens.begin(), e.tokens.end()))
    return nullptr;  // a hash collision: never reuse pages of other tokens
  return &e;
}

void PrefixCache::insert(int32_t seq, std::span<const int32_t> tokens) { index_from(seq, tokens, {}); }

void PrefixCache::extend(int32_t seq, std::span<const int32_t> tokens, Chain& chain) {
  chain = index_from(seq, tokens, chain);
}

PrefixCache::Chain PrefixCache::index_from(int32_t seq, std::span<const int32_t> tokens, Chain chain) {
  const int64_t full = std::min<int64_t>(static_cast<int64_t>(tokens.size()), cache_.length(seq)) / page_positions_;
  for (int64_t p = chain.pages; p < full; ++p) {
    const uint64_t parent = chain.key;
    const auto page_tokens = tokens.subspan(to_size(p * page_positions_), to_size(page_positions_));
    const uint64_t key = key_of(parent, page_tokens);
    if (Entry* e = find(key, parent, page_tokens)) {
      e->last_used = ++tick_;
    } else {
      const int32_t page = cache_.page_of(seq, p);
      if (page < 0 || entries_.count(key)) break;  // no page there, or a collision: stop indexing
      cache_.pool().retain(page);
      Entry entry;
      entry.parent = parent;
      entry.tokens.assign(page_tokens.begin(), page_tokens.end());
      entry.page = page;
      entry.last_used = ++tick_;
      entries_.emplace(key, std::move(entry));
      if (parent != 0) ++entries_.at(parent).children;
    }
    chain = {p + 1, key};
  }
  return chain;
}

PrefixCache::Hit PrefixCache::lookup(std::span<const int32_t> tokens) {
  ++lookups_;
  looked_up_tokens_ += static_cast<int64_t>(tokens.size());
  // Whole pages only, and never the last token: its logits must be computed.
  const int64_t usable = (static_cast<int64_t>(tokens.size()) - 1) / page_positions_;
  std::vector<int32_t> pages;
  uint64_t parent = 0;
  for (int64_t p = 0; p < usable; ++p) {
    const auto page_tokens = tokens.subspan(to_size(p * page_positions_), to_size(page_positions_));
    const uint64_t key = key_of(parent, page_tokens);
    Entry* e = find(key, parent, page_tokens);
    if (e == nullptr) break;
    e->last_used = ++tick_;
    pages.push_back(e->page);
    parent = key;
  }
  if (pages.empty()) return {};
  Hit hit;
  hit.seq = cache_.adopt_pages(pages);
  hit.positions = static_cast<int64_t>(pages.size()) * page_positions_;
  hit_tokens_ += hit.positions;
  return hit;
}

int64_t PrefixCache::evict(int64_t pages) {
  int64_t freed = 0;
  while (freed < pages) {
    // The least recently used leaf whose page only the index holds.
    auto victim = entries_.end();
    for (auto it = entries_.begin(); it != entries_.end(); ++it)
      if (it->second.children == 0 && cache_.pool().refcount(it->second.page) == 1 &&
          (victim == entries_.end() || it->second.last_used < victim->second.last_used))
        victim = it;
    if (victim == entries_.end()) break;
    if (victim->second.parent != 0) --entries_.at(victim->second.parent).children;
    cache_.pool().release(victim->second.page);
    entries_.erase(victim);
    ++freed;
  }
  return freed;
}

}  // namespace hearth
