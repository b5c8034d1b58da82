// The serving engine's scheduling on HistoryModel (its next token hashes every token its
// sequence holds in the KV cache, so any page mix-up changes the output): admission,
// chunked prefill, preemption and recompute, prefix reuse, cancellation, stop conditions,
// first-come-first-served order, and submission from many threads.
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <mutex>
#include <thread>

#include "src/engine/engine.h"
#include "tests/common/history_model.h"

namespace hearth {
namespace {

using test::history_continuation;
using test::HistoryModel;

RequestParams greedy(int32_t max_tokens) {
  RequestParams p;
  p.sampler.temperature = 0;
  p.max_tokens = max_tokens;
  return p;
}

std::vector<int32_t> prompt_of(int length, int salt) {
  std::vector<int32_t> p;
  for (int i = 0; i < length; ++i) p.push_back((i * 7 + salt * 13) % 97);
  return p;
}

// Collects the completions of an engine's requests by id.
struct Results {
  std::mutex mu;
  std::map<uint64_t, Completion> done;
  Request request(std::vector<int32_t> prompt, RequestParams params) {
    Request r;
    r.prompt = std::move(prompt);
    r.params = std::move(params);
    r.on_done = [this](Completion&& c) {
      std::lock_guard lock(mu);
      done[c.request] = std::move(c);
    };
    return r;
  }
};

std::unique_ptr<Engine> make_engine(Model& model, EngineOptions o = {}) {
  auto e = Engine::create(model, o);
  EXPECT_TRUE(e) << e.message();
  return std::move(e.value());
}

TEST(Engine, ManyRequestsGiveWhatEachGivesAlone) {
  HistoryModel model;
  EngineOptions o;
  o.batch_tokens = 64;
  auto engine = make_engine(model, o);
  Results res;
  std::vector<std::vector<int32_t>> prompts;
  std::vector<uint64_t> ids;
  for (int i = 0; i < 20; ++i) {
    prompts.push_back(prompt_of(3 + i * 11, i));
    ids.push_back(engine->submit(res.request(prompts.back(), greedy(5 + i))).value());
  }
  engine->run_until_idle();
  ASSERT_EQ(res.done.size(), 20u);
  for (size_t i = 0; i < ids.size(); ++i) {
    const Completion& c = res.done.at(ids[i]);
    EXPECT_TRUE(c.status) << c.status.message();
    EXPECT_EQ(c.reason, FinishReason::kLength);
    EXPECT_EQ(c.tokens, history_continuation(model, prompts[i], static_cast<int>(5 + i))) << i;
  }
  EXPECT_LE(engine->stats().kv_pages_used, engine->stats().kv_pages_peak);
  // Fewer passes than one per token of each: the requests shared them.
  EXPECT_LT(model.passes, 100);
}

TEST(Engine, ChunkedPrefillKeepsRunningStreamsMoving) {
  HistoryModel model;
  EngineOptions o;
  o.batch_tokens = 16;
  auto engine = make_engine(model, o);
  Results res;
  std::vector<int64_t> steps_at_token;
  Request shorter = res.request(prompt_of(4, 1), greedy(40));
  shorter.on_token = [&](const TokenEvent&) {
    steps_at_token.push_back(engine->stats().steps);
    return true;
  };
  const uint64_t a = engine->submit(std::move(shorter)).value();
  engine->step();  // the short prompt is in and decoding
  const std::vector<int32_t> long_prompt = prompt_of(300, 2);
  const uint64_t b = engine->submit(res.request(long_prompt, greedy(3))).value();
  engine->run_until_idle();
  // The 300-token prompt took about 20 steps of 15 rows; the running stream got a token in
  // every one of them.
  ASSERT_EQ(steps_at_token.size(), 40u);
  for (size_t i = 1; i < steps_at_token.size(); ++i) EXPECT_EQ(steps_at_token[i], steps_at_token[i - 1] + 1);
  EXPECT_EQ(res.done.at(a).tokens, history_continuation(model, prompt_of(4, 1), 40));
  EXPECT_EQ(res.done.at(b).tokens, history_continuation(model, long_prompt, 3));
  EXPECT_LE(model.rows / model.passes, 16);
}

TEST(Engine, PreemptsTheNewestWhenThePoolRunsDryAndRecomputesExactly) {
  HistoryModel model;
  EngineOptions o;
  o.page_positions = 8;
  o.prefix_cache = false;
  const int64_t page = KvCache::page_bytes(model.kv_layout(), o.kv, o.page_positions);
  o.kv_budget_bytes = 12 * page;  // 96 positions for 6 sequences that grow to 40 each
  auto engine = make_engine(model, o);
  Results res;
  std::vector<uint64_t> ids;
  for (int i = 0; i < 6; ++i) ids.push_back(engine->submit(res.request(prompt_of(10, i), greedy(30))).value());
  engine->run_until_idle();
  ASSERT_EQ(res.done.size(), 6u);
  for (int i = 0; i < 6; ++i) {
    const Completion& c = res.done.at(ids[i]);
    EXPECT_TRUE(c.status) << c.status.message();
    EXPECT_EQ(c.tokens, history_continuation(model, prompt_of(10, i), 30)) << i;
  }
  const EngineStats st = engine->stats();
  EXPECT_GT(st.preemptions, 0);
  EXPECT_LE(st.kv_pages_peak, 12);
  EXPECT_EQ(st.kv_pages_used, 0);
  // The first admitted is never the one preempted.
  EXPECT_EQ(res.done.at(ids[0]).preemptions, 0);
}

TEST(Engine, RefusesWhatCannotFitAloneAndEndsASequenceTheBudgetCannotGrow) {
  HistoryModel model(97, 4096);
  EngineOptions o;
  o.page_positions = 8;
  const int64_t page = KvCache::page_bytes(model.kv_layout(), o.kv, o.page_positions);
  o.kv_budget_bytes = 4 * page;
  auto engine = make_engine(model, o);
  Results res;
  auto too_long = engine->submit(res.request(prompt_of(33, 0), greedy(1)));
  ASSERT_FALSE(too_long);
  EXPECT_NE(too_long.message().find("KV"), std::string::npos) << too_long.message();
  EXPECT_FALSE(engine->submit(res.request({}, greedy(1))));
  EXPECT_FALSE(engine->submit(res.request({5, 97}, greedy(1))));  // outside the vocabulary
  const uint64_t id = engine->submit(res.request(prompt_of(20, 0), greedy(100))).value();
  engine->run_until_idle();
  const Completion& c = res.done.at(id);
  EXPECT_EQ(c.reason, FinishReason::kContextFull);
  EXPECT_EQ(c.tokens.size(), 32u - 20u + 1u);  // positions 20..31 computed, one more sampled
  EXPECT_EQ(c.tokens, history_continuation(model, prompt_of(20, 0), 13));

  HistoryModel short_context(97, 24);
  auto e2 = make_engine(short_context);
  EXPECT_FALSE(e2->submit(res.request(prompt_of(25, 0), greedy(1))));
  const uint64_t fits = e2->submit(res.request(prompt_of(20, 0), greedy(100))).value();
  e2->run_until_idle();
  EXPECT_EQ(res.done.at(fits).reason, FinishReason::kContextFull);
  EXPECT_EQ(res.done.at(fits).tokens.size(), 5u);  // positions 20..23 fed, the last one sampled
}

TEST(Engine, ReusesPrefixPagesAcrossRequests) {
  HistoryModel model;
  EngineOptions o;
  o.page_positions = 16;
  auto engine = make_engine(model, o);
  Results res;
  std::vector<int32_t> system = prompt_of(100, 3);
  auto with_tail = [&](int t) {
    std::vector<int32_t> p = system;
    p.push_back(t);
    p.push_back(t + 1);
    return p;
  };
  const uint64_t first = engine->submit(res.request(with_tail(1), greedy(4))).value();
  engine->run_until_idle();
  const int64_t rows_first = model.rows;
  const uint64_t second = engine->submit(res.request(with_tail(7), greedy(4))).value();
  engine->run_until_idle();
  EXPECT_EQ(res.done.at(first).cached_tokens, 0);
  EXPECT_EQ(res.done.at(second).cached_tokens, 96);  // six whole pages of the system prompt
  EXPECT_EQ(res.done.at(second).tokens, history_continuation(model, with_tail(7), 4));
  EXPECT_LT(model.rows - rows_first, 10);
  EXPECT_EQ(engine->stats().cached_prompt_tokens, 96);
}

TEST(Engine, CancellationReturnsPagesWithinAStep) {
  HistoryModel model;
  EngineOptions o;
  o.prefix_cache = false;
  auto engine = make_engine(model, o);
  Results res;
  const uint64_t a = engine->submit(res.request(prompt_of(50, 0), greedy(1000))).value();
  Request stops_itself = res.request(prompt_of(30, 1), greedy(1000));
  stops_itself.on_token = [](const TokenEvent& e) { return e.index < 4; };
  const uint64_t b = engine->submit(std::move(stops_itself)).value();
  const uint64_t waiting = engine->submit(res.request(prompt_of(30, 2), greedy(10))).value();
  for (int i = 0; i < 10; ++i) engine->step();
  EXPECT_GT(engine->stats().kv_pages_used, 0);
  engine->cancel(a);
  engine->cancel(waiting);
  engine->step();
  EXPECT_EQ(engine->stats().kv_pages_used, 0);
  EXPECT_FALSE(engine->step());
  EXPECT_EQ(res.done.at(a).reason, FinishReason::kCancelled);
  EXPECT_EQ(res.done.at(b).reason, FinishReason::kCancelled);
  EXPECT_EQ(res.done.at(b).tokens.size(), 5u);
  EXPECT_TRUE(res.done.count(waiting));
  engine->cancel(12345);  // unknown: ignored
  EXPECT_FALSE(engine->step());
}

TEST(Engine, StopsOnStopIds) {
  HistoryModel model;
  auto engine = make_engine(model);
  Results res;
  const std::vector<int32_t> prompt = prompt_of(9, 4);
  const std::vector<int32_t> expected = history_continuation(model, prompt, 20);
  RequestParams p = greedy(20);
  p.stop_ids = {expected[6]};
  const auto first_stop = std::find(expected.begin(), expected.end(), expected[6]) - expected.begin();
  const uint64_t id = engine->submit(res.request(prompt, p)).value();
  engine->run_until_idle();
  EXPECT_EQ(res.done.at(id).reason, FinishReason::kStop);
  EXPECT_EQ(res.done.at(id).tokens, std::vector<int32_t>(expected.begin(), expected.begin() + first_stop));
  RequestParams needs_text = greedy(3);
  needs_text.stop_strings = {"x"};
  EXPECT_FALSE(engine->submit(res.request(prompt, needs_text)));  // no tokenizer
}

TEST(Engine, AdmitsFirstComeFirstServed) {
  HistoryModel model;
  EngineOptions o;
  o.max_sequences = 2;
  auto engine = make_engine(model, o);
  std::vector<uint64_t> finished;
  std::vector<uint64_t> ids;
  for (int i = 0; i < 8; ++i) {
    Request r;
    r.prompt = prompt_of(5, i);
    r.params = greedy(10);
    r.on_done = [&](Completion&& c) { finished.push_back(c.request); };
    ids.push_back(engine->submit(std::move(r)).value());
  }
  engine->run_until_idle();
  EXPECT_EQ(finished, ids);  // equal work: they end in the order they came
}

// Many threads submit while the engine serves on its own thread. ThreadSanitizer runs this
// test in a build of its own (ctest label "tsan").
TEST(Engine, ServesSubmissionsFromManyThreads) {
  HistoryModel model;
  EngineOptions o;
  o.batch_tokens = 32;
  o.page_positions = 8;
  const int64_t page = KvCache::page_bytes(model.kv_layout(), o.kv, o.page_positions);
  o.kv_budget_bytes = 40 * page;  // tight enough to preempt
  auto engine = make_engine(model, o);
  std::jthread server([&](std::stop_token stop) { engine->serve(stop); });
  constexpr int kThreads = 6, kPerThread = 8;
  std::atomic<int> wrong{0}, done{0};
  std::vector<std::jthread> clients;
  for (int t = 0; t < kThreads; ++t)
    clients.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        const std::vector<int32_t> prompt = prompt_of(5 + (t * kPerThread + i) % 37, t * 100 + i);
        const int n = 3 + i;
        const bool cancel = i % 3 == 2;  // cancelled at once: it ends too, with its pages back
        Request r;
        r.prompt = prompt;
        r.params = greedy(n);
        r.on_done = [&, prompt, n, cancel](Completion&& c) {
          const bool right = c.status && c.tokens == history_continuation(model, prompt, n);
          if (!right && !(cancel && c.reason == FinishReason::kCancelled)) ++wrong;
          ++done;
        };
        auto id = engine->submit(std::move(r));
        if (!id) ++wrong;
        else if (cancel) engine->cancel(*id);
      }
    });
  clients.clear();  // joined
  while (done.load() < kThreads * kPerThread) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  server.request_stop();
  server.join();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_EQ(engine->stats().running, 0);
}

}  // namespace
}  // namespace hearth
