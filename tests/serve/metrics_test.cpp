// Metrics: histogram buckets are cumulative with +Inf equal to the count; the exposition
// holds the counters by label, the latency histograms and the engine's gauges.
#include <gtest/gtest.h>

#include "src/serve/metrics.h"

namespace hearth::serve {
namespace {

TEST(Metrics, HistogramBucketsAreCumulative) {
  Histogram h({0.1, 1});
  h.observe(0.05);
  h.observe(0.5);
  h.observe(0.5);
  h.observe(7);
  std::string out;
  h.render("x_seconds", out);
  EXPECT_EQ(out,
            "x_seconds_bucket{le=\"0.1\"} 1\n"
            "x_seconds_bucket{le=\"1\"} 3\n"
            "x_seconds_bucket{le=\"+Inf\"} 4\n"
            "x_seconds_sum 8.05\n"
            "x_seconds_count 4\n");
}

TEST(Metrics, RenderHoldsCountersHistogramsAndGauges) {
  Metrics m;
  m.request_done("chat_completions", Outcome::kOk);
  m.request_done("chat_completions", Outcome::kOk);
  m.request_done("completions", Outcome::kRejected);
  m.generation_done(10, 4, 3, 0.02, 0.05);
  m.inter_token(0.004);
  EngineStats st;
  st.kv_pages_used = 5;
  st.kv_pages_total = 64;
  st.prompt_tokens = 10;
  st.cached_prompt_tokens = 4;
  st.steps = 4;
  st.batch_rows = 10;
  const std::string text = m.render(&st, true, 2);
  for (const char* line :
       {"hearth_requests_total{endpoint=\"chat_completions\",outcome=\"ok\"} 2\n",
        "hearth_requests_total{endpoint=\"completions\",outcome=\"rejected\"} 1\n", "hearth_prompt_tokens_total 10\n",
        "hearth_generated_tokens_total 3\n", "hearth_time_to_first_token_seconds_count 1\n",
        "hearth_inter_token_latency_seconds_bucket{le=\"0.005\"} 1\n", "hearth_request_duration_seconds_sum 0.05\n",
        "hearth_kv_pages_used 5\n", "hearth_kv_pages_total 64\n", "hearth_prefix_cache_hit_ratio 0.4\n",
        "hearth_batch_rows_per_step 2.5\n", "hearth_requests_in_flight 2\n", "hearth_ready 1\n",
        "# TYPE hearth_time_to_first_token_seconds histogram\n"})
    EXPECT_NE(text.find(line), std::string::npos) << line << "\nin\n" << text;
  EXPECT_NE(m.render(nullptr, false, 0).find("hearth_ready 0\n"), std::string::npos);
}

}  // namespace
}  // namespace hearth::serve
