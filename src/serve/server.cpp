// The server's lifecycle and its small routes: binding, the key check before every route but
// /health, /health, /metrics, /v1/models, error bodies for what httplib refuses itself (413,
// 404, a malformed request line), draining and stopping.
// Not here: the completion endpoints (completion_route.cpp), the metrics text (metrics.cpp).
#include <algorithm>
#include <ctime>

#include <sys/socket.h>

#include <fmt/format.h>

#include "src/serve/server_state.h"

namespace hearth::serve {
namespace {

// Equal strings, in time that depends only on their lengths (a key is not guessed byte by
// byte from response times).
bool constant_time_equal(const std::string& a, const std::string& b) {
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  const size_t n = std::max(a.size(), b.size());
  for (size_t i = 0; i < n; ++i) {
    const unsigned char x = i < a.size() ? static_cast<unsigned char>(a[i]) : 0;
    const unsigned char y = i < b.size() ? static_cast<unsigned char>(b[i]) : 0;
    diff |= static_cast<unsigned char>(x ^ y);
  }
  return diff == 0;
}

bool authorized(const Server::State& s, const httplib::Request& req) {
  if (s.options.api_key.empty()) return true;
  const std::string header = req.get_header_value("Authorization");
  constexpr std::string_view kBearer = "Bearer ";
  if (header.size() < kBearer.size() || header.compare(0, kBearer.size(), kBearer) != 0) return false;
  return constant_time_equal(header.substr(kBearer.size()), s.options.api_key);
}

const char* endpoint_label(const std::string& path) {
  if (path == "/v1/chat/completions") return "chat_completions";
  if (path == "/v1/completions") return "completions";
  if (path == "/v1/models") return "models";
  if (path == "/metrics") return "metrics";
  return "other";
}

openai::ApiError not_ready_error(Phase phase) {
  openai::ApiError e;
  e.http_status = 503;
  e.type = "server_error";
  if (phase == Phase::kLoading) {
    e.message = "The model is still loading; try again shortly.";
    e.code = "loading";
  } else {
    e.message = "The server is shutting down and takes no new requests; try another replica.";
    e.code = "shutting_down";
  }
  return e;
}

}  // namespace

void send_error(httplib::Response& res, const openai::ApiError& error) {
  res.status = error.http_status;
  res.set_content(error.body().dump() + "\n", "application/json");
}

bool Server::State::try_accept() {
  std::lock_guard lock(mu);
  const int64_t capacity = static_cast<int64_t>(engine->options().max_sequences) + options.max_waiting;
  if (in_flight >= capacity) return false;
  ++in_flight;
  return true;
}

void Server::State::release() {
  std::lock_guard lock(mu);
  --in_flight;
  idle.notify_all();
}

Server::Server(ServerOptions options) : state_(std::make_unique<State>()) { state_->options = std::move(options); }

Server::~Server() { stop(); }

Result<std::string> Server::start() {
  State& s = *state_;
  const ServerOptions& o = s.options;
  // Every running and waiting request holds a worker (a stream blocks on it), so the pool is
  // sized for them all plus a few for /health, /metrics and the requests refused.
  const auto threads = static_cast<size_t>(o.http_threads > 0 ? o.http_threads : 64);
  s.http.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  s.http.set_payload_max_length(static_cast<size_t>(o.max_body_bytes));
  s.http.set_read_timeout(o.read_timeout_seconds, 0);
  s.http.set_write_timeout(o.read_timeout_seconds, 0);
  s.http.set_keep_alive_timeout(std::min(5, o.read_timeout_seconds));  // an idle connection holds a worker
  s.http.set_tcp_nodelay(true);
  // SO_REUSEADDR alone: a restart binds at once after a kill, but a second server on a port in
  // use fails (httplib's default adds SO_REUSEPORT, which would let both listen and share it).
  int listen_socket = -1;
  s.http.set_socket_options([&listen_socket](int sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
    listen_socket = sock;
  });

  s.http.set_pre_routing_handler([&s](const httplib::Request& req, httplib::Response& res) {
    if (req.path == "/health" || authorized(s, req)) return httplib::Server::HandlerResponse::Unhandled;
    openai::ApiError e;
    e.http_status = 401;
    e.message = req.has_header("Authorization")
                    ? "Incorrect API key provided."
                    : "No API key provided: send it as the header 'Authorization: Bearer KEY'.";
    e.code = "invalid_api_key";
    send_error(res, e);
    s.metrics.request_done(endpoint_label(req.path), Outcome::kUnauthorized);
    return httplib::Server::HandlerResponse::Handled;
  });
  // Bodies for the errors httplib answers itself (no route, a body over the limit, a request
  // it cannot read); the handlers' own errors already have one.
  s.http.set_error_handler(httplib::Server::HandlerWithResponse([&s](const httplib::Request& req,
                                                                       httplib::Response& res) {
    if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
    openai::ApiError e;
    e.http_status = res.status;
    if (res.status == 413) {
      e.message = fmt::format("The request body is larger than the server's limit of {} bytes.",
                              s.options.max_body_bytes);
      e.code = "request_too_large";
      s.metrics.request_done(endpoint_label(req.path), Outcome::kClientError);
    } else if (res.status == 404) {
      e.message = fmt::format("No such endpoint: {} {}", req.method, req.path);
      e.code = "not_found";
    } else if (res.status == 405) {
      e.message = fmt::format("{} does not take {}", req.path, req.method);
    } else {
      e.message = fmt::format("The request could not be read (HTTP {}).", res.status);
      if (res.status >= 500) e.type = "server_error";
    }
    send_error(res, e);
    return httplib::Server::HandlerResponse::Handled;
  }));
  s.http.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
    openai::ApiError e;
    e.http_status = 500;
    e.type = "server_error";
    e.message = "The server failed while answering the request.";
    send_error(res, e);
  });

  s.http.Get("/health", [&s](const httplib::Request&, httplib::Response& res) {
    const Phase phase = s.phase.load();
    res.status = phase == Phase::kReady ? 200 : 503;
    const char* status = phase == Phase::kReady ? "ok" : phase == Phase::kLoading ? "loading" : "draining";
    if (phase != Phase::kReady) res.set_header("Retry-After", "1");
    res.set_content(fmt::format("{{\"status\":\"{}\"}}\n", status), "application/json");
  });
  s.http.Get("/metrics", [&s](const httplib::Request&, httplib::Response& res) {
    const Phase phase = s.phase.load();
    EngineStats stats;
    if (phase != Phase::kLoading) stats = s.engine->stats();
    res.set_content(s.metrics.render(phase == Phase::kLoading ? nullptr : &stats, phase == Phase::kReady,
                                     [&s] {
                                       std::lock_guard lock(s.mu);
                                       return s.in_flight;
                                     }()),
                    "text/plain; version=0.0.4; charset=utf-8");
  });
  s.http.Get("/v1/models", [&s](const httplib::Request&, httplib::Response& res) {
    const Phase phase = s.phase.load();
    if (phase == Phase::kLoading) return send_error(res, not_ready_error(phase));
    openai::Json model = openai::Json::object();
    model["id"] = s.model_name;
    model["object"] = "model";
    model["created"] = static_cast<int64_t>(std::time(nullptr));
    model["owned_by"] = "hearth";
    openai::Json body = {{"object", "list"}, {"data", openai::Json::array({model})}};
    res.set_content(body.dump() + "\n", "application/json");
    s.metrics.request_done("models", Outcome::kOk);
  });
  for (const auto& [path, endpoint] : {std::pair{"/v1/chat/completions", openai::Endpoint::kChatCompletions},
                                       std::pair{"/v1/completions", openai::Endpoint::kCompletions}}) {
    s.http.Post(path, [&s, endpoint](const httplib::Request& req, httplib::Response& res) {
      const Phase phase = s.phase.load();
      if (phase != Phase::kReady) {
        res.set_header("Retry-After", "1");
        s.metrics.request_done(endpoint_label(req.path), Outcome::kRejected);
        return send_error(res, not_ready_error(phase));
      }
      handle_completion(s, endpoint, req, res);
    });
  }

  const int port = o.port == 0 ? s.http.bind_to_any_port(o.host) : (s.http.bind_to_port(o.host, o.port) ? o.port : -1);
  if (port < 0)
    return Status::error(fmt::format("cannot listen on {}:{}: the address is in use or not this machine's "
                                     "(--host, --port)", o.host, o.port));
  // Debian's httplib listens with a backlog of 5: a burst of clients connecting at once would
  // be reset. Listening again on the bound socket raises it (Linux takes a second listen()).
  if (listen_socket >= 0) ::listen(listen_socket, SOMAXCONN);
  s.listener = std::thread([&s] { s.http.listen_after_bind(); });
  const bool v6 = o.host.find(':') != std::string::npos;
  return fmt::format("http://{}{}{}:{}", v6 ? "[" : "", o.host, v6 ? "]" : "", port);
}

void Server::set_ready(Engine& engine, const openai::ServedModel& served, std::string model_name) {
  State& s = *state_;
  s.engine = &engine;
  s.served = served;
  s.model_name = std::move(model_name);
  s.phase.store(Phase::kReady);
}

void Server::begin_drain() {
  if (state_->engine) state_->phase.store(Phase::kDraining);
}

bool Server::wait_idle(std::chrono::steady_clock::time_point deadline) const {
  std::unique_lock lock(state_->mu);
  return state_->idle.wait_until(lock, deadline, [this] { return state_->in_flight == 0; });
}

int64_t Server::in_flight() const {
  std::lock_guard lock(state_->mu);
  return state_->in_flight;
}

void Server::stop() {
  State& s = *state_;
  if (s.phase.load() != Phase::kLoading) s.phase.store(Phase::kDraining);
  s.closing.store(true);
  s.http.stop();
  if (s.listener.joinable()) s.listener.join();
}

}  // namespace hearth::serve
