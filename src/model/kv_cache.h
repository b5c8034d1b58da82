// Per-sequence, per-layer key/value storage in fixed-size pages, so sequences grow and finish
// independently without reallocating. Each layer declares its row widths: GQA stores
// n_head_kv*head_dim keys and values; absorbed MLA stores the latent + rope key as "k" and
// nothing as "v". Values are float32 here.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <vector>

namespace hearth {

struct KvCacheLayout {
  std::vector<int64_t> k_width;  // [n_layer]
  std::vector<int64_t> v_width;  // [n_layer]
};

class KvCache {
 public:
  explicit KvCache(KvCacheLayout layout, int64_t page_positions = 256);

  int32_t add_sequence();
  void remove_sequence(int32_t seq);
  // Forget positions >= n_pos of a sequence (e.g. to rewind to a shared prefix).
  void truncate(int32_t seq, int64_t n_pos);
  bool has_sequence(int32_t seq) const { return seqs_.count(seq) > 0; }
  int64_t length(int32_t seq) const;  // highest written position + 1
  // First position held: 0 normally; a sequence may start later (e.g. a window of a long
  // document evaluated at its true positions), and attention starts there.
  int64_t begin(int32_t seq) const;

  // Row pointers; writing allocates pages on demand and extends length().
  float* k_write(int layer, int32_t seq, int64_t pos);
  float* v_write(int layer, int32_t seq, int64_t pos);
  const float* k(int layer, int32_t seq, int64_t pos) const;
  const float* v(int layer, int32_t seq, int64_t pos) const;

  const KvCacheLayout& layout() const { return layout_; }
  size_t bytes_allocated() const;

 private:
  struct LayerPages {
    std::vector<std::unique_ptr<float[]>> pages;  // each [page_positions][k_width + v_width]
  };
  struct Sequence {
    std::vector<LayerPages> layers;
    int64_t length = 0;
    int64_t begin = 0;
  };
  float* row(int layer, int32_t seq, int64_t pos, bool write);

  KvCacheLayout layout_;
  int64_t page_positions_;
  std::map<int32_t, Sequence> seqs_;
  int32_t next_seq_ = 0;
};

}  // namespace hearth
