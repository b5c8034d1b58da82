// The OpenAI wire form of the engine, in one place for every front end (`hearth batch`, the
// HTTP server): a /v1/chat/completions or /v1/completions body checked field by field and
// turned into prompt tokens and RequestParams; a Completion turned back into the body OpenAI
// answers (or its error body); the streaming chunks. Field names, defaults and error shapes
// are OpenAI's (temperature 1, top_p 1, no top-k or min-p unless asked); Hearth's own
// sampling fields (top_k, min_p, repeat_penalty, repeat_last_n, ignore_eos) come beside them.
// Not here: HTTP, SSE framing, files (the front ends), scheduling (engine.h).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "src/engine/request.h"
#include "src/model/model.h"
#include "src/tokenizer/chat_template.h"
#include "src/tokenizer/tokenizer.h"

namespace hearth::openai {

// Key order kept as written: bodies read like OpenAI's, and chat templates that print a
// message with tojson see the client's order.
using Json = nlohmann::ordered_json;

enum class Endpoint { kChatCompletions, kCompletions };
// "/v1/chat/completions" or "/v1/completions"; nullopt for any other path.
std::optional<Endpoint> endpoint_from_url(std::string_view url);

// An answer that is not a completion: the HTTP status and OpenAI's error body.
struct ApiError {
  int http_status = 400;
  std::string message;
  std::string type = "invalid_request_error";
  std::string param;  // the offending field; "" is null
  std::string code;   // a machine-readable reason; "" is null
  // {"error": {"message", "type", "param", "code"}}
  Json body() const;
};

template <typename T>
using ApiResult = std::variant<T, ApiError>;

// What requests are checked against and encoded with; the tokenizer and template must
// outlive it.
struct ServedModel {
  const Tokenizer* tokenizer = nullptr;
  const ChatTemplate* chat_template = nullptr;  // needed for chat requests only
  int64_t context = 0;                          // positions the model takes; 0 = unknown
  std::vector<int32_t> stop_ids;                // end_of_generation_ids
};
ServedModel served_model(const Model& model, const Tokenizer& tokenizer, const ChatTemplate* chat_template);

// How the answer is to be built, kept from the request until its completion.
struct ResponseForm {
  Endpoint endpoint = Endpoint::kChatCompletions;
  // The chat prompt ends inside a <think> block (a reasoning model's template opened it), so
  // the output starts with reasoning; output that opens its own <think> is split too.
  bool prompt_opens_thinking = false;
  bool stream = false;
  bool include_usage = false;  // stream_options.include_usage
};

struct ParsedRequest {
  Request request;       // prompt and params; the caller adds the callbacks
  ResponseForm form;
  std::string model;     // the body's "model", "" when absent
};

// Checks every field of `body` (unknown ones, wrong types and values out of range are a 400
// naming the field) and encodes the prompt: chat messages through the chat template without
// added special tokens, a completions prompt with them (as `hearth generate` does). A prompt
// the context cannot hold is a 400 with code context_length_exceeded. default_seed is the
// seed when the body gives none.
ApiResult<ParsedRequest> parse_request(Endpoint endpoint, const Json& body, const ServedModel& served,
                                       uint64_t default_seed);

// Names and time stamp of one response.
struct ResponseMeta {
  std::string id;       // "chatcmpl-..." or "cmpl-..." (new_response_id)
  int64_t created = 0;  // Unix seconds
  std::string model;
};
// prefix followed by 24 random letters and digits, e.g. new_response_id("chatcmpl-").
std::string new_response_id(std::string_view prefix);
ResponseMeta new_response_meta(Endpoint endpoint, std::string model);

// "stop" or "length"; nullptr for reasons that are an error (kCancelled, kError).
const char* finish_reason(FinishReason reason);

// The body of a finished request: chat.completion or text_completion with usage, or the
// error a cancelled or failed request ends with.
ApiResult<Json> response_body(const ResponseForm& form, const Completion& completion, const ResponseMeta& meta);
// The error for a request the engine refused at submit (it can never run).
ApiError submit_error(const Status& status);
// {"prompt_tokens", "completion_tokens", "total_tokens", "prompt_tokens_details": {"cached_tokens"}}
Json usage(const Completion& completion);

// Streaming: one chat.completion.chunk / text_completion chunk. delta e.g. {"role": "assistant"},
// {"content": "..."}, {"reasoning_content": "..."}; finish is null until the last chunk.
Json chat_chunk(const ResponseMeta& meta, Json delta, const char* finish = nullptr);
Json completion_chunk(const ResponseMeta& meta, std::string text, const char* finish = nullptr);
// The last chunk with stream_options.include_usage: no choices, the usage.
Json usage_chunk(const ResponseMeta& meta, Endpoint endpoint, const Completion& completion);

}  // namespace hearth::openai
