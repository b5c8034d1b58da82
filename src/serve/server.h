// `hearth serve`'s HTTP server: the OpenAI API (/v1/chat/completions, /v1/completions,
// /v1/models) over one serving engine, plus /health and /metrics. It binds first and answers
// /health with 503 while the model loads; set_ready() opens the API. Limits: a body size cap
// (413), a read timeout, a key (401, compared in constant time, never logged), a cap on the
// requests waiting for the engine (429 with Retry-After). A client that leaves mid-stream is
// cancelled in the engine. Draining (SIGTERM): /health and new requests get 503, the requests
// in flight finish.
// HTTP is cpp-httplib's (Debian's libcpp-httplib-dev): a thread-pool server whose worker
// threads each hold one connection, enough for a backend whose cost is the forward pass.
// Not here: the OpenAI mapping (src/engine/openai_api.h), the scheduling (engine.h), options
// and signals (tools/cmd_serve.cpp).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "src/base/status.h"
#include "src/engine/engine.h"
#include "src/engine/openai_api.h"

namespace hearth::serve {

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 8080;                     // 0: any free port (the address says which)
  std::string api_key;                 // "" = no key asked for
  int64_t max_body_bytes = 1 << 20;    // larger bodies get 413
  int max_json_depth = 64;             // deeper bodies get 400
  int max_waiting = 256;               // requests beyond the running ones before 429
  int read_timeout_seconds = 30;       // a client silent this long loses its connection
  int http_threads = 64;               // connections served at once (each stream holds one)
};

class Server {
 public:
  explicit Server(ServerOptions options);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and starts answering (/health is 503 until set_ready). The address, e.g.
  // "http://127.0.0.1:8080", or why it could not bind.
  Result<std::string> start();
  // The model is loaded: the API takes requests. `engine` and `served` must outlive stop().
  void set_ready(Engine& engine, const openai::ServedModel& served, std::string model_name);
  // Takes no new requests from now on (/health 503, the API 503); returns at once.
  void begin_drain();
  // Waits until no request is in flight or `deadline`; true when none is.
  bool wait_idle(std::chrono::steady_clock::time_point deadline) const;
  int64_t in_flight() const;
  // Closes the listening socket and every connection, joins the HTTP threads. Call it after
  // the engine has stopped: a request still waiting then is answered 503.
  void stop();

  struct State;  // shared with the request handlers (server_state.h)

 private:
  std::unique_ptr<State> state_;
};

}  // namespace hearth::serve
