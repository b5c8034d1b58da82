#include "src/model/kv_cache.h"

#include "src/base/size.h"
#include "src/base/status.h"

namespace hearth {

KvCache::KvCache(KvCacheLayout layout, KvPrecision precision, int64_t page_positions)
    : layout_(std::move(layout)), precision_(precision), page_positions_(page_positions) {
  HEARTH_CHECK(layout_.k_width.size() == layout_.v_width.size());
  HEARTH_CHECK(page_positions_ > 0);
  for (size_t l = 0; l < layout_.k_width.size(); ++l) {
    k_bytes_.push_back(kv_row_bytes(layout_.k_width[l], precision_));
    v_bytes_.push_back(kv_row_bytes(layout_.v_width[l], precision_));
  }
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

KvCache::RowSlot KvCache::row_slot(int layer, int32_t seq, int64_t pos) {
  auto it = seqs_.find(seq);
  HEARTH_CHECK(it != seqs_.end(), "unknown sequence {}", seq);
  HEARTH_CHECK(pos >= 0 && layer >= 0 && layer < static_cast<int>(layout_.k_width.size()));
  Sequence& s = it->second;
  const auto l = to_size(layer);
  LayerPages& lp = s.layers[l];
  const auto page = to_size(pos / page_positions_);
  const int64_t row_bytes = k_bytes_[l] + v_bytes_[l];
  if (lp.pages.size() <= page) lp.pages.resize(page + 1);
  if (!lp.pages[page]) lp.pages[page].reset(new uint8_t[to_size(page_positions_ * row_bytes)]());
  if (s.length == 0) s.begin = pos;
  HEARTH_CHECK(pos >= s.begin, "KV write at {} before the sequence start {}", pos, s.begin);
  if (pos + 1 > s.length) s.length = pos + 1;
  uint8_t* row = lp.pages[page].get() + (pos % page_positions_) * row_bytes;
  return {row, row + k_bytes_[l]};
}

void KvCache::write_k(int layer, int32_t seq, int64_t pos, const float* src) {
  kv_encode_row(src, layout_.k_width[to_size(layer)], precision_, row_slot(layer, seq, pos).k);
}

void KvCache::write_v(int layer, int32_t seq, int64_t pos, const float* src) {
  kv_encode_row(src, layout_.v_width[to_size(layer)], precision_, row_slot(layer, seq, pos).v);
}

KvLayerRows KvCache::rows(int layer, int32_t seq) const {
  auto it = seqs_.find(seq);
  HEARTH_CHECK(it != seqs_.end(), "unknown sequence {}", seq);
  HEARTH_CHECK(layer >= 0 && layer < static_cast<int>(layout_.k_width.size()));
  const Sequence& s = it->second;
  const auto l = to_size(layer);
  const LayerPages& lp = s.layers[l];
  // Every page of [begin, length) must exist (rows are written before they are read).
  for (int64_t page = s.begin / page_positions_; page * page_positions_ < s.length; ++page)
    HEARTH_CHECK(to_size(page) < lp.pages.size() && lp.pages[to_size(page)],
                 "KV layer {} of sequence {} has no rows at position {}", layer, seq, page * page_positions_);
  KvLayerRows r;
  r.pages_ = lp.pages.data();
  r.page_positions_ = page_positions_;
  r.row_bytes_ = k_bytes_[l] + v_bytes_[l];
  r.k_bytes_ = k_bytes_[l];
  r.k_width_ = layout_.k_width[l];
  r.v_width_ = layout_.v_width[l];
  r.begin_ = s.begin;
  r.length_ = s.length;
  r.precision_ = precision_;
  return r;
}

int64_t KvCache::bytes_per_token() const {
  int64_t total = 0;
  for (size_t l = 0; l < k_bytes_.size(); ++l) total += k_bytes_[l] + v_bytes_[l];
  return total;
}

int64_t KvCache::bytes_for_positions(int64_t n) const {
  const int64_t pages = (n + page_positions_ - 1) / page_positions_;
  return pages * page_positions_ * bytes_per_token();
}

size_t KvCache::bytes_allocated() const {
  size_t total = 0;
  for (const auto& [id, s] : seqs_)
    for (size_t l = 0; l < s.layers.size(); ++l)
      for (const auto& p : s.layers[l].pages)
        if (p) total += to_size(page_positions_ * (k_bytes_[l] + v_bytes_[l]));
  return total;
}

}  // namespace hearth
