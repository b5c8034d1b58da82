// `hearth serve`: the OpenAI-compatible HTTP server. Binds first (so /health answers 503
// while the model loads), loads the model, runs the engine on a thread of its own, prints the
// address when ready, and on SIGTERM or SIGINT drains: /health and new requests get 503, the
// requests in flight finish (up to --drain-timeout, then they are cancelled with an error
// each), and the command exits 0. A second signal ends the drain at once.
// Not here: HTTP and the routes (src/serve/), the OpenAI mapping (src/engine/openai_api.h).
#include <pthread.h>
#include <signal.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <thread>

#include "models/loader.h"
#include "src/engine/engine.h"
#include "src/engine/openai_api.h"
#include "src/serve/server.h"
#include "tools/command.h"
#include "tools/common_options.h"

namespace hearth::tools {
namespace {

struct ServeArgs {
  ModelOptions model;
  EngineOptions engine;
  serve::ServerOptions server;
  std::string api_key_file;
  std::string max_body = "1M";
  double drain_timeout = 30;
  ServeArgs() { server.http_threads = 0; }  // 0: sized from the engine's limits
};

// The key: the file's first line without surrounding blanks.
Result<std::string> read_api_key(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::error("cannot read the API key file " + path + ": no such file, or not readable");
  std::string key;
  std::getline(in, key);
  const size_t first = key.find_first_not_of(" \t\r\n");
  const size_t last = key.find_last_not_of(" \t\r\n");
  if (first == std::string::npos)
    return Status::error("the API key file " + path + " is empty; put the key on its first line");
  return key.substr(first, last - first + 1);
}

// Waits up to `ms` for SIGTERM or SIGINT (blocked in every thread); true when one came.
bool wait_signal(const sigset_t& signals, long ms) {
  timespec t{ms / 1000, (ms % 1000) * 1000000};
  return sigtimedwait(&signals, nullptr, &t) > 0;
}

int run_serve(ServeArgs& a) {
  if (!a.api_key_file.empty()) {
    auto key = read_api_key(a.api_key_file);
    if (!key) return fail("serve", key.message());
    a.server.api_key = *key;
  }
  auto max_body = parse_byte_size(a.max_body);
  if (!max_body || *max_body <= 0) return fail("serve", "--max-body: expected a size such as 1M or 65536, got " + a.max_body);
  a.server.max_body_bytes = *max_body;
  if (a.server.http_threads <= 0) a.server.http_threads = a.engine.max_sequences + a.server.max_waiting + 16;

  // The signals are taken by this thread alone (every thread started from here inherits the
  // mask); a peer that closes its socket must not end the process.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  serve::Server server(a.server);
  auto address = server.start();
  if (!address) return fail("serve", address.message());
  std::fprintf(stderr, "hearth serve: loading the model; %s/health answers 503 until it is ready\n", address->c_str());

  auto loaded = models::load_model(a.model.model, /*with_tokenizer=*/true, load_options(a.model));
  if (!loaded) return fail("serve", loaded.message());
  auto chat_template = ChatTemplate::from_tokenizer(*loaded->tokenizer);
  if (!chat_template)
    std::fprintf(stderr, "hearth serve: no chat template (%s); /v1/chat/completions will refuse requests\n",
                 chat_template.message().c_str());
  const openai::ServedModel served =
      openai::served_model(*loaded->model, *loaded->tokenizer, chat_template ? &*chat_template : nullptr);
  std::fprintf(stderr, "hearth serve: %s\n", apply_default_kv_budget(a.engine).c_str());
  auto engine = Engine::create(*loaded->model, a.engine, loaded->tokenizer.get());
  if (!engine) return fail("serve", engine.message());
  std::jthread engine_thread([&e = **engine](std::stop_token stop) { e.serve(stop); });

  const std::string name = served_model_name(a.model.model);
  server.set_ready(**engine, served, name);
  std::printf("hearth serve: listening on %s (model %s)\n", address->c_str(), name.c_str());
  std::fflush(stdout);

  while (!wait_signal(signals, 1000)) {
  }
  using Clock = std::chrono::steady_clock;
  server.begin_drain();
  std::fprintf(stderr, "hearth serve: draining, %lld requests in flight (up to %.0f s)\n",
               static_cast<long long>(server.in_flight()), a.drain_timeout);
  const auto deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                           std::chrono::duration<double>(a.drain_timeout));
  bool again = false;
  while (!server.wait_idle(std::min(deadline, Clock::now() + std::chrono::milliseconds(100))) &&
         Clock::now() < deadline) {
    if (wait_signal(signals, 0)) {
      again = true;
      break;
    }
  }
  if (const int64_t left = server.in_flight(); left > 0)
    std::fprintf(stderr, "hearth serve: %s; cancelling %lld requests\n",
                 again ? "a second signal" : "the drain timed out", static_cast<long long>(left));
  // Stopping the engine cancels what is left; each of those gets an error answer.
  engine_thread.request_stop();
  engine_thread.join();
  server.wait_idle(Clock::now() + std::chrono::seconds(5));
  server.stop();
  const EngineStats st = (*engine)->stats();
  std::fprintf(stderr, "hearth serve: stopped after %lld requests, %lld tokens generated\n",
               static_cast<long long>(st.finished), static_cast<long long>(st.generated_tokens));
  return 0;
}

const CommandRegistration kRegistration({
    "serve",
    "Serve the OpenAI API over HTTP (chat/completions, completions, models, SSE streaming, /health, /metrics)",
    [](CLI::App& app) {
      auto a = std::make_shared<ServeArgs>();
      add_model_options(app, a->model, /*required=*/false);
      add_kv_option(app, a->engine.kv);
      add_engine_options(app, a->engine);
      app.add_option("--host", a->server.host, "Address to listen on (127.0.0.1: this machine only; 0.0.0.0 for "
                                               "every interface)")
          ->capture_default_str();
      app.add_option("--port", a->server.port, "Port to listen on (0: any free one; the address printed says which)")
          ->check(CLI::Range(0, 65535))
          ->capture_default_str();
      app.add_option("--api-key-file", a->api_key_file,
                     "File whose first line is the key clients must send (Authorization: Bearer KEY); "
                     "without it no key is asked for");
      app.add_option("--max-waiting", a->server.max_waiting,
                     "Requests that may wait for a sequence slot; beyond them new ones get 429 with Retry-After")
          ->check(CLI::Range(0, 1 << 20))
          ->capture_default_str();
      app.add_option("--drain-timeout", a->drain_timeout,
                     "Seconds the requests in flight get to finish after SIGTERM before they are cancelled")
          ->check(CLI::Range(0.0, 86400.0))
          ->capture_default_str();
      app.add_option("--read-timeout", a->server.read_timeout_seconds,
                     "Seconds a client may stay silent while sending a request (or not read a response)")
          ->check(CLI::Range(1, 3600))
          ->capture_default_str();
      app.add_option("--max-body", a->max_body, "Largest request body (larger ones get 413)")->capture_default_str();
      app.add_option("--http-threads", a->server.http_threads,
                     "Connections served at once (default: --max-sequences + --max-waiting + 16; each "
                     "stream holds one)")
          ->check(CLI::Range(1, 65536));
      app.footer(
          "Endpoints: POST /v1/chat/completions and /v1/completions (\"stream\": true for Server-Sent Events),\n"
          "GET /v1/models, GET /health (200 ready, 503 loading or draining; no key), GET /metrics (Prometheus).\n"
          "Example: curl http://127.0.0.1:8080/v1/chat/completions -H 'Content-Type: application/json' \\\n"
          "           -d '{\"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}], \"max_tokens\": 32}'\n"
          "SIGTERM or Ctrl-C drains: new requests get 503, those in flight finish, then exit 0.");
      return [a] { return run_serve(*a); };
    }});

}  // namespace
}  // namespace hearth::tools
