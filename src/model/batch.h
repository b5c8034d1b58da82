// A forward batch: rows of (token, position, sequence), each optionally asking for logits.
// Prefill of one prompt, one decode step, and a mixed batch of many requests' prompts and
// decode steps are all the same call: Model::forward(batch, cache, logits).
#pragma once

#include <cstdint>
#include <vector>

#include "src/base/size.h"

namespace hearth {

struct Batch {
  std::vector<int32_t> tokens;
  std::vector<int32_t> positions;
  std::vector<int32_t> seq_ids;
  std::vector<uint8_t> wants_logits;

  void add(int32_t token, int32_t position, int32_t seq_id, bool logits) {
    tokens.push_back(token);
    positions.push_back(position);
    seq_ids.push_back(seq_id);
    wants_logits.push_back(logits ? 1 : 0);
  }
  // Row r's fields (r in [0, size()), counted in int64_t like the rest of the model code).
  int32_t token(int64_t r) const { return tokens[to_size(r)]; }
  int32_t position(int64_t r) const { return positions[to_size(r)]; }
  int32_t seq_id(int64_t r) const { return seq_ids[to_size(r)]; }
  bool wants_logits_at(int64_t r) const { return wants_logits[to_size(r)] != 0; }
  int64_t size() const { return static_cast<int64_t>(tokens.size()); }
  int64_t n_outputs() const {
    int64_t n = 0;
    for (uint8_t w : wants_logits) n += w;
    return n;
  }
  void clear() { tokens.clear(); positions.clear(); seq_ids.clear(); wants_logits.clear(); }
};

}  // namespace hearth
