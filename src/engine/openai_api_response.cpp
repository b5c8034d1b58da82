// The bodies OpenAI answers with, built from a Completion: chat.completion, text_completion,
// their streaming chunks, usage, and the error body. Key order as OpenAI writes them.
// Not here: reading requests (openai_api_request.cpp).
#include <ctime>
#include <random>

#include "src/engine/openai_api.h"

namespace hearth::openai {
namespace {

Json null_if_empty(const std::string& s) { return s.empty() ? Json(nullptr) : Json(s); }

Json finish_json(const char* finish) { return finish ? Json(finish) : Json(nullptr); }

// id, object, created, model: the head of every body and chunk.
Json head(const ResponseMeta& meta, const char* object) {
  Json j = Json::object();
  j["id"] = meta.id;
  j["object"] = object;
  j["created"] = meta.created;
  j["model"] = meta.model;
  return j;
}

bool starts_with_think(const std::string& text) {
  const size_t first = text.find_first_not_of(" \t\r\n");
  return first != std::string::npos && text.compare(first, 7, "<think>") == 0;
}

// The assistant message, with a reasoning model's thinking in reasoning_content (as
// DeepSeek's API returns it) when the output holds a <think> block.
Json assistant_message(const ResponseForm& form, const std::string& text) {
  Json message = Json::object();
  message["role"] = "assistant";
  if (!form.prompt_opens_thinking && !starts_with_think(text)) {
    message["content"] = text;
    return message;
  }
  ReasoningSplit split;
  if (form.prompt_opens_thinking && text.find("</think>") == std::string::npos) {
    split.reasoning = text;  // stopped (max_tokens) while still thinking: no answer yet
  } else {
    split = split_reasoning(text);
  }
  message["content"] = split.answer;
  if (!split.reasoning.empty()) message["reasoning_content"] = split.reasoning;
  return message;
}

ApiError completion_error(const Completion& c) {
  ApiError e;
  e.type = "server_error";
  if (c.reason == FinishReason::kCancelled) {
    e.http_status = 503;
    e.message = "The request was cancelled before it finished (the server is shutting down or the client left).";
    e.code = "cancelled";
  } else {
    e.http_status = 500;
    e.message = c.status.is_ok() ? std::string("The request failed.") : "The request failed: " + c.status.message();
  }
  return e;
}

}  // namespace

Json ApiError::body() const {
  Json error = Json::object();
  error["message"] = message;
  error["type"] = type;
  error["param"] = null_if_empty(param);
  error["code"] = null_if_empty(code);
  Json body = Json::object();
  body["error"] = std::move(error);
  return body;
}

std::string new_response_id(std::string_view prefix) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  thread_local std::mt19937_64 rng{std::random_device{}()};
  std::uniform_int_distribution<size_t> pick(0, sizeof(kAlphabet) - 2);
  std::string id(prefix);
  for (int i = 0; i < 24; ++i) id += kAlphabet[pick(rng)];
  return id;
}

ResponseMeta new_response_meta(Endpoint endpoint, std::string model) {
  ResponseMeta meta;
  meta.id = new_response_id(endpoint == Endpoint::kChatCompletions ? "chatcmpl-" : "cmpl-");
  meta.created = static_cast<int64_t>(std::time(nullptr));
  meta.model = std::move(model);
  return meta;
}

const char* finish_reason(FinishReason reason) {
  switch (reason) {
    case FinishReason::kStop:
    case FinishReason::kStopString: return "stop";
    case FinishReason::kLength:
    case FinishReason::kContextFull: return "length";
    case FinishReason::kCancelled:
    case FinishReason::kError: return nullptr;
  }
  return nullptr;
}

Json usage(const Completion& c) {
  const auto completion_tokens = static_cast<int64_t>(c.tokens.size());
  Json u = Json::object();
  u["prompt_tokens"] = c.prompt_tokens;
  u["completion_tokens"] = completion_tokens;
  u["total_tokens"] = c.prompt_tokens + completion_tokens;
  Json details = Json::object();
  details["cached_tokens"] = c.cached_tokens;
  u["prompt_tokens_details"] = std::move(details);
  return u;
}

ApiResult<Json> response_body(const ResponseForm& form, const Completion& c, const ResponseMeta& meta) {
  const char* finish = finish_reason(c.reason);
  if (!finish) return completion_error(c);
  const bool chat = form.endpoint == Endpoint::kChatCompletions;
  Json body = head(meta, chat ? "chat.completion" : "text_completion");
  Json choice = Json::object();
  if (chat) {
    choice["index"] = 0;
    choice["message"] = assistant_message(form, c.text);
  } else {
    choice["text"] = c.text;
    choice["index"] = 0;
  }
  choice["logprobs"] = nullptr;
  choice["finish_reason"] = finish;
  body["choices"] = Json::array({std::move(choice)});
  body["usage"] = usage(c);
  return body;
}

ApiError submit_error(const Status& status) {
  ApiError e;
  e.message = status.message();
  return e;
}

Json chat_chunk(const ResponseMeta& meta, Json delta, const char* finish) {
  Json chunk = head(meta, "chat.completion.chunk");
  Json choice = Json::object();
  choice["index"] = 0;
  choice["delta"] = std::move(delta);
  choice["logprobs"] = nullptr;
  choice["finish_reason"] = finish_json(finish);
  chunk["choices"] = Json::array({std::move(choice)});
  return chunk;
}

Json completion_chunk(const ResponseMeta& meta, std::string text, const char* finish) {
  Json chunk = head(meta, "text_completion");
  Json choice = Json::object();
  choice["text"] = std::move(text);
  choice["index"] = 0;
  choice["logprobs"] = nullptr;
  choice["finish_reason"] = finish_json(finish);
  chunk["choices"] = Json::array({std::move(choice)});
  return chunk;
}

Json usage_chunk(const ResponseMeta& meta, Endpoint endpoint, const Completion& c) {
  Json chunk = head(meta, endpoint == Endpoint::kChatCompletions ? "chat.completion.chunk" : "text_completion");
  chunk["choices"] = Json::array();
  chunk["usage"] = usage(c);
  return chunk;
}

}  // namespace hearth::openai
