#include "src/engine/engine.h"

#include <algorithm>

#include "src/base/size.h"

namespace hearth {

const char* finish_reason_name(FinishReason reason) {
  switch (reason) {
    case FinishReason::kLength: return "length";
    case FinishReason::kStop: return "stop";
    case FinishReason::kStopString: return "stop_string";
    case FinishReason::kCancelled: return "cancelled";
    case FinishReason::kContextFull: return "context_full";
    case FinishReason::kError: return "error";
  }
  return "unknown";
}

// A request being served. Its tokens are the prompt followed by what it generated; positions
// [0, computed) are in the cache, and each step feeds some of the rest (a prompt chunk, or the
// one token sampled last). A preempted sequence keeps its tokens, sampler and text state and
// only loses its cache, so recomputing it continues exactly where it stopped.
struct Engine::Sequence {
  uint64_t id = 0;
  Request request;
  Sampler sampler;
  std::optional<TextStream> text;
  std::vector<int32_t> tokens;
  int64_t prompt_len = 0;
  int32_t seq = -1;  // the cache's sequence while admitted
  PrefixCache::Chain indexed;  // how far the prefix cache holds its pages (while admitted)
  int64_t computed = 0;
  int64_t cached = -1;  // prompt tokens the prefix cache gave at first admission (-1: not yet admitted)
  int32_t preemptions = 0;
  bool done = false;
  std::vector<float> logits;  // keep_logits
  Clock::time_point submitted, admitted, first_token;

  Sequence(uint64_t request_id, Request r, const Tokenizer* tokenizer)
      : id(request_id), request(std::move(r)), sampler(request.params.sampler), tokens(request.prompt),
        prompt_len(static_cast<int64_t>(request.prompt.size())), submitted(Clock::now()) {
    if (tokenizer) text.emplace(*tokenizer, request.params.stop_strings);
  }
  int64_t pending() const { return static_cast<int64_t>(tokens.size()) - computed; }
  int64_t generated() const { return static_cast<int64_t>(tokens.size()) - prompt_len; }
};

namespace {

double seconds(std::chrono::steady_clock::duration d) { return std::chrono::duration<double>(d).count(); }

}  // namespace

Result<std::unique_ptr<Engine>> Engine::create(Model& model, const EngineOptions& options, const Tokenizer* tokenizer) {
  if (options.page_positions <= 0) return Status::error("KV pages need at least one position");
  if (options.batch_tokens <= 0) return Status::error("the batch token budget must be positive");
  if (options.max_sequences <= 0) return Status::error("the engine needs room for at least one sequence");
  const int64_t page_bytes = KvCache::page_bytes(model.kv_layout(), options.kv, options.page_positions);
  std::shared_ptr<KvPagePool> pool;
  if (options.kv_budget_bytes > 0) {
    auto created = KvPagePool::create(page_bytes, options.kv_budget_bytes);
    if (!created) return created.status();
    pool = std::move(created.value());
  } else {
    pool = KvPagePool::unbounded(page_bytes);
  }
  return std::unique_ptr<Engine>(new Engine(model, options, tokenizer, std::move(pool)));
}

Engine::Engine(Model& model, const EngineOptions& options, const Tokenizer* tokenizer, std::shared_ptr<KvPagePool> pool)
    : model_(model),
      options_(options),
      tokenizer_(tokenizer),
      cache_(std::make_unique<KvCache>(model.kv_layout(), options.kv, options.page_positions, std::move(pool))) {
  if (options_.prefix_cache) prefix_ = std::make_unique<PrefixCache>(*cache_);
  published_.kv_pages_total = cache_->pool().page_count();
  published_.kv_page_bytes = cache_->pool().page_bytes();
}

Engine::~Engine() {
  // Sequences let go of their pages before the index and the cache go.
  for (auto& s : running_)
    if (s->seq >= 0) cache_->remove_sequence(s->seq);
  prefix_.reset();
}

int64_t Engine::pages_for(int64_t positions) const {
  return (positions + options_.page_positions - 1) / options_.page_positions;
}

Result<uint64_t> Engine::submit(Request request) {
  const ModelInfo& info = model_.info();
  if (request.prompt.empty()) return Status::error("cannot run an empty prompt");
  for (int32_t t : request.prompt)
    if (t < 0 || t >= info.n_vocab)
      return Status::errorf("token id {} is outside the vocabulary (0..{})", t, info.n_vocab - 1);
  const auto n = static_cast<int64_t>(request.prompt.size());
  if (info.max_position > 0 && n > info.max_position)
    return Status::errorf("the prompt is {} tokens, more than the model's context of {}", n, info.max_position);
  const int64_t pages = pages_for(n), total = cache_->pool().page_count();
  if (pages > total)
    return Status::errorf("the prompt is {} tokens and needs {} KV pages ({} MiB); the KV budget holds {} pages",
                          n, pages, pages * cache_->pool().page_bytes() >> 20, total);
  if (!request.params.stop_strings.empty() && !tokenizer_)
    return Status::error("stop strings need an engine with a tokenizer");
  if (request.params.max_tokens < 0) return Status::error("max_tokens cannot be negative");
  std::lock_guard lock(mu_);
  const uint64_t id = next_id_++;
  incoming_.push_back(std::make_unique<Sequence>(id, std::move(request), tokenizer_));
  wake_.notify_all();
  return id;
}

void Engine::cancel(uint64_t id) {
  std::lock_guard lock(mu_);
  cancelled_.insert(id);
  wake_.notify_all();
}

void Engine::take_submissions() {
  std::unordered_set<uint64_t> cancelled;
  {
    std::lock_guard lock(mu_);
    for (auto& s : incoming_) waiting_.push_back(std::move(s));
    incoming_.clear();
    cancelled.swap(cancelled_);
  }
  if (cancelled.empty()) return;
  for (auto& s : running_)
    if (cancelled.count(s->id)) finish(*s, FinishReason::kCancelled);
  for (auto& s : waiting_)
    if (cancelled.count(s->id)) finish(*s, FinishReason::kCancelled);
  std::erase_if(running_, [](const auto& s) { return s->done; });
  std::erase_if(waiting_, [](const auto& s) { return s->done; });
}

// Pages the next `rows` positions of s take from the pool: those it has not got, and shared
// ones it must copy before writing.
int64_t Engine::pages_to_write(const Sequence& s, int64_t rows) const {
  if (rows <= 0) return 0;
  const int64_t first = s.computed / options_.page_positions;
  const int64_t last = (s.computed + rows - 1) / options_.page_positions;
  if (s.seq < 0) return last - first + 1;
  int64_t n = 0;
  for (int64_t p = first; p <= last; ++p) {
    const int32_t page = cache_->page_of(s.seq, p);
    if (page < 0 || cache_->pool().refcount(page) > 1) ++n;
  }
  return n;
}

// Frees pages the prefix cache alone holds until `pages` are free.
bool Engine::make_room(int64_t pages) {
  KvPagePool& pool = cache_->pool();
  if (pool.free_count() < pages && prefix_) prefix_->evict(pages - pool.free_count());
  return pool.free_count() >= pages;
}

// Admits s if the pool can hold the rest of its tokens beside `reserved` pages promised to
// the running sequences; its prompt starts from the longest prefix the cache holds.
bool Engine::admit(Sequence& s, int64_t reserved) {
  int64_t hit = 0;
  if (prefix_) {
    const PrefixCache::Hit h = prefix_->lookup(s.tokens);
    if (h.seq >= 0) s.seq = h.seq, hit = h.positions;
    // A running prompt still computing pages this one could share: wait for them rather than
    // compute them twice (64 requests with one system prompt compute it once).
    for (const auto& r : running_) {
      if (r->pending() <= 1) continue;
      const auto n = std::min(s.tokens.size(), r->tokens.size());
      const auto common = static_cast<int64_t>(std::mismatch(s.tokens.begin(), s.tokens.begin() + static_cast<long>(n),
                                                             r->tokens.begin()).first - s.tokens.begin());
      if (common / options_.page_positions * options_.page_positions > hit) {
        if (s.seq >= 0) cache_->remove_sequence(s.seq);
        s.seq = -1;
        return false;
      }
    }
  }
  if (s.seq < 0) s.seq = cache_->add_sequence();
  s.computed = hit;
  s.indexed = {};
  if (!make_room(reserved + pages_to_write(s, s.pending()))) {
    cache_->remove_sequence(s.seq);
    s.seq = -1;
    s.computed = 0;
    return false;
  }
  if (s.cached < 0) {
    s.cached = std::min(hit, s.prompt_len);
    s.admitted = Clock::now();
    prompt_tokens_ += s.prompt_len;
    cached_tokens_ += s.cached;
  }
  return true;
}

void Engine::preempt(Sequence& s) {
  if (prefix_) prefix_->insert(s.seq, std::span(s.tokens).first(to_size(s.computed)));
  cache_->remove_sequence(s.seq);
  s.seq = -1;
  s.computed = 0;
  ++s.preemptions;
  ++preemptions_;
}

void Engine::finish(Sequence& s, FinishReason reason, Status status) {
  if (s.done) return;
  s.done = true;
  if (s.seq >= 0) {
    if (prefix_ && status) prefix_->insert(s.seq, std::span(s.tokens).first(to_size(s.computed)));
    cache_->remove_sequence(s.seq);
    s.seq = -1;
  }
  if (prefix_ && options_.max_cached_pages > 0 && prefix_->indexed_pages() > options_.max_cached_pages)
    prefix_->evict(prefix_->indexed_pages() - options_.max_cached_pages);
  ++finished_;
  Completion c;
  c.request = s.id;
  c.status = std::move(status);
  c.reason = reason;
  c.tokens.assign(s.tokens.begin() + s.prompt_len, s.tokens.end());
  if (s.text) {
    if (reason != FinishReason::kCancelled && reason != FinishReason::kError) c.final_text = s.text->finish();
    c.text = s.text->text();
  }
  c.prompt_tokens = s.prompt_len;
  c.cached_tokens = std::max<int64_t>(0, s.cached);
  c.preemptions = s.preemptions;
  const auto now = Clock::now();
  if (s.cached >= 0) c.queued_seconds = seconds(s.admitted - s.submitted);
  if (s.generated() > 0) c.first_token_seconds = seconds(s.first_token - s.submitted);
  c.total_seconds = seconds(now - s.submitted);
  c.logits = std::move(s.logits);
  if (s.request.on_done) s.request.on_done(std::move(c));
}

bool Engine::advance(Sequence& s, std::span<float> logits) {
  const RequestParams& p = s.request.params;
  if (p.keep_logits) s.logits.assign(logits.begin(), logits.end());
  if (s.generated() >= p.max_tokens) {  // max_tokens 0: the prompt's logits were the point
    finish(s, FinishReason::kLength);
    return false;
  }
  const int32_t token = s.sampler.sample(logits, s.tokens);
  if (s.generated() == 0) s.first_token = Clock::now();
  if (std::find(p.stop_ids.begin(), p.stop_ids.end(), token) != p.stop_ids.end()) {
    finish(s, FinishReason::kStop);
    return false;
  }
  TokenEvent event;
  event.request = s.id;
  event.token = token;
  event.index = static_cast<int32_t>(s.generated());
  s.tokens.push_back(token);
  ++generated_tokens_;
  const bool text_goes_on = !s.text || s.text->push(token, event.text);
  if (s.request.on_token && !s.request.on_token(event)) {
    finish(s, FinishReason::kCancelled);
    return false;
  }
  if (!text_goes_on) {
    finish(s, FinishReason::kStopString);
    return false;
  }
  if (s.generated() >= p.max_tokens) {  // the last token needs no forward pass
    finish(s, FinishReason::kLength);
    return false;
  }
  const int64_t max_pos = model_.info().max_position;
  if (max_pos > 0 && static_cast<int64_t>(s.tokens.size()) > max_pos) {  // no position left for it
    finish(s, FinishReason::kContextFull);
    return false;
  }
  return true;
}

bool Engine::step() {
  take_submissions();
  if (running_.empty() && waiting_.empty()) {
    publish_stats();  // cancellations may have returned pages
    return false;
  }

  // Rows for the running sequences (decode rows first, then prompt chunks), preempting the
  // most recently admitted while the pool cannot hold this step's writes.
  struct Planned {
    Sequence* s;
    int64_t rows;
  };
  std::vector<Planned> plan;
  int64_t budget = 0, reserved = 0;
  for (;;) {
    plan.clear();
    budget = options_.batch_tokens;
    int64_t need = 0;
    reserved = 0;
    for (int pass = 0; pass < 2; ++pass)
      for (auto& s : running_) {
        const bool decoding = s->pending() == 1;
        if (decoding != (pass == 0)) continue;
        const int64_t rows = decoding ? 1 : std::min(s->pending(), budget);
        reserved += pages_to_write(*s, s->pending());
        if (rows <= 0) continue;
        budget -= rows;
        need += pages_to_write(*s, rows);
        plan.push_back({s.get(), rows});
      }
    if (make_room(need)) break;
    Sequence& newest = *running_.back();
    if (running_.size() == 1) {  // alone and still no room: the budget is its context
      finish(newest, FinishReason::kContextFull);
    } else {
      preempt(newest);
      waiting_.push_front(std::move(running_.back()));
    }
    running_.pop_back();
  }

  // Waiting requests in arrival order while the step has rows to spare; the first that does
  // not fit stops admission (nobody overtakes it).
  while (!waiting_.empty() && budget > 0 && static_cast<int64_t>(running_.size()) < options_.max_sequences) {
    Sequence& s = *waiting_.front();
    if (!admit(s, reserved)) break;
    const int64_t rows = std::min(s.pending(), budget);
    budget -= rows;
    reserved += pages_to_write(s, s.pending());
    plan.push_back({&s, rows});
    running_.push_back(std::move(waiting_.front()));
    waiting_.pop_front();
  }
  if (plan.empty()) {
    publish_stats();
    return !running_.empty() || !waiting_.empty();
  }

  batch_.clear();
  for (const Planned& p : plan) {
    Sequence& s = *p.s;
    for (int64_t i = 0; i < p.rows; ++i) {
      const int64_t pos = s.computed + i;
      batch_.add(s.tokens[to_size(pos)], static_cast<int32_t>(pos), s.seq, pos + 1 == static_cast<int64_t>(s.tokens.size()));
    }
  }
  Status status = model_.forward(batch_, *cache_, logits_);
  ++steps_;
  batch_rows_ += batch_.size();
  peak_pages_ = std::max(peak_pages_, cache_->pool().used_count());
  const auto n_vocab = to_size(model_.info().n_vocab);
  size_t out = 0;
  for (const Planned& p : plan) {
    Sequence& s = *p.s;
    if (!status) {
      finish(s, FinishReason::kError, status);
      continue;
    }
    const bool page_filled = (s.computed + p.rows) / options_.page_positions > s.computed / options_.page_positions;
    s.computed += p.rows;
    // Full pages are indexed as soon as they are computed, so requests that arrive while this
    // one runs share them.
    if (prefix_ && page_filled) prefix_->extend(s.seq, std::span(s.tokens).first(to_size(s.computed)), s.indexed);
    if (s.pending() == 0) advance(s, std::span(logits_).subspan(out++ * n_vocab, n_vocab));
  }
  std::erase_if(running_, [](const auto& s) { return s->done; });
  publish_stats();
  return true;
}

void Engine::run_until_idle() {
  while (step()) {
  }
}

void Engine::serve(std::stop_token stop) {
  std::stop_callback wake_on_stop(stop, [this] { wake_.notify_all(); });
  while (!stop.stop_requested()) {
    if (step()) continue;
    std::unique_lock lock(mu_);
    wake_.wait(lock, stop, [this] { return !incoming_.empty() || !cancelled_.empty(); });
  }
  take_submissions();
  for (auto& s : running_) finish(*s, FinishReason::kCancelled, Status::error("the engine stopped"));
  for (auto& s : waiting_) finish(*s, FinishReason::kCancelled, Status::error("the engine stopped"));
  running_.clear();
  waiting_.clear();
  publish_stats();
}

void Engine::clear_prefix_cache() {
  if (prefix_) prefix_->evict(prefix_->indexed_pages());
}

Status Engine::prefault_kv(int64_t positions) {
  return cache_->pool().prefault(pages_for(positions));
}

void Engine::reset_kv_peak() {
  peak_pages_ = cache_->pool().used_count();
  publish_stats();
}

void Engine::publish_stats() {
  std::lock_guard lock(mu_);
  EngineStats& st = published_;
  st.steps = steps_;
  st.batch_rows = batch_rows_;
  st.running = static_cast<int64_t>(running_.size());
  st.waiting = static_cast<int64_t>(waiting_.size() + incoming_.size());
  st.kv_pages_used = cache_->pool().used_count();
  st.kv_pages_peak = peak_pages_;
  st.prompt_tokens = prompt_tokens_;
  st.cached_prompt_tokens = cached_tokens_;
  st.generated_tokens = generated_tokens_;
  st.preemptions = preemptions_;
  st.finished = finished_;
}

EngineStats Engine::stats() const {
  std::lock_guard lock(mu_);
  return published_;
}

}  // namespace hearth
