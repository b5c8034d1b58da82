// POST /v1/chat/completions and /v1/completions: the body is read (size and depth limited),
// checked and encoded by openai::parse_request, queued in the engine, and answered either
// whole or as Server-Sent Events. The engine thread only hands token text to an Exchange;
// the HTTP worker builds the JSON and writes it, so a slow client never slows a step. A
// stream whose client has left is cancelled in the engine at the next write that fails (a
// stream with nothing to say writes an SSE comment each second to find out). A request
// answered whole runs to its end even if its client leaves (httplib tells a handler nothing
// about its connection until it writes).
// Not here: the request and response bodies (src/engine/openai_api.h), the routes' setup
// (server.cpp).
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <random>

#include <fmt/format.h>

#include "src/serve/reasoning_stream.h"
#include "src/serve/request_body.h"
#include "src/serve/server_state.h"

namespace hearth::serve {
namespace {

using Clock = std::chrono::steady_clock;
using openai::Json;

// One request between the engine thread (producer) and its HTTP worker (consumer).
struct Exchange {
  std::mutex mu;
  std::condition_variable cv;
  std::string text;                  // token text the worker has not taken yet
  std::optional<Completion> done;    // set once, when the engine ends the request
  std::atomic<bool> client_gone{false};
  uint64_t id = 0;
  // Engine thread only.
  Clock::time_point last_token;
  bool has_token = false;
};

Outcome outcome_of(const Completion& c) {
  if (c.reason == FinishReason::kCancelled) return Outcome::kCancelled;
  if (c.reason == FinishReason::kError) return Outcome::kError;
  return Outcome::kOk;
}

std::string sse(const Json& chunk) { return "data: " + chunk.dump() + "\n\n"; }

// The stream's state on its HTTP worker.
struct StreamState {
  StreamState(const openai::ResponseForm& f, openai::ResponseMeta m)
      : form(f), meta(std::move(m)), reasoning(f.prompt_opens_thinking) {}
  openai::ResponseForm form;
  openai::ResponseMeta meta;
  ReasoningStream reasoning;
  bool started = false;
  bool finished = false;  // the last event was written
  Clock::time_point last_write = Clock::now();

  // The events for `text` newly generated.
  void text_events(const std::string& text, std::string& out) {
    if (text.empty()) return;
    if (form.endpoint == openai::Endpoint::kCompletions) {
      out += sse(openai::completion_chunk(meta, text));
      return;
    }
    std::vector<Delta> deltas;
    reasoning.push(text, deltas);
    delta_events(deltas, out);
  }
  void delta_events(const std::vector<Delta>& deltas, std::string& out) {
    for (const Delta& d : deltas) out += sse(openai::chat_chunk(meta, Json{{d.reasoning ? "reasoning_content" : "content", d.text}}));
  }
  // The last events: the held-back text, the finish reason, the usage, [DONE]; or the error.
  void end_events(const Completion& c, std::string& out) {
    text_events(c.final_text, out);
    const char* finish = openai::finish_reason(c.reason);
    if (!finish) {
      auto body = openai::response_body(form, c, meta);  // the cancellation or failure
      out += sse(std::get<openai::ApiError>(body).body());
      out += "data: [DONE]\n\n";
      return;
    }
    if (form.endpoint == openai::Endpoint::kCompletions) {
      out += sse(openai::completion_chunk(meta, "", finish));
    } else {
      std::vector<Delta> deltas;
      reasoning.finish(deltas);
      delta_events(deltas, out);
      out += sse(openai::chat_chunk(meta, Json::object(), finish));
    }
    if (form.include_usage) out += sse(openai::usage_chunk(meta, form.endpoint, c));
    out += "data: [DONE]\n\n";
  }
};

}  // namespace

void handle_completion(Server::State& s, openai::Endpoint endpoint, const httplib::Request& req,
                       httplib::Response& res) {
  const std::string label = endpoint == openai::Endpoint::kChatCompletions ? "chat_completions" : "completions";
  auto body = read_body(req.body, s.options.max_json_depth);
  if (auto* e = std::get_if<openai::ApiError>(&body)) {
    s.metrics.request_done(label, Outcome::kClientError);
    return send_error(res, *e);
  }
  thread_local std::mt19937_64 seeds{std::random_device{}()};
  auto parsed = openai::parse_request(endpoint, std::get<Json>(body), s.served, seeds());
  if (auto* e = std::get_if<openai::ApiError>(&parsed)) {
    s.metrics.request_done(label, Outcome::kClientError);
    return send_error(res, *e);
  }
  openai::ParsedRequest& p = std::get<openai::ParsedRequest>(parsed);
  if (!s.try_accept()) {
    openai::ApiError e;
    e.http_status = 429;
    e.type = "rate_limit_error";
    e.message = "The server is at capacity (every sequence slot and the waiting queue are taken); retry later.";
    e.code = "queue_full";
    res.set_header("Retry-After", "1");
    s.metrics.request_done(label, Outcome::kRejected);
    return send_error(res, e);
  }

  auto ex = std::make_shared<Exchange>();
  Metrics* metrics = &s.metrics;
  Request request = std::move(p.request);
  request.on_token = [ex, metrics](const TokenEvent& ev) {
    const Clock::time_point now = Clock::now();
    if (ex->has_token) metrics->inter_token(std::chrono::duration<double>(now - ex->last_token).count());
    ex->last_token = now;
    ex->has_token = true;
    if (!ev.text.empty()) {
      std::lock_guard lock(ex->mu);
      ex->text += ev.text;
    }
    ex->cv.notify_one();
    return !ex->client_gone.load();
  };
  request.on_done = [ex, metrics](Completion&& c) {
    metrics->generation_done(c.prompt_tokens, c.cached_tokens, static_cast<int64_t>(c.tokens.size()),
                             c.first_token_seconds, c.total_seconds);
    {
      std::lock_guard lock(ex->mu);
      ex->done = std::move(c);
    }
    ex->cv.notify_one();
  };
  auto submitted = s.engine->submit(std::move(request));
  if (!submitted) {
    s.release();
    s.metrics.request_done(label, Outcome::kClientError);
    return send_error(res, openai::submit_error(submitted.status()));
  }
  ex->id = *submitted;
  const std::string model = p.model.empty() ? s.model_name : p.model;

  if (!p.form.stream) {
    Completion c;
    {
      std::unique_lock lock(ex->mu);
      while (!ex->cv.wait_for(lock, std::chrono::milliseconds(200), [&] { return ex->done.has_value(); })) {
        if (s.closing.load()) {  // the engine stopped before it saw this request
          c.reason = FinishReason::kCancelled;
          ex->done = std::move(c);
        }
      }
      c = std::move(*ex->done);
    }
    auto answer = openai::response_body(p.form, c, openai::new_response_meta(endpoint, model));
    if (auto* json = std::get_if<Json>(&answer)) {
      res.set_content(json->dump() + "\n", "application/json");
    } else {
      send_error(res, std::get<openai::ApiError>(answer));
    }
    s.metrics.request_done(label, outcome_of(c));
    s.release();
    return;
  }

  auto st = std::make_shared<StreamState>(p.form, openai::new_response_meta(endpoint, model));
  Server::State* server = &s;
  res.set_header("Cache-Control", "no-cache");
  res.set_header("X-Accel-Buffering", "no");
  res.set_chunked_content_provider(
      "text/event-stream",
      [ex, st, server](size_t, httplib::DataSink& sink) {
        std::string out;
        if (!st->started) {
          st->started = true;
          if (st->form.endpoint == openai::Endpoint::kChatCompletions)
            out += sse(openai::chat_chunk(st->meta, Json{{"role", "assistant"}, {"content", ""}}));
        }
        std::string text;
        std::optional<Completion> done;
        {
          std::unique_lock lock(ex->mu);
          if (out.empty())
            ex->cv.wait_for(lock, std::chrono::milliseconds(200), [&] { return !ex->text.empty() || ex->done; });
          text.swap(ex->text);
          if (!ex->done && server->closing.load()) {  // the engine stopped before it saw this request
            Completion cancelled;
            cancelled.reason = FinishReason::kCancelled;
            ex->done = std::move(cancelled);
          }
          if (ex->done) done = std::move(ex->done);
        }
        st->text_events(text, out);
        if (done) st->end_events(*done, out);
        // A request still queued writes nothing for a while: an SSE comment every second finds
        // out whether its client is still there (a write to a closed connection fails).
        const Clock::time_point now = Clock::now();
        if (out.empty() && now - st->last_write > std::chrono::seconds(1)) out = ": waiting\n\n";
        if (!out.empty()) st->last_write = now;
        if (!out.empty() && !sink.write(out.data(), out.size())) {
          ex->client_gone.store(true);
          server->engine->cancel(ex->id);  // its pages go back within one step
          return false;
        }
        if (done) {
          st->finished = true;
          server->metrics.request_done(
              st->form.endpoint == openai::Endpoint::kChatCompletions ? "chat_completions" : "completions",
              outcome_of(*done));
          sink.done();
        }
        return true;
      },
      [ex, st, server](bool) {
        if (!st->finished) {  // the client left (or the connection broke) before the end
          ex->client_gone.store(true);
          server->engine->cancel(ex->id);
          server->metrics.request_done(
              st->form.endpoint == openai::Endpoint::kChatCompletions ? "chat_completions" : "completions",
              Outcome::kCancelled);
        }
        server->release();
      });
}

}  // namespace hearth::serve
