// The model interface the engine and the verification tools run: one forward call over a
// Batch with a KvCache, logits out for the rows that ask for them.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "src/base/status.h"
#include "src/model/batch.h"
#include "src/model/kv_cache.h"
#include "src/model/probe.h"

namespace hearth {

class WeightSource;

struct ModelInfo {
  std::string architecture;  // e.g. "Qwen3MoeForCausalLM"
  int64_t n_vocab = 0;
  int64_t n_embd = 0;
  int64_t n_layer = 0;
  int64_t max_position = 0;  // max_position_embeddings (0 = unknown)
  std::vector<int32_t> eos_ids;  // from config / generation_config
  std::optional<int32_t> bos_id;
};

class Model {
 public:
  virtual ~Model() = default;
  virtual const ModelInfo& info() const = 0;
  virtual KvCacheLayout kv_layout() const = 0;

  // Runs every row of `batch`; K/V of each row go into `cache` (sequences must exist);
  // logits gets one row of n_vocab floats per row that wants logits, in batch order.
  virtual Status forward(const Batch& batch, KvCache& cache, std::vector<float>& logits,
                         Probe* probe = nullptr) = 0;

  // The weights this model reads (kept alive as long as the model).
  virtual const WeightSource& weights() const = 0;
};

}  // namespace hearth
