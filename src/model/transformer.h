// The decoder-only transformer shell shared by every architecture: token embedding ->
// n_layer x [ x += attn(norm(x)); x += ffn(norm(x)) ] -> final norm -> LM head.
// Architecture files (models/) read their config and fill a TransformerSpec with blocks;
// this class runs it. Intermediates: "hidden" (residual stream after each layer), "attn_in"
// and "ffn_in" (normalised inputs of the attention and FFN blocks), "lm_head_in" (layer -1).
#pragma once

#include <memory>
#include <vector>

#include "quant/tensor.h"
#include "src/io/weight_source.h"
#include "src/model/layer_context.h"
#include "src/model/model.h"
#include "src/ops/packed_weights.h"

namespace hearth {

struct DecoderLayer {
  std::vector<float> attn_norm;  // [n_embd]
  std::unique_ptr<LayerBlock> attention;
  std::vector<float> ffn_norm;   // [n_embd]
  std::unique_ptr<LayerBlock> ffn;
  int64_t k_width = 0, v_width = 0;  // KV cache row widths this layer needs
};

struct TransformerSpec {
  ModelInfo info;
  float norm_eps = 1e-6f;
  TensorView token_embd;          // [n_vocab][n_embd]
  std::vector<DecoderLayer> layers;
  std::vector<float> output_norm;  // [n_embd]
  TensorView lm_head;             // [n_vocab][n_embd] (the embedding when tied)
  std::shared_ptr<const ops::PackedWeights> packed;  // owns the packed copies views point into
  int threads = 0;  // of each forward pass (LoadOptions::threads); 0: OpenMP's default
};

class Transformer final : public Model {
 public:
  Transformer(std::shared_ptr<const WeightSource> weights, TransformerSpec spec);

  const ModelInfo& info() const override { return spec_.info; }
  KvCacheLayout kv_layout() const override;
  Status forward(const Batch& batch, KvCache& cache, std::vector<float>& logits,
                 Probe* probe = nullptr) override;
  const WeightSource& weights() const override { return *weights_; }

 private:
  // The pass itself, on the calling thread driving the pass's thread team (ops::with_team).
  Status run_layers(const Batch& batch, KvCache& cache, std::vector<float>& logits, Probe* probe);

  std::shared_ptr<const WeightSource> weights_;
  TransformerSpec spec_;
};

}  // namespace hearth
