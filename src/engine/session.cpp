#include "src/engine/session.h"

#include <algorithm>
#include <chrono>

#include "src/base/size.h"

namespace hearth {
namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

Session::Session(Model& model, int64_t prefill_batch, KvPrecision kv)
    : model_(model), prefill_batch_(prefill_batch), cache_(model.kv_layout(), kv), seq_(cache_.add_sequence()) {}

void Session::reset() {
  cache_.truncate(seq_, 0);
  tokens_.clear();
}

Result<std::vector<float>> Session::feed(std::span<const int32_t> tokens, GenerateStats* stats) {
  if (tokens.empty()) return Status::error("cannot run an empty prompt");
  const int64_t max_pos = model_.info().max_position;
  if (max_pos > 0 && static_cast<int64_t>(tokens.size()) > max_pos)
    return Status::errorf("the prompt and history are {} tokens, more than the model's context of {}",
                          tokens.size(), max_pos);
  // Reuse the common prefix, but always recompute at least the last token for its logits.
  size_t common = 0;
  while (common < tokens_.size() && common < tokens.size() && tokens_[common] == tokens[common]) ++common;
  common = std::min(common, tokens.size() - 1);
  cache_.truncate(seq_, static_cast<int64_t>(common));
  tokens_.resize(common);

  std::vector<float> logits;
  Batch batch;
  const size_t step = to_size(prefill_batch_);
  for (size_t begin = common; begin < tokens.size(); begin += step) {
    const size_t end = std::min(tokens.size(), begin + step);
    batch.clear();
    for (size_t i = begin; i < end; ++i)
      batch.add(tokens[i], static_cast<int32_t>(i), seq_, i + 1 == tokens.size());
    Status s = model_.forward(batch, cache_, logits);
    if (!s) {
      cache_.truncate(seq_, static_cast<int64_t>(begin));
      tokens_.assign(tokens.begin(), tokens.begin() + static_cast<long>(begin));
      return s;
    }
  }
  tokens_.assign(tokens.begin(), tokens.end());
  if (stats) {
    stats->cached_tokens = static_cast<int64_t>(common);
    stats->prompt_tokens = static_cast<int64_t>(tokens.size() - common);
  }
  return logits;
}

Result<GenerateStats> Session::generate(std::span<const int32_t> prompt, const GenerateOptions& options,
                                        const std::function<bool(int32_t)>& on_token) {
  GenerateStats stats;
  auto t0 = std::chrono::steady_clock::now();
  auto fed = feed(prompt, &stats);
  if (!fed) return fed.status();
  std::vector<float> logits = std::move(fed.value());
  stats.prompt_seconds = seconds_since(t0);

  Sampler sampler(options.sampler);
  const int64_t max_pos = model_.info().max_position;
  t0 = std::chrono::steady_clock::now();
  Batch batch;
  for (int32_t i = 0; i < options.max_tokens; ++i) {
    const int32_t tok = sampler.sample(logits, tokens_);
    ++stats.generated_tokens;
    const bool is_stop = !options.ignore_eos &&
        std::find(options.stop_ids.begin(), options.stop_ids.end(), tok) != options.stop_ids.end();
    if (is_stop) {
      stats.stop = StopReason::kEos;
      break;
    }
    if (!on_token(tok)) {
      stats.stop = StopReason::kCallback;
      break;
    }
    if (i + 1 == options.max_tokens) break;  // the last token needs no forward pass
    if (max_pos > 0 && static_cast<int64_t>(tokens_.size()) >= max_pos) {
      stats.stop = StopReason::kContextFull;
      break;
    }
    batch.clear();
    batch.add(tok, static_cast<int32_t>(tokens_.size()), seq_, true);
    HEARTH_TRY(model_.forward(batch, cache_, logits));
    tokens_.push_back(tok);
  }
  stats.generate_seconds = seconds_since(t0);
  return stats;
}

}  // namespace hearth
