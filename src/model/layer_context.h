// What a block sees of the forward pass it is part of: the batch (rows of token, position,
// sequence), the KV cache, which layer it is, and the probe (nullptr when nobody observes).
#pragma once

#include "src/model/batch.h"
#include "src/model/kv_cache.h"
#include "src/model/probe.h"

namespace hearth {

struct LayerContext {
  const Batch& batch;
  KvCache& cache;
  int layer = 0;
  Probe* probe = nullptr;

  int64_t n_rows() const { return batch.size(); }
  bool probing(std::string_view name) const { return probe && probe->wants(name, layer); }
};

// A block of a decoder layer: reads the normalised hidden states x [n_rows][n_embd] and
// writes its contribution out [n_rows][n_embd] (the layer adds it to the residual stream).
class LayerBlock {
 public:
  virtual ~LayerBlock() = default;
  virtual void forward(const LayerContext& ctx, const float* x, float* out) = 0;
};

}  // namespace hearth
