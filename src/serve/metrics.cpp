// Prometheus text exposition (format 0.0.4) of the server's counters, histograms and the
// engine's gauges. Names carry the `hearth_` prefix and the unit (`_seconds`, `_total`).
// Not here: what is measured where (server.cpp records, the engine counts).
#include "src/serve/metrics.h"

#include <fmt/format.h>

namespace hearth::serve {
namespace {

// Time to first token and end to end: from a few milliseconds (a cached prompt on a small
// model) to minutes (a long prompt behind a full queue).
const std::vector<double> kLatencyBounds = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300};
// Between two tokens of one stream: a step of the engine.
const std::vector<double> kInterTokenBounds = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5};

void header(std::string& out, const char* name, const char* type, const char* help) {
  out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
}

void sample(std::string& out, const char* name, double value) { out += fmt::format("{} {}\n", name, value); }

}  // namespace

const char* outcome_name(Outcome outcome) {
  switch (outcome) {
    case Outcome::kOk: return "ok";
    case Outcome::kClientError: return "client_error";
    case Outcome::kUnauthorized: return "unauthorized";
    case Outcome::kRejected: return "rejected";
    case Outcome::kCancelled: return "cancelled";
    case Outcome::kError: return "error";
  }
  return "error";
}

Histogram::Histogram(std::vector<double> bounds) : bounds_(std::move(bounds)), counts_(bounds_.size() + 1, 0) {}

void Histogram::observe(double seconds) {
  size_t i = 0;
  while (i < bounds_.size() && seconds > bounds_[i]) ++i;
  ++counts_[i];
  sum_ += seconds;
  ++count_;
}

void Histogram::render(const std::string& name, std::string& out) const {
  int64_t cumulative = 0;
  for (size_t i = 0; i < bounds_.size(); ++i) {
    cumulative += counts_[i];
    out += fmt::format("{}_bucket{{le=\"{}\"}} {}\n", name, bounds_[i], cumulative);
  }
  out += fmt::format("{}_bucket{{le=\"+Inf\"}} {}\n", name, count_);
  out += fmt::format("{}_sum {}\n{}_count {}\n", name, sum_, name, count_);
}

Metrics::Metrics() : ttft_(kLatencyBounds), itl_(kInterTokenBounds), e2e_(kLatencyBounds) {}

void Metrics::request_done(const std::string& endpoint, Outcome outcome) {
  std::lock_guard lock(mu_);
  ++requests_[{endpoint, outcome_name(outcome)}];
}

void Metrics::generation_done(int64_t prompt_tokens, int64_t cached_tokens, int64_t generated_tokens,
                              double first_token_seconds, double total_seconds) {
  std::lock_guard lock(mu_);
  prompt_tokens_ += prompt_tokens;
  cached_tokens_ += cached_tokens;
  generated_tokens_ += generated_tokens;
  if (generated_tokens > 0) ttft_.observe(first_token_seconds);
  e2e_.observe(total_seconds);
}

void Metrics::inter_token(double seconds) {
  std::lock_guard lock(mu_);
  itl_.observe(seconds);
}

std::string Metrics::render(const EngineStats* engine, bool ready, int64_t in_flight) const {
  std::string out;
  {
    std::lock_guard lock(mu_);
    header(out, "hearth_requests_total", "counter", "HTTP requests to the API by endpoint and outcome.");
    for (const auto& [key, count] : requests_)
      out += fmt::format("hearth_requests_total{{endpoint=\"{}\",outcome=\"{}\"}} {}\n", key.first, key.second, count);
    header(out, "hearth_prompt_tokens_total", "counter", "Prompt tokens of finished requests.");
    sample(out, "hearth_prompt_tokens_total", static_cast<double>(prompt_tokens_));
    header(out, "hearth_cached_prompt_tokens_total", "counter",
           "Prompt tokens of finished requests whose KV came from the prefix cache.");
    sample(out, "hearth_cached_prompt_tokens_total", static_cast<double>(cached_tokens_));
    header(out, "hearth_generated_tokens_total", "counter", "Generated tokens of finished requests.");
    sample(out, "hearth_generated_tokens_total", static_cast<double>(generated_tokens_));
    header(out, "hearth_time_to_first_token_seconds", "histogram",
           "From the request's arrival at the engine to its first generated token.");
    ttft_.render("hearth_time_to_first_token_seconds", out);
    header(out, "hearth_inter_token_latency_seconds", "histogram", "Between two generated tokens of one request.");
    itl_.render("hearth_inter_token_latency_seconds", out);
    header(out, "hearth_request_duration_seconds", "histogram",
           "From the request's arrival at the engine to its last token.");
    e2e_.render("hearth_request_duration_seconds", out);
  }
  const EngineStats st = engine ? *engine : EngineStats{};
  header(out, "hearth_ready", "gauge", "1 when the model is loaded and the server takes requests.");
  sample(out, "hearth_ready", ready ? 1 : 0);
  header(out, "hearth_requests_in_flight", "gauge", "Requests accepted and not yet answered.");
  sample(out, "hearth_requests_in_flight", static_cast<double>(in_flight));
  header(out, "hearth_running_sequences", "gauge", "Sequences generating (admitted to the engine).");
  sample(out, "hearth_running_sequences", static_cast<double>(st.running));
  header(out, "hearth_waiting_sequences", "gauge", "Sequences queued for admission.");
  sample(out, "hearth_waiting_sequences", static_cast<double>(st.waiting));
  header(out, "hearth_kv_pages_used", "gauge", "KV cache pages in use (sequences and the prefix cache).");
  sample(out, "hearth_kv_pages_used", static_cast<double>(st.kv_pages_used));
  header(out, "hearth_kv_pages_total", "gauge", "KV cache pages the budget holds.");
  sample(out, "hearth_kv_pages_total", static_cast<double>(st.kv_pages_total));
  header(out, "hearth_kv_page_bytes", "gauge", "Bytes of one KV cache page.");
  sample(out, "hearth_kv_page_bytes", static_cast<double>(st.kv_page_bytes));
  header(out, "hearth_prefix_cache_hit_ratio", "gauge",
         "Prompt tokens found in the prefix cache over all prompt tokens admitted.");
  sample(out, "hearth_prefix_cache_hit_ratio",
         st.prompt_tokens > 0 ? static_cast<double>(st.cached_prompt_tokens) / static_cast<double>(st.prompt_tokens) : 0.0);
  header(out, "hearth_preemptions_total", "counter", "Sequences whose pages were taken back to be recomputed later.");
  sample(out, "hearth_preemptions_total", static_cast<double>(st.preemptions));
  header(out, "hearth_engine_steps_total", "counter", "Forward passes of the engine.");
  sample(out, "hearth_engine_steps_total", static_cast<double>(st.steps));
  header(out, "hearth_batch_rows_total", "counter", "Rows of all forward passes (divided by steps: rows per step).");
  sample(out, "hearth_batch_rows_total", static_cast<double>(st.batch_rows));
  header(out, "hearth_batch_rows_per_step", "gauge", "Mean rows per forward pass since start.");
  sample(out, "hearth_batch_rows_per_step",
         st.steps > 0 ? static_cast<double>(st.batch_rows) / static_cast<double>(st.steps) : 0.0);
  return out;
}

}  // namespace hearth::serve
