// Key/value storage of many sequences in pages from a KvPagePool: a page holds every layer's
// rows of page_positions consecutive positions of one sequence ([layer][position][k | v]), and
// a sequence is a table of pages, so sequences grow and finish independently without
// reallocating, and share the full pages of a common prefix (share_prefix; a shared page is
// copied before it is written). The pool is the cache's own (unbounded) or one shared with
// other caches under a byte budget. Each layer declares its row widths: GQA stores
// n_head_kv*head_dim keys and values; absorbed MLA stores the latent + rope key as "k" and
// nothing as "v". Rows are stored at the cache's KvPrecision (f32, bf16 or q8): written from
// float32, read back as float32 (a direct pointer for f32, decoded into the caller's scratch
// otherwise).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <vector>

#include "src/base/size.h"
#include "src/base/status.h"
#include "src/model/kv_page_pool.h"
#include "src/model/kv_precision.h"

namespace hearth {

struct KvCacheLayout {
  std::vector<int64_t> k_width;  // [n_layer]
  std::vector<int64_t> v_width;  // [n_layer]
};

// Read access to one layer of one sequence, resolved once: attention reads every cached row
// of a head through this instead of looking the sequence up per row. Valid until the cache is
// written or truncated.
class KvLayerRows {
 public:
  int64_t begin() const { return begin_; }
  int64_t length() const { return length_; }
  // Values [offset, offset + count) of the key / value row at pos, as float32: a pointer into
  // the cache for f32, else decoded into scratch (count floats). pos in [begin, length), not
  // checked here.
  const float* k(int64_t pos, int64_t offset, int64_t count, float* scratch) const {
    return values(row(pos), k_width_, offset, count, scratch);
  }
  const float* v(int64_t pos, int64_t offset, int64_t count, float* scratch) const {
    return values(row(pos) + k_bytes_, v_width_, offset, count, scratch);
  }
  // The stored key / value row at pos of a bf16 cache (only), for kernels that widen it
  // themselves.
  const uint16_t* k_bf16(int64_t pos) const { return reinterpret_cast<const uint16_t*>(row(pos)); }
  const uint16_t* v_bf16(int64_t pos) const { return reinterpret_cast<const uint16_t*>(row(pos) + k_bytes_); }

 private:
  friend class KvCache;
  const uint8_t* row(int64_t pos) const {
    return pages_[to_size(pos / page_positions_)] + layer_offset_ + (pos % page_positions_) * row_bytes_;
  }
  const float* values(const uint8_t* r, int64_t width, int64_t offset, int64_t count, float* scratch) const {
    if (precision_ == KvPrecision::kF32) return reinterpret_cast<const float*>(r) + offset;
    kv_decode_range(r, width, precision_, offset, count, scratch);
    return scratch;
  }
  const uint8_t* const* pages_ = nullptr;  // the sequence's pages by index
  int64_t layer_offset_ = 0;                // where this layer's rows start in a page
  int64_t page_positions_ = 0, row_bytes_ = 0, k_bytes_ = 0, k_width_ = 0, v_width_ = 0;
  int64_t begin_ = 0, length_ = 0;
  KvPrecision precision_ = KvPrecision::kF32;
};

class KvCache {
 public:
  // A cache with a pool of its own that grows as needed.
  explicit KvCache(KvCacheLayout layout, KvPrecision precision = KvPrecision::kF32, int64_t page_positions = 256);
  // A cache whose pages come from `pool` (its page_bytes must be page_bytes(layout, ...)).
  KvCache(KvCacheLayout layout, KvPrecision precision, int64_t page_positions, std::shared_ptr<KvPagePool> pool);
  ~KvCache();
  KvCache(const KvCache&) = delete;
  KvCache& operator=(const KvCache&) = delete;

  // Bytes of one page: every layer's rows of page_positions positions.
  static int64_t page_bytes(const KvCacheLayout& layout, KvPrecision precision, int64_t page_positions);

  int32_t add_sequence();
  void remove_sequence(int32_t seq);  // its pages go back to the pool (unless shared)
  // Forget positions >= n_pos of a sequence (e.g. to rewind to a shared prefix); pages wholly
  // past n_pos go back to the pool.
  void truncate(int32_t seq, int64_t n_pos);
  // A new sequence holding the first n_pos positions of `from` (n_pos <= its length), sharing
  // its pages: no row is copied until one of the two writes into a shared page.
  int32_t share_prefix(int32_t from, int64_t n_pos);
  // The pool page holding page index `page` of seq (positions page * page_positions ...), or
  // -1 where the sequence has none.
  int32_t page_of(int32_t seq, int64_t page) const;
  // A new sequence made of whole pool pages held elsewhere (a prefix cache's), positions
  // [0, pages.size() * page_positions); it takes a reference to each.
  int32_t adopt_pages(const std::vector<int32_t>& pages);
  // Makes sure the page of (seq, pos) exists and is the sequence's own, so writes to that
  // position cannot fail: an error when the pool is full. A forward pass reserves every row
  // of its batch before any layer runs.
  Status reserve(int32_t seq, int64_t pos);
  bool has_sequence(int32_t seq) const { return seqs_.count(seq) > 0; }
  int64_t length(int32_t seq) const;  // highest written position + 1
  // First position held: 0 normally; a sequence may start later (e.g. a window of a long
  // document evaluated at its true positions), and attention starts there.
  int64_t begin(int32_t seq) const;

  // Store a whole key (k_width values) or value (v_width values) row; takes the page from the
  // pool on demand (a programmer error if the pool is full: reserve first) and extends length().
  void write_k(int layer, int32_t seq, int64_t pos, const float* row);
  void write_v(int layer, int32_t seq, int64_t pos, const float* row);
  // Where the key and value rows of (layer, seq, pos) are stored, for kv_encode_row: allocates
  // the page and extends length() as write_k does. Taking slots is not thread-safe; encoding
  // into distinct slots is (prefill takes a batch's slots in order, then fills them in parallel).
  struct RowSlot {
    uint8_t* k;
    uint8_t* v;
  };
  RowSlot row_slot(int layer, int32_t seq, int64_t pos);
  // One layer of one sequence for reading (every position in [begin, length) written). Safe
  // to use from several threads at once.
  KvLayerRows rows(int layer, int32_t seq) const;

  const KvCacheLayout& layout() const { return layout_; }
  KvPrecision precision() const { return precision_; }
  int64_t page_positions() const { return page_positions_; }
  // Bytes one position occupies over all layers, and what the allocator takes for one
  // sequence of n positions (whole pages).
  int64_t bytes_per_token() const;
  int64_t bytes_for_positions(int64_t n) const;
  // Bytes of the pool's pages in use (by every cache sharing the pool).
  size_t bytes_allocated() const;
  const KvPagePool& pool() const { return *pool_; }
  KvPagePool& pool() { return *pool_; }

 private:
  struct Sequence {
    std::vector<int32_t> pages;  // pool page of each page index, -1 where none
    std::vector<uint8_t*> data;  // the same pages' bytes (null where none), what rows() reads
    int64_t length = 0;
    int64_t begin = 0;
  };
  Sequence& sequence(int32_t seq);
  const Sequence& sequence(int32_t seq) const;
  // The page at index `page` of s, present and the sequence's own; an error if the pool is full.
  Status own_page(Sequence& s, int64_t page);
  void release_pages_from(Sequence& s, int64_t first_page);

  KvCacheLayout layout_;
  KvPrecision precision_;
  int64_t page_positions_;
  std::vector<int64_t> k_bytes_, v_bytes_;  // [n_layer], from kv_row_bytes
  std::vector<int64_t> layer_offset_;       // [n_layer]: where each layer's rows start in a page
  std::shared_ptr<KvPagePool> pool_;
  std::map<int32_t, Sequence> seqs_;
  int32_t next_seq_ = 0;
};

}  // namespace hearth
