#include "tools/bench_concurrency.h"

#include <algorithm>
#include <chrono>

namespace hearth::tools {
namespace {

using Clock = std::chrono::steady_clock;

double percentile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const double at = q * static_cast<double>(v.size() - 1);
  const auto lo = static_cast<size_t>(at);
  const size_t hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (at - static_cast<double>(lo)) * (v[hi] - v[lo]);
}

}  // namespace

nlohmann::json ConcurrencyLevel::to_json() const {
  return {{"sequences", sequences},
          {"generated_tokens_per_s", generated_tokens_per_s},
          {"end_to_end_tokens_per_s", end_to_end_tokens_per_s},
          {"ttft_p50_s", ttft_p50_s},
          {"ttft_p95_s", ttft_p95_s},
          {"itl_p50_s", itl_p50_s},
          {"itl_p95_s", itl_p95_s},
          {"peak_kv_bytes", peak_kv_bytes},
          {"prefix_hit_ratio", prefix_hit_ratio},
          {"first_ttft_s", first_ttft_s},
          {"preemptions", preemptions}};
}

Result<ConcurrencyLevel> run_concurrency_level(Model& model, const EngineOptions& options,
                                               const std::vector<std::vector<int32_t>>& prompts, int32_t n_gen) {
  auto created = Engine::create(model, options);
  if (!created) return created.status();
  Engine& engine = **created;
  const size_t n = prompts.size();
  // A warm pool, as a running server's is: the pages this level will hold, faulted in before
  // the clock starts (a fresh page costs the OS a fault and a zero-fill on first write).
  int64_t positions = 0;
  for (const auto& p : prompts) positions += static_cast<int64_t>(p.size()) + n_gen + options.page_positions;
  HEARTH_TRY(engine.prefault_kv(positions));
  std::vector<std::vector<Clock::time_point>> times(n);  // of each request's tokens
  std::vector<Status> failures;
  const auto t0 = Clock::now();
  for (size_t i = 0; i < n; ++i) {
    Request r;
    r.prompt = prompts[i];
    r.params.sampler.temperature = 0;
    r.params.max_tokens = n_gen;
    r.on_token = [&times, i](const TokenEvent&) {
      times[i].push_back(Clock::now());
      return true;
    };
    r.on_done = [&failures](Completion&& c) {
      if (!c.status) failures.push_back(c.status);
    };
    auto id = engine.submit(std::move(r));
    if (!id) return id.status();
  }
  engine.run_until_idle();
  const auto t_end = Clock::now();
  if (!failures.empty()) return failures.front();

  auto secs = [](Clock::duration d) { return std::chrono::duration<double>(d).count(); };
  ConcurrencyLevel level;
  level.sequences = static_cast<int64_t>(n);
  std::vector<double> ttft, itl;
  Clock::time_point all_decoding = t0;  // when the last sequence got its first token
  int64_t generated = 0;
  for (const auto& t : times) {
    if (t.empty()) continue;
    ttft.push_back(secs(t.front() - t0));
    all_decoding = std::max(all_decoding, t.front());
    for (size_t k = 1; k < t.size(); ++k) itl.push_back(secs(t[k] - t[k - 1]));
    generated += static_cast<int64_t>(t.size());
  }
  int64_t after = 0;  // tokens that arrived once every sequence was decoding
  for (const auto& t : times)
    after += std::count_if(t.begin(), t.end(), [&](Clock::time_point p) { return p > all_decoding; });
  const double steady = secs(t_end - all_decoding);
  level.generated_tokens_per_s = steady > 0 && after > 0 ? static_cast<double>(after) / steady : 0;
  level.end_to_end_tokens_per_s = static_cast<double>(generated) / secs(t_end - t0);
  level.ttft_p50_s = percentile(ttft, 0.5);
  level.ttft_p95_s = percentile(ttft, 0.95);
  level.itl_p50_s = percentile(itl, 0.5);
  level.itl_p95_s = percentile(itl, 0.95);
  level.first_ttft_s = times[0].empty() ? 0 : secs(times[0].front() - t0);
  const EngineStats st = engine.stats();
  level.peak_kv_bytes = st.kv_pages_peak * st.kv_page_bytes;
  level.prefix_hit_ratio = st.prompt_tokens > 0 ? static_cast<double>(st.cached_prompt_tokens) / static_cast<double>(st.prompt_tokens) : 0;
  level.preemptions = st.preemptions;
  return level;
}

}  // namespace hearth::tools
