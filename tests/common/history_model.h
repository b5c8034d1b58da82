// A Model for scheduler tests whose next token depends on every token its sequence holds in the
// KV cache: each row stores its token as its key row, and a row's logits are read back from the
// cached rows [0, position]. A wrong page, a missed row, a position out of place or a prefix
// reused for other tokens all change what it generates, and it runs in microseconds, so
// scheduling (admission, preemption, prefix reuse, threads) is tested on thousands of steps.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "src/io/weight_source.h"
#include "src/model/model.h"

namespace hearth::test {

class HistoryModel : public Model {
 public:
  explicit HistoryModel(int64_t n_vocab = 97, int64_t max_position = 4096) {
    info_.architecture = "HistoryModel";
    info_.n_vocab = n_vocab;
    info_.n_embd = 1;
    info_.n_layer = 1;
    info_.max_position = max_position;
  }
  const ModelInfo& info() const override { return info_; }
  KvCacheLayout kv_layout() const override { return {{1}, {1}}; }

  // The token that follows `history` (what the logits of its last position pick).
  int32_t next_token(const std::vector<int32_t>& history) const {
    uint64_t h = 1469598103934665603ull;
    for (size_t p = 0; p < history.size(); ++p) h = (h ^ (static_cast<uint64_t>(history[p]) * 31 + p)) * 1099511628211ull;
    return static_cast<int32_t>(h % static_cast<uint64_t>(info_.n_vocab));
  }

  Status forward(const Batch& batch, KvCache& cache, std::vector<float>& logits, Probe* = nullptr) override {
    ++passes;
    rows += batch.size();
    for (int64_t r = 0; r < batch.size(); ++r) HEARTH_TRY(cache.reserve(batch.seq_id(r), batch.position(r)));
    for (int64_t r = 0; r < batch.size(); ++r) {
      const float t = static_cast<float>(batch.token(r));
      cache.write_k(0, batch.seq_id(r), batch.position(r), &t);
      cache.write_v(0, batch.seq_id(r), batch.position(r), &t);
    }
    logits.assign(static_cast<size_t>(batch.n_outputs() * info_.n_vocab), 0.0f);
    float* out = logits.data();
    for (int64_t r = 0; r < batch.size(); ++r) {
      if (!batch.wants_logits_at(r)) continue;
      const KvLayerRows kv = cache.rows(0, batch.seq_id(r));
      std::vector<int32_t> history;
      for (int64_t p = 0; p <= batch.position(r); ++p) history.push_back(static_cast<int32_t>(*kv.k(p, 0, 1, nullptr)));
      const int32_t next = next_token(history);
      for (int64_t v = 0; v < info_.n_vocab; ++v) out[v] = -static_cast<float>(std::abs(v - next));
      out += info_.n_vocab;
    }
    return Status::ok();
  }

  const WeightSource& weights() const override { return no_weights_; }

  int64_t passes = 0, rows = 0;  // forward calls and rows run

 private:
  class NoWeights : public WeightSource {
   public:
    const nlohmann::json& config() const override { return empty_; }
    const std::string& tokenizer_json() const override { return none_; }
    const std::string& tokenizer_config_json() const override { return none_; }
    const nlohmann::json& generation_config() const override { return empty_; }
    std::string description() const override { return "history model"; }
    bool has_tensor(const std::string&) const override { return false; }
    Result<TensorView> tensor(const std::string& name) const override {
      return Status::errorf("the history model has no tensor {}", name);
    }
    std::vector<std::string> tensor_names() const override { return {}; }

   private:
    nlohmann::json empty_ = nlohmann::json::object();
    std::string none_;
  };
  ModelInfo info_;
  NoWeights no_weights_;
};

// What HistoryModel generates greedily after `prompt`: n tokens.
inline std::vector<int32_t> history_continuation(const HistoryModel& m, std::vector<int32_t> prompt, int n) {
  std::vector<int32_t> out;
  for (int i = 0; i < n; ++i) {
    out.push_back(m.next_token(prompt));
    prompt.push_back(out.back());
  }
  return out;
}

}  // namespace hearth::test
