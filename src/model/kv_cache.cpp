#include "src/model/kv_cache.h"

#include <algorithm>

#include "src/base/size.h"
#include "src/base/status.h"

namespace hearth {

int64_t KvCache::page_bytes(const KvCacheLayout& layout, KvPrecision precision, int64_t page_positions) {
  int64_t per_position = 0;
  for (size_t l = 0; l < layout.k_width.size(); ++l)
    per_position += kv_row_bytes(layout.k_width[l], precision) + kv_row_bytes(layout.v_width[l], precision);
  return std::max<int64_t>(per_position, 1) * page_positions;
}

KvCache::KvCache(KvCacheLayout layout, KvPrecision precision, int64_t page_positions)
    : KvCache(layout, precision, page_positions,
              KvPagePool::unbounded(page_bytes(layout, precision, std::max<int64_t>(page_positions, 1)))) {}

KvCache::KvCache(KvCacheLayout layout, KvPrecision precision, int64_t page_positions,
                 std::shared_ptr<KvPagePool> pool)
    : layout_(std::move(layout)), precision_(precision), page_positions_(page_positions), pool_(std::move(pool)) {
  HEARTH_CHECK(layout_.k_width.size() == layout_.v_width.size());
  HEARTH_CHECK(page_positions_ > 0);
  HEARTH_CHECK(pool_ && pool_->page_bytes() == page_bytes(layout_, precision_, page_positions_),
               "KV page pool of {} bytes a page for pages of {} bytes", pool_ ? pool_->page_bytes() : 0,
               page_bytes(layout_, precision_, page_positions_));
  int64_t offset = 0;
  for (size_t l = 0; l < layout_.k_width.size(); ++l) {
    k_bytes_.push_back(kv_row_bytes(layout_.k_width[l], precision_));
    v_bytes_.push_back(kv_row_bytes(layout_.v_width[l], precision_));
    layer_offset_.push_back(offset);
    offset += page_positions_ * (k_bytes_.back() + v_bytes_.back());
  }
}

KvCache::~KvCache() {
  for (auto& [id, s] : seqs_) release_pages_from(s, 0);
}

KvCache::Sequence& KvCache::sequence(int32_t seq) {
  auto it = seqs_.find(seq);
  HEARTH_CHECK(it != seqs_.end(), "unknown sequence {}", seq);
  return it->second;
}

const KvCache::Sequence& KvCache::sequence(int32_t seq) const {
  auto it = seqs_.find(seq);
  HEARTH_CHECK(it != seqs_.end(), "unknown sequence {}", seq);
  return it->second;
}

int32_t KvCache::add_sequence() {
  const int32_t id = next_seq_++;
  seqs_[id];
  return id;
}

void KvCache::remove_sequence(int32_t seq) {
  auto it = seqs_.find(seq);
  if (it == seqs_.end()) return;
  release_pages_from(it->second, 0);
  seqs_.erase(it);
}

void KvCache::release_pages_from(Sequence& s, int64_t first_page) {
  const size_t keep = to_size(first_page);
  if (keep >= s.pages.size()) return;
  for (size_t p = keep; p < s.pages.size(); ++p)
    if (s.pages[p] >= 0) pool_->release(s.pages[p]);
  s.pages.resize(keep);
  s.data.resize(keep);
}

void KvCache::truncate(int32_t seq, int64_t n_pos) {
  Sequence& s = sequence(seq);
  if (n_pos < s.length) s.length = n_pos;
  if (s.length <= s.begin) s.length = s.begin = 0;
  release_pages_from(s, (s.length + page_positions_ - 1) / page_positions_);
}

int32_t KvCache::share_prefix(int32_t from, int64_t n_pos) {
  const Sequence& src = sequence(from);
  HEARTH_CHECK(n_pos >= 0 && n_pos <= src.length, "share_prefix: {} positions of a sequence of {}", n_pos,
               src.length);
  const int32_t id = add_sequence();
  Sequence& dst = seqs_[id];
  if (n_pos <= src.begin) return id;
  const size_t n_pages = to_size((n_pos + page_positions_ - 1) / page_positions_);
  dst.pages.assign(src.pages.begin(), src.pages.begin() + static_cast<std::ptrdiff_t>(n_pages));
  dst.data.assign(src.data.begin(), src.data.begin() + static_cast<std::ptrdiff_t>(n_pages));
  for (int32_t page : dst.pages)
    if (page >= 0) pool_->retain(page);
  dst.begin = src.begin;
  dst.length = n_pos;
  return id;
}

int32_t KvCache::page_of(int32_t seq, int64_t page) const {
  const Sequence& s = sequence(seq);
  return page >= 0 && to_size(page) < s.pages.size() ? s.pages[to_size(page)] : -1;
}

int32_t KvCache::adopt_pages(const std::vector<int32_t>& pages) {
  const int32_t id = add_sequence();
  Sequence& s = seqs_[id];
  for (int32_t page : pages) {
    pool_->retain(page);
    s.pages.push_back(page);
    s.data.push_back(pool_->data(page));
  }
  s.length = static_cast<int64_t>(pages.size()) * page_positions_;
  return id;
}

Status KvCache::own_page(Sequence& s, int64_t page) {
  const size_t p = to_size(page);
  if (s.pages.size() <= p) {
    s.pages.resize(p + 1, -1);
    s.data.resize(p + 1, nullptr);
  }
  Result<int32_t> mine = s.pages[p] < 0 ? pool_->allocate() : pool_->make_writable(s.pages[p]);
  if (!mine) return mine.status();
  s.pages[p] = *mine;
  s.data[p] = pool_->data(*mine);
  return Status::ok();
}

Status KvCache::reserve(int32_t seq, int64_t pos) {
  HEARTH_CHECK(pos >= 0, "KV position {}", pos);
  Sequence& s = sequence(seq);
  return own_page(s, pos / page_positions_);
}

int64_t KvCache::begin(int32_t seq) const { return sequence(seq).begin; }

int64_t KvCache::length(int32_t seq) const { return sequence(seq).length; }

KvCache::RowSlot KvCache::row_slot(int layer, int32_t seq, int64_t pos) {
  Sequence& s = sequence(seq);
  HEARTH_CHECK(pos >= 0 && layer >= 0 && layer < static_cast<int>(layout_.k_width.size()));
  const auto l = to_size(layer);
  const int64_t page = pos / page_positions_;
  const bool owned = to_size(page) < s.pages.size() && s.pages[to_size(page)] >= 0 &&
                     pool_->refcount(s.pages[to_size(page)]) == 1;
  if (!owned) {
    const Status st = own_page(s, page);
    HEARTH_CHECK(st.is_ok(), "KV write without a reserved page: {}", st.message());
  }
  if (s.length == 0) s.begin = pos;
  HEARTH_CHECK(pos >= s.begin, "KV write at {} before the sequence start {}", pos, s.begin);
  if (pos + 1 > s.length) s.length = pos + 1;
  const int64_t row_bytes = k_bytes_[l] + v_bytes_[l];
  uint8_t* row = s.data[to_size(page)] + layer_offset_[l] + (pos % page_positions_) * row_bytes;
  return {row, row + k_bytes_[l]};
}

void KvCache::write_k(int layer, int32_t seq, int64_t pos, const float* src) {
  kv_encode_row(src, layout_.k_width[to_size(layer)], precision_, row_slot(layer, seq, pos).k);
}

void KvCache::write_v(int layer, int32_t seq, int64_t pos, const float* src) {
  kv_encode_row(src, layout_.v_width[to_size(layer)], precision_, row_slot(layer, seq, pos).v);
}

KvLayerRows KvCache::rows(int layer, int32_t seq) const {
  const Sequence& s = sequence(seq);
  HEARTH_CHECK(layer >= 0 && layer < static_cast<int>(layout_.k_width.size()));
  const auto l = to_size(layer);
  // Every page of [begin, length) must exist (rows are written before they are read).
  for (int64_t page = s.begin / page_positions_; page * page_positions_ < s.length; ++page)
    HEARTH_CHECK(to_size(page) < s.pages.size() && s.pages[to_size(page)] >= 0,
                 "KV layer {} of sequence {} has no rows at position {}", layer, seq, page * page_positions_);
  KvLayerRows r;
  r.pages_ = s.data.data();
  r.layer_offset_ = layer_offset_[l];
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

size_t KvCache::bytes_allocated() const { return to_size(pool_->used_count() * pool_->page_bytes()); }

}  // namespace hearth
