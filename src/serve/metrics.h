// The server's Prometheus metrics: requests by endpoint and outcome, prompt and generated
// tokens, and the latencies a user measures (time to first token, inter-token latency, end
// to end) as histograms; the engine's gauges (running and waiting sequences, KV pages, prefix
// hits, rows per step) are read from its stats when /metrics is scraped. Thread-safe: the
// engine thread records tokens, the HTTP threads record outcomes and render.
// Not here: HTTP (server.h), what the engine counts (EngineStats).
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "src/engine/engine.h"

namespace hearth::serve {

// How a request ended, as the `outcome` label says it.
enum class Outcome {
  kOk,            // answered (200)
  kClientError,   // a bad request (400, 404, 413)
  kUnauthorized,  // no or a wrong key (401)
  kRejected,      // the waiting queue was full (429) or the server draining (503)
  kCancelled,     // the client left, or the drain timed out
  kError,         // the engine failed (500)
};
const char* outcome_name(Outcome outcome);

// A Prometheus histogram with fixed upper bounds in seconds.
class Histogram {
 public:
  explicit Histogram(std::vector<double> bounds);
  void observe(double seconds);
  // `name`_bucket{le=...}, `name`_sum, `name`_count lines.
  void render(const std::string& name, std::string& out) const;

 private:
  std::vector<double> bounds_;
  std::vector<int64_t> counts_;  // [bounds_.size() + 1], the last is +Inf
  double sum_ = 0;
  int64_t count_ = 0;
};

class Metrics {
 public:
  Metrics();
  void request_done(const std::string& endpoint, Outcome outcome);
  // A finished generation: its prompt and generated tokens and latencies (seconds from submit).
  void generation_done(int64_t prompt_tokens, int64_t cached_tokens, int64_t generated_tokens,
                       double first_token_seconds, double total_seconds);
  void inter_token(double seconds);
  // The whole exposition; `engine` null while the model loads.
  std::string render(const EngineStats* engine, bool ready, int64_t in_flight) const;

 private:
  mutable std::mutex mu_;
  std::map<std::pair<std::string, std::string>, int64_t> requests_;  // (endpoint, outcome) -> count
  int64_t prompt_tokens_ = 0, cached_tokens_ = 0, generated_tokens_ = 0;
  Histogram ttft_, itl_, e2e_;
};

}  // namespace hearth::serve
