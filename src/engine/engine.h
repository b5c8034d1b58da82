// The serving engine: many requests over one model, one Model::forward per step (continuous
// batching). Each step takes one decode row of every running sequence, then chunks of
// prompts still to compute up to the step's token budget (chunked prefill: a long prompt never
// freezes the running streams), runs the pass, and samples each sequence that got logits with
// its own parameters. KV pages come from one pool under a byte budget; prompts start from the
// longest prefix already in the prefix cache. A request is admitted, first come first served,
// when the pool can hold its prompt; when the pool runs dry mid-generation the most recently
// admitted sequence gives its pages back and waits to be recomputed, so nobody fails for
// lack of room except a request that cannot fit even alone (refused at submit).
//
// submit() and cancel() may be called from any thread; step() and the loops that call it run
// on one thread (the engine's), which is also where the callbacks run.
// Not here: the wire format (openai_api.h), what a chat turn is (session.h).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <unordered_set>
#include <vector>

#include "src/engine/generation_defaults.h"
#include "src/engine/prefix_cache.h"
#include "src/engine/request.h"
#include "src/engine/text_stream.h"
#include "src/model/model.h"

namespace hearth {

struct EngineOptions {
  int64_t kv_budget_bytes = 0;           // 0: a pool that grows as needed (one user, tests)
  KvPrecision kv = KvPrecision::kF32;
  int64_t page_positions = 16;           // positions per KV page (the prefix cache's unit)
  int64_t batch_tokens = kPrefillBatch;  // rows per forward pass (decode rows count one each)
  int32_t max_sequences = 256;           // running at once
  bool prefix_cache = true;
  int64_t max_cached_pages = 0;          // > 0: the prefix cache keeps at most this many pages
};

// A consistent snapshot for monitoring (thread-safe).
struct EngineStats {
  int64_t steps = 0;
  int64_t batch_rows = 0;  // rows of all forward passes so far (batch_rows / steps: rows per step)
  int64_t running = 0, waiting = 0;
  int64_t kv_pages_used = 0, kv_pages_total = 0, kv_pages_peak = 0;
  int64_t kv_page_bytes = 0;
  int64_t prompt_tokens = 0, cached_prompt_tokens = 0, generated_tokens = 0;
  int64_t preemptions = 0;
  int64_t finished = 0;
};

class Engine {
 public:
  // An error if the budget holds no page.
  static Result<std::unique_ptr<Engine>> create(Model& model, const EngineOptions& options,
                                                const Tokenizer* tokenizer = nullptr);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Queues a request and returns its id; an error (and no callback) for a request that can
  // never run: an empty prompt, ids outside the vocabulary, a prompt the context or the whole
  // KV budget cannot hold, stop strings without a tokenizer.
  Result<uint64_t> submit(Request request);
  // Ends the request within one step (its on_done reports kCancelled); unknown ids are ignored.
  void cancel(uint64_t id);

  // One step; false when there was nothing to do.
  bool step();
  // Steps until no request is waiting or running.
  void run_until_idle();
  // Steps until `stop` is requested, sleeping while idle; what is still queued then is
  // cancelled. For a server's engine thread.
  void serve(std::stop_token stop);

  EngineStats stats() const;
  const EngineOptions& options() const { return options_; }
  Model& model() { return model_; }
  // Lets go of every page only the prefix cache holds (a chat's /reset).
  void clear_prefix_cache();
  // Faults in pool pages for `positions` positions (KvPagePool::prefault). Engine thread.
  Status prefault_kv(int64_t positions);
  // Starts the peak of KV pages in use over from the pages in use now. Engine thread.
  void reset_kv_peak();

 private:
  using Clock = std::chrono::steady_clock;
  struct Sequence;  // a request being served (engine.cpp)

  Engine(Model& model, const EngineOptions& options, const Tokenizer* tokenizer, std::shared_ptr<KvPagePool> pool);
  void take_submissions();
  bool admit(Sequence& s, int64_t reserved_pages);
  int64_t pages_to_write(const Sequence& s, int64_t rows) const;
  int64_t pages_for(int64_t positions) const;
  bool make_room(int64_t pages);
  void preempt(Sequence& s);
  void finish(Sequence& s, FinishReason reason, Status status = Status::ok());
  // Samples the sequence's next token from its logits row; false when it ended.
  bool advance(Sequence& s, std::span<float> logits);
  void publish_stats();

  Model& model_;
  EngineOptions options_;
  const Tokenizer* tokenizer_;
  std::unique_ptr<KvCache> cache_;
  std::unique_ptr<PrefixCache> prefix_;

  // Engine thread only.
  std::vector<std::unique_ptr<Sequence>> running_;  // in admission order
  std::deque<std::unique_ptr<Sequence>> waiting_;   // FCFS; preempted ones go back to the front
  Batch batch_;
  std::vector<float> logits_;
  int64_t peak_pages_ = 0, steps_ = 0, batch_rows_ = 0, preemptions_ = 0, finished_ = 0;
  int64_t prompt_tokens_ = 0, cached_tokens_ = 0, generated_tokens_ = 0;

  // Shared with submitting threads.
  mutable std::mutex mu_;
  std::condition_variable_any wake_;
  std::vector<std::unique_ptr<Sequence>> incoming_;
  std::unordered_set<uint64_t> cancelled_;
  uint64_t next_id_ = 1;
  EngineStats published_;
};

}  // namespace hearth
