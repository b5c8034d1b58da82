// What the HTTP handlers share (internal to src/serve/): the options, the engine once the
// model is loaded, the lifecycle, the in-flight count and the metrics; and the helpers that
// answer with OpenAI's error body.
// Not here: the routes (server.cpp), the completion flow (completion_route.cpp).
#pragma once

#include <httplib.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

#include "src/serve/metrics.h"
#include "src/serve/server.h"

namespace hearth::serve {

enum class Phase { kLoading, kReady, kDraining };

struct Server::State {
  ServerOptions options;
  httplib::Server http;
  std::thread listener;
  std::atomic<Phase> phase{Phase::kLoading};
  Engine* engine = nullptr;  // set before phase turns kReady
  // stop() has begun: the engine runs no more, so a request that slipped in as it stopped
  // will never end there; its handler answers 503 instead of waiting.
  std::atomic<bool> closing{false};
  openai::ServedModel served;
  std::string model_name;
  Metrics metrics;

  mutable std::mutex mu;
  mutable std::condition_variable idle;
  int64_t in_flight = 0;  // accepted API requests not yet answered (guarded by mu)

  // Takes a slot for a new request; false when the running and waiting ones fill the engine
  // and its queue (429).
  bool try_accept();
  void release();
};

// Answers `error` as OpenAI's {"error": {...}} body with its status.
void send_error(httplib::Response& res, const openai::ApiError& error);
// POST /v1/chat/completions and /v1/completions (completion_route.cpp).
void handle_completion(Server::State& s, openai::Endpoint endpoint, const httplib::Request& req,
                       httplib::Response& res);

}  // namespace hearth::serve
