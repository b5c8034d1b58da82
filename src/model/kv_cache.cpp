#include "src/model/kv_cache.h"

#include "src/base/status.h"

namespace hearth {

KvCache::KvCache(KvCacheLayout layout, int64_t page_positions)
    : layout_(std::move(layout)), page_positions_(page_positions) {
  HEARTH_CHECK(layout_.k_width.size() == layout_.v_width.size());
}

int32_t KvCache::add_sequence() {
  const int32_t id = next_seq_++;
  Sequence& s = seqs_[id];
  s.layers.resize(layout_.k_width.size());
  return id;
}

void KvCache::remove_sequence(int32_t seq) { seqs_.erase(seq); }

void KvCache::truncate(int32_t seq, int64_t n_pos) {
  auto it = seqs_.find(seq);
  HEARTH_CHECK(it != seqs_.end(), "unknown sequence {}", seq);
  if (n_pos < it->second.length) it->second.length = n_pos;
  if (it->second.length <= it->second.begin) it->second.length = it->second.begin = 0;
}

int64_t KvCache::begin(int32_t seq) const {
  auto it = seqs_.find(seq);
  HEARTH_CHECK(it != seqs_.end(), "unknown sequence {}", seq);
  return it->second.begin;
}

int64_t KvCache::length(int32_t seq) const {
  auto it = seqs_.find(seq);
  HEARTH_CHECK(it != seqs_.end(), "unknown sequence {}", seq);
  return it->second.length;
}

float* KvCache::row(int layer, int32_t seq, int64_t pos, bool write) {
  auto it = seqs_.find(seq);
  HEARTH_CHECK(it != seqs_.end(), "unknown sequence {}", seq);
  HEARTH_CHECK(pos >= 0 && layer >= 0 && layer < static_cast<int>(layout_.k_width.size()));
  Sequence& s = it->second;
  LayerPages& lp = s.layers[static_cast<size_t>(layer)];
  const auto page = static_cast<size_t>(pos / page_positions_);
  const int64_t width = layout_.k_width[static_cast<size_t>(layer)] + layout_.v_width[static_cast<size_t>(layer)];
  if (write) {
    if (lp.pages.size() <= page) lp.pages.resize(page + 1);
    if (!lp.pages[page]) lp.pages[page].reset(new float[static_cast<size_t>(page_positions_ * width)]());
    if (s.length == 0) s.begin = pos;
    HEARTH_CHECK(pos >= s.begin, "KV write at {} before the sequence start {}", pos, s.begin);
    if (pos + 1 > s.length) s.length = pos + 1;
  } else {
    HEARTH_CHECK(pos >= s.begin && pos < s.length && page < lp.pages.size() && lp.pages[page], "KV read outside [{}, {})", s.begin, s.length);
  }
  return lp.pages[page].get() + (pos % page_positions_) * width;
}

float* KvCache::k_write(int layer, int32_t seq, int64_t pos) { return row(layer, seq, pos, true); }
float* KvCache::v_write(int layer, int32_t seq, int64_t pos) {
  return row(layer, seq, pos, true) + layout_.k_width[static_cast<size_t>(layer)];
}
const float* KvCache::k(int layer, int32_t seq, int64_t pos) const {
  return const_cast<KvCache*>(this)->row(layer, seq, pos, false);
}
const float* KvCache::v(int layer, int32_t seq, int64_t pos) const {
  return const_cast<KvCache*>(this)->row(layer, seq, pos, false) + layout_.k_width[static_cast<size_t>(layer)];
}

size_t KvCache::bytes_allocated() const {
  size_t total = 0;
  for (const auto& [id, s] : seqs_)
    for (size_t l = 0; l < s.layers.size(); ++l)
      for (const auto& p : s.layers[l].pages)
        if (p) total += static_cast<size_t>(page_positions_ * (layout_.k_width[l] + layout_.v_width[l])) * sizeof(float);
  return total;
}

}  // namespace hearth
