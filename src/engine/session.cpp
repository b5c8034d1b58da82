#include "src/engine/session.h"

#include <algorithm>

namespace hearth {
namespace {

EngineOptions session_engine_options(const Model& model, int64_t prefill_batch, KvPrecision kv) {
  EngineOptions o;
  o.kv = kv;
  o.batch_tokens = prefill_batch;
  o.max_sequences = 1;
  // One conversation's worth of pages stays cached (its earlier turns); older ones go.
  const int64_t context = model.info().max_position > 0 ? model.info().max_position : 32768;
  o.max_cached_pages = (context + o.page_positions - 1) / o.page_positions;
  return o;
}

StopReason stop_reason(FinishReason reason) {
  switch (reason) {
    case FinishReason::kLength: return StopReason::kMaxTokens;
    case FinishReason::kStop: return StopReason::kEos;
    case FinishReason::kContextFull: return StopReason::kContextFull;
    case FinishReason::kStopString:
    case FinishReason::kCancelled:
    case FinishReason::kError: break;
  }
  return StopReason::kCallback;
}

}  // namespace

Session::Session(Model& model, int64_t prefill_batch, KvPrecision kv)
    : model_(model), engine_(Engine::create(model, session_engine_options(model, prefill_batch, kv)).value()) {}

void Session::reset() {
  engine_->clear_prefix_cache();
  tokens_.clear();
}

Completion Session::run(Request request) {
  Completion done;
  done.status = Status::error("the request did not finish");
  request.on_done = [&done](Completion&& c) { done = std::move(c); };
  auto id = engine_->submit(std::move(request));
  if (!id) {
    done.status = id.status();
    return done;
  }
  engine_->run_until_idle();
  return done;
}

Result<std::vector<float>> Session::feed(std::span<const int32_t> tokens, GenerateStats* stats) {
  Request r;
  r.prompt.assign(tokens.begin(), tokens.end());
  r.params.max_tokens = 0;
  r.params.keep_logits = true;
  Completion c = run(std::move(r));
  if (!c.status) return c.status;
  tokens_.assign(tokens.begin(), tokens.end());
  if (stats) {
    stats->cached_tokens = c.cached_tokens;
    stats->prompt_tokens = c.prompt_tokens - c.cached_tokens;
  }
  return std::move(c.logits);
}

Result<GenerateStats> Session::generate(std::span<const int32_t> prompt, const GenerateOptions& options,
                                        const std::function<bool(int32_t)>& on_token) {
  Request r;
  r.prompt.assign(prompt.begin(), prompt.end());
  r.params.sampler = options.sampler;
  r.params.max_tokens = options.max_tokens;
  if (!options.ignore_eos) r.params.stop_ids = options.stop_ids;
  r.on_token = [&on_token](const TokenEvent& e) { return on_token(e.token); };
  Completion c = run(std::move(r));
  if (!c.status) return c.status;
  tokens_.assign(prompt.begin(), prompt.end());
  tokens_.insert(tokens_.end(), c.tokens.begin(), c.tokens.end());

  GenerateStats stats;
  stats.cached_tokens = c.cached_tokens;
  stats.prompt_tokens = c.prompt_tokens - c.cached_tokens;
  // A stop id was sampled too, though not emitted.
  stats.generated_tokens = static_cast<int64_t>(c.tokens.size()) + (c.reason == FinishReason::kStop ? 1 : 0);
  const double first = c.first_token_seconds > 0 ? c.first_token_seconds : c.total_seconds;
  stats.prompt_seconds = first - c.queued_seconds;
  stats.generate_seconds = c.total_seconds - first;
  stats.stop = stop_reason(c.reason);
  return stats;
}

}  // namespace hearth
