// The OpenAI mapping (src/engine/openai_api.h) on the bundled tiny Qwen3-MoE and its
// tokenizer: prompts encoded exactly as `hearth chat` / `hearth generate` encode them, every
// field's mapping and OpenAI's defaults, refusals that name the field (wrong types, ranges,
// unknown fields, unsupported values, prompts the context cannot hold), and the response
// bodies field by field, reasoning split included.
#include <gtest/gtest.h>

#include "models/loader.h"
#include "src/engine/generation_defaults.h"
#include "src/engine/openai_api.h"

namespace hearth::openai {
namespace {

class OpenAiApi : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto loaded = models::load_model(models::kBundledModelName, /*with_tokenizer=*/true);
    ASSERT_TRUE(loaded) << loaded.message();
    loaded_ = new models::LoadedModel(std::move(*loaded));
    auto tmpl = ChatTemplate::from_tokenizer(*loaded_->tokenizer);
    ASSERT_TRUE(tmpl) << tmpl.message();
    template_ = new ChatTemplate(std::move(*tmpl));
  }
  static void TearDownTestSuite() {
    delete template_;
    delete loaded_;
  }

  static const Tokenizer& tok() { return *loaded_->tokenizer; }
  static ServedModel served() { return served_model(*loaded_->model, *loaded_->tokenizer, template_); }

  static ParsedRequest parse_ok(Endpoint e, const Json& body, uint64_t seed = 7) {
    auto r = parse_request(e, body, served(), seed);
    if (auto* err = std::get_if<ApiError>(&r)) ADD_FAILURE() << err->body().dump();
    return std::get_if<ParsedRequest>(&r) ? std::move(std::get<ParsedRequest>(r)) : ParsedRequest{};
  }
  static ApiError parse_error(Endpoint e, const Json& body) {
    auto r = parse_request(e, body, served(), 0);
    if (!std::holds_alternative<ApiError>(r)) {
      ADD_FAILURE() << "accepted: " << body.dump();
      return ApiError{};
    }
    return std::get<ApiError>(r);
  }

  static Json chat_body() {
    return Json::parse(R"({"model": "m", "messages": [{"role": "system", "content": "Be brief."},
                                                     {"role": "user", "content": "Hello there"}]})");
  }
  static Json completion_body() { return Json::parse(R"({"model": "m", "prompt": "Once upon a time"})"); }

  static models::LoadedModel* loaded_;
  static ChatTemplate* template_;
};
models::LoadedModel* OpenAiApi::loaded_ = nullptr;
ChatTemplate* OpenAiApi::template_ = nullptr;

TEST_F(OpenAiApi, UrlsMapToEndpoints) {
  EXPECT_EQ(endpoint_from_url("/v1/chat/completions"), Endpoint::kChatCompletions);
  EXPECT_EQ(endpoint_from_url("/v1/completions"), Endpoint::kCompletions);
  EXPECT_EQ(endpoint_from_url("/v1/embeddings"), std::nullopt);
  EXPECT_EQ(endpoint_from_url("/v1/chat/completions/"), std::nullopt);
}

TEST_F(OpenAiApi, ChatMessagesGoThroughTheTemplateWithoutAddedSpecialTokens) {
  const ParsedRequest p = parse_ok(Endpoint::kChatCompletions, chat_body());
  auto rendered = template_->render(nlohmann::json::parse(R"([{"role": "system", "content": "Be brief."},
                                                             {"role": "user", "content": "Hello there"}])"),
                                    /*add_generation_prompt=*/true);
  ASSERT_TRUE(rendered);
  EXPECT_EQ(*rendered, "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHello there<|im_end|>\n"
                       "<|im_start|>assistant\n");
  EXPECT_EQ(p.request.prompt, tok().encode(*rendered, /*add_special_tokens=*/false));
  EXPECT_EQ(p.model, "m");
  EXPECT_EQ(p.form.endpoint, Endpoint::kChatCompletions);
  EXPECT_FALSE(p.form.prompt_opens_thinking);
  EXPECT_FALSE(p.form.stream);
}

TEST_F(OpenAiApi, ChatContentPartsAndDeveloperRole) {
  Json body = chat_body();
  body["messages"] = Json::parse(R"([{"role": "developer", "content": "Be brief."},
      {"role": "user", "content": [{"type": "text", "text": "Hello"}, {"type": "text", "text": "there"}]}])");
  const ParsedRequest p = parse_ok(Endpoint::kChatCompletions, body);
  const std::string expected = "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHello\nthere<|im_end|>\n"
                               "<|im_start|>assistant\n";
  EXPECT_EQ(p.request.prompt, tok().encode(expected, false));
}

TEST_F(OpenAiApi, CompletionPromptIsEncodedWithSpecialTokensOrTakenAsIds) {
  const ParsedRequest p = parse_ok(Endpoint::kCompletions, completion_body());
  EXPECT_EQ(p.request.prompt, tok().encode("Once upon a time", /*add_special_tokens=*/true));
  EXPECT_EQ(p.form.endpoint, Endpoint::kCompletions);

  Json body = completion_body();
  body["prompt"] = Json::array({"Once upon a time"});
  EXPECT_EQ(parse_ok(Endpoint::kCompletions, body).request.prompt, p.request.prompt);
  body["prompt"] = Json::array({5, 17, 2000});
  EXPECT_EQ(parse_ok(Endpoint::kCompletions, body).request.prompt, (std::vector<int32_t>{5, 17, 2000}));
}

TEST_F(OpenAiApi, DefaultsAreOpenAisAndStopIdsTheModels) {
  const ParsedRequest chat = parse_ok(Endpoint::kChatCompletions, chat_body(), /*seed=*/1234);
  const SamplerParams& s = chat.request.params.sampler;
  EXPECT_EQ(s.temperature, 1.0f);
  EXPECT_EQ(s.top_p, 1.0f);
  EXPECT_EQ(s.top_k, 0);
  EXPECT_EQ(s.min_p, 0.0f);
  EXPECT_EQ(s.repeat_penalty, 1.0f);
  EXPECT_EQ(s.seed, 1234u);
  EXPECT_EQ(chat.request.params.stop_ids, end_of_generation_ids(*loaded_->model, tok()));
  EXPECT_FALSE(chat.request.params.stop_ids.empty());
  EXPECT_TRUE(chat.request.params.stop_strings.empty());
  // Chat: the rest of the context (2048 positions); completions: 16, as OpenAI.
  EXPECT_EQ(loaded_->model->info().max_position, 2048);
  EXPECT_EQ(chat.request.params.max_tokens, 2048 - static_cast<int32_t>(chat.request.prompt.size()));
  EXPECT_EQ(parse_ok(Endpoint::kCompletions, completion_body()).request.params.max_tokens, 16);
}

TEST_F(OpenAiApi, EveryFieldReachesTheRequestParams) {
  Json body = chat_body();
  body.update(Json::parse(R"({"max_tokens": 33, "temperature": 0, "top_p": 0.5, "seed": 99, "stop": "END",
      "presence_penalty": 0, "frequency_penalty": 0.0, "n": 1, "top_k": 5, "min_p": 0.1, "repeat_penalty": 1.3,
      "repeat_last_n": 8, "stream": true, "stream_options": {"include_usage": true}, "user": "u", "logprobs": false,
      "response_format": {"type": "text"}, "tools": [], "tool_choice": "none"})"));
  ParsedRequest p = parse_ok(Endpoint::kChatCompletions, body);
  const RequestParams& r = p.request.params;
  EXPECT_EQ(r.max_tokens, 33);
  EXPECT_EQ(r.sampler.temperature, 0.0f);
  EXPECT_EQ(r.sampler.top_p, 0.5f);
  EXPECT_EQ(r.sampler.seed, 99u);
  EXPECT_EQ(r.stop_strings, std::vector<std::string>{"END"});
  EXPECT_EQ(r.sampler.top_k, 5);
  EXPECT_FLOAT_EQ(r.sampler.min_p, 0.1f);
  EXPECT_FLOAT_EQ(r.sampler.repeat_penalty, 1.3f);
  EXPECT_EQ(r.sampler.repeat_last_n, 8);
  EXPECT_TRUE(p.form.stream);
  EXPECT_TRUE(p.form.include_usage);

  body["stop"] = Json::array({"a", "", "bc"});  // empty strings stop nothing
  body["max_completion_tokens"] = 7;            // takes precedence over the older max_tokens
  body["seed"] = -1;                            // any 64-bit integer
  body["top_k"] = -1;                           // vLLM's "all"
  body["ignore_eos"] = true;
  p = parse_ok(Endpoint::kChatCompletions, body);
  EXPECT_EQ(p.request.params.stop_strings, (std::vector<std::string>{"a", "bc"}));
  EXPECT_EQ(p.request.params.max_tokens, 7);
  EXPECT_EQ(p.request.params.sampler.seed, ~uint64_t{0});
  EXPECT_EQ(p.request.params.sampler.top_k, 0);
  EXPECT_TRUE(p.request.params.stop_ids.empty());

  // null means "the default", as in OpenAI's API.
  body = chat_body();
  body["temperature"] = nullptr;
  body["stop"] = nullptr;
  body["max_tokens"] = nullptr;
  p = parse_ok(Endpoint::kChatCompletions, body);
  EXPECT_EQ(p.request.params.sampler.temperature, 1.0f);
}

struct BadField {
  const char* patch;  // merged into a valid body
  const char* param;  // the field the error names
  const char* code;
};

TEST_F(OpenAiApi, WrongTypesRangesAndUnknownFieldsAreA400NamingTheField) {
  const BadField cases[] = {
      {R"({"temperature": "hot"})", "temperature", "invalid_type"},
      {R"({"temperature": 2.5})", "temperature", "invalid_value"},
      {R"({"top_p": -0.1})", "top_p", "invalid_value"},
      {R"({"max_tokens": 1.5})", "max_tokens", "invalid_type"},
      {R"({"max_tokens": 0})", "max_tokens", "invalid_value"},
      {R"({"max_completion_tokens": -3})", "max_completion_tokens", "invalid_value"},
      {R"({"seed": "1"})", "seed", "invalid_type"},
      {R"({"stop": 5})", "stop", "invalid_type"},
      {R"({"stop": ["a", 1]})", "stop[1]", "invalid_type"},
      {R"({"stream": "yes"})", "stream", "invalid_type"},
      {R"({"stream_options": {"include_usage": 1}})", "stream_options.include_usage", "invalid_type"},
      {R"({"top_k": 1.0})", "top_k", "invalid_type"},
      {R"({"min_p": 2})", "min_p", "invalid_value"},
      {R"({"repeat_penalty": 0})", "repeat_penalty", "invalid_value"},
      {R"({"model": 3})", "model", "invalid_type"},
      {R"({"temprature": 0.5})", "temprature", "unknown_parameter"},
      {R"({"prompt": "x"})", "prompt", "unknown_parameter"},
      {R"({"messages": "hi"})", "messages", "invalid_type"},
      {R"({"messages": []})", "messages", "empty_array"},
      {R"({"messages": [{"content": "hi"}]})", "messages[0].role", "missing_required_parameter"},
      {R"({"messages": [{"role": "robot", "content": "hi"}]})", "messages[0].role", "invalid_value"},
      {R"({"messages": [{"role": "user", "content": 5}]})", "messages[0].content", "invalid_type"},
      {R"({"messages": [{"role": "user"}]})", "messages[0].content", "missing_required_parameter"},
      {R"({"messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {}}]}]})",
       "messages[0].content[0].type", "unsupported_value"},
      // Accepted at their neutral value only.
      {R"({"presence_penalty": 0.5})", "presence_penalty", "unsupported_value"},
      {R"({"frequency_penalty": -1})", "frequency_penalty", "unsupported_value"},
      {R"({"presence_penalty": 3})", "presence_penalty", "invalid_value"},
      {R"({"n": 2})", "n", "unsupported_value"},
      {R"({"n": 0})", "n", "invalid_value"},
      {R"({"logprobs": true})", "logprobs", "unsupported_value"},
      {R"({"logit_bias": {"5": 10}})", "logit_bias", "unsupported_value"},
      {R"({"response_format": {"type": "json_object"}})", "response_format", "unsupported_value"},
      {R"({"tools": [{"type": "function"}]})", "tools", "unsupported_value"},
  };
  for (const BadField& c : cases) {
    SCOPED_TRACE(c.patch);
    Json body = chat_body();
    body.update(Json::parse(c.patch));
    const ApiError e = parse_error(Endpoint::kChatCompletions, body);
    EXPECT_EQ(e.http_status, 400);
    EXPECT_EQ(e.type, "invalid_request_error");
    EXPECT_EQ(e.param, c.param) << e.message;
    EXPECT_EQ(e.code, c.code) << e.message;
    EXPECT_NE(e.message.find(c.param), std::string::npos) << e.message;
  }
  const ApiError not_object = parse_error(Endpoint::kChatCompletions, Json::array());
  EXPECT_EQ(not_object.http_status, 400);
}

TEST_F(OpenAiApi, CompletionsFieldsAreCheckedToo) {
  const BadField cases[] = {
      {R"({"prompt": 5})", "prompt", "invalid_type"},
      {R"({"prompt": ["a", "b"]})", "prompt", "unsupported_value"},
      {R"({"prompt": [1, 99999]})", "prompt[1]", "invalid_value"},
      {R"({"prompt": ""})", "prompt", "empty_prompt"},
      {R"({"messages": []})", "messages", "unknown_parameter"},
      {R"({"max_completion_tokens": 5})", "max_completion_tokens", "unknown_parameter"},
      {R"({"logprobs": 2})", "logprobs", "unsupported_value"},
      {R"({"echo": true})", "echo", "unsupported_value"},
      {R"({"best_of": 3})", "best_of", "unsupported_value"},
      {R"({"suffix": "end"})", "suffix", "unsupported_value"},
  };
  for (const BadField& c : cases) {
    SCOPED_TRACE(c.patch);
    Json body = completion_body();
    body.update(Json::parse(c.patch));
    const ApiError e = parse_error(Endpoint::kCompletions, body);
    EXPECT_EQ(e.param, c.param) << e.message;
    EXPECT_EQ(e.code, c.code) << e.message;
  }
  Json body = completion_body();
  body.erase("prompt");
  EXPECT_EQ(parse_error(Endpoint::kCompletions, body).code, "missing_required_parameter");
  Json zero = completion_body();
  zero["max_tokens"] = 0;  // prompt only: allowed on completions
  EXPECT_EQ(parse_ok(Endpoint::kCompletions, zero).request.params.max_tokens, 0);
}

TEST_F(OpenAiApi, PromptsTheContextCannotHoldAreRefused) {
  std::string long_text;
  for (int i = 0; i < 1200; ++i) long_text += "hello world ";
  ASSERT_GE(tok().encode(long_text, true).size(), 2048u);

  Json chat = chat_body();
  chat["messages"][1]["content"] = long_text;
  ApiError e = parse_error(Endpoint::kChatCompletions, chat);
  EXPECT_EQ(e.http_status, 400);
  EXPECT_EQ(e.param, "messages");
  EXPECT_EQ(e.code, "context_length_exceeded");
  EXPECT_NE(e.message.find("maximum context length is 2048 tokens"), std::string::npos) << e.message;

  Json completion = completion_body();
  completion["prompt"] = long_text;
  e = parse_error(Endpoint::kCompletions, completion);
  EXPECT_EQ(e.param, "prompt");
  EXPECT_EQ(e.code, "context_length_exceeded");

  // A prompt that fits, but not with the completion asked for.
  Json fits = completion_body();
  const auto n = static_cast<int64_t>(tok().encode("Once upon a time", true).size());
  fits["max_tokens"] = 2048 - n;
  EXPECT_EQ(parse_ok(Endpoint::kCompletions, fits).request.params.max_tokens, 2048 - n);
  fits["max_tokens"] = 2048 - n + 1;
  e = parse_error(Endpoint::kCompletions, fits);
  EXPECT_EQ(e.param, "max_tokens");
  EXPECT_EQ(e.code, "context_length_exceeded");
}

TEST_F(OpenAiApi, ErrorBodyIsOpenAis) {
  ApiError e;
  e.message = "bad";
  e.param = "temperature";
  EXPECT_EQ(e.body(), Json::parse(R"({"error": {"message": "bad", "type": "invalid_request_error",
                                                "param": "temperature", "code": null}})"));
  EXPECT_EQ(e.body().dump(), R"({"error":{"message":"bad","type":"invalid_request_error","param":"temperature","code":null}})");
  e.param.clear();
  EXPECT_TRUE(e.body()["error"]["param"].is_null());
  const ApiError s = submit_error(Status::error("the prompt needs more KV pages than the whole budget"));
  EXPECT_EQ(s.http_status, 400);
  EXPECT_EQ(s.message, "the prompt needs more KV pages than the whole budget");
}

Completion finished(std::string text, FinishReason reason) {
  Completion c;
  c.reason = reason;
  c.text = std::move(text);
  c.tokens = {11, 12, 13};
  c.prompt_tokens = 20;
  c.cached_tokens = 16;
  return c;
}

const ResponseMeta kMeta{"chatcmpl-abc", 1700000000, "tiny"};

TEST_F(OpenAiApi, ChatResponseBodyIsOpenAis) {
  auto body = response_body(ResponseForm{}, finished("Hi!", FinishReason::kStop), kMeta);
  ASSERT_TRUE(std::holds_alternative<Json>(body));
  EXPECT_EQ(std::get<Json>(body).dump(),
            R"({"id":"chatcmpl-abc","object":"chat.completion","created":1700000000,"model":"tiny",)"
            R"("choices":[{"index":0,"message":{"role":"assistant","content":"Hi!"},"logprobs":null,)"
            R"("finish_reason":"stop"}],"usage":{"prompt_tokens":20,"completion_tokens":3,"total_tokens":23,)"
            R"("prompt_tokens_details":{"cached_tokens":16}}})");
}

TEST_F(OpenAiApi, CompletionResponseBodyIsOpenAis) {
  ResponseForm form;
  form.endpoint = Endpoint::kCompletions;
  auto body = response_body(form, finished(" there was", FinishReason::kLength), ResponseMeta{"cmpl-x", 5, "tiny"});
  ASSERT_TRUE(std::holds_alternative<Json>(body));
  EXPECT_EQ(std::get<Json>(body).dump(),
            R"({"id":"cmpl-x","object":"text_completion","created":5,"model":"tiny",)"
            R"("choices":[{"text":" there was","index":0,"logprobs":null,"finish_reason":"length"}],)"
            R"("usage":{"prompt_tokens":20,"completion_tokens":3,"total_tokens":23,)"
            R"("prompt_tokens_details":{"cached_tokens":16}}})");
}

TEST_F(OpenAiApi, FinishReasonsMapToStopLengthOrAnError) {
  EXPECT_STREQ(finish_reason(FinishReason::kStop), "stop");
  EXPECT_STREQ(finish_reason(FinishReason::kStopString), "stop");
  EXPECT_STREQ(finish_reason(FinishReason::kLength), "length");
  EXPECT_STREQ(finish_reason(FinishReason::kContextFull), "length");
  EXPECT_EQ(finish_reason(FinishReason::kCancelled), nullptr);

  auto cancelled = response_body(ResponseForm{}, finished("x", FinishReason::kCancelled), kMeta);
  ASSERT_TRUE(std::holds_alternative<ApiError>(cancelled));
  EXPECT_EQ(std::get<ApiError>(cancelled).http_status, 503);
  Completion failed = finished("", FinishReason::kError);
  failed.status = Status::error("forward pass failed");
  auto error = response_body(ResponseForm{}, failed, kMeta);
  ASSERT_TRUE(std::holds_alternative<ApiError>(error));
  EXPECT_EQ(std::get<ApiError>(error).http_status, 500);
  EXPECT_EQ(std::get<ApiError>(error).type, "server_error");
  EXPECT_NE(std::get<ApiError>(error).message.find("forward pass failed"), std::string::npos);
}

TEST_F(OpenAiApi, ReasoningGoesToReasoningContent) {
  auto message = [](const ResponseForm& form, const std::string& text) {
    auto body = response_body(form, finished(text, FinishReason::kStop), kMeta);
    return std::get<Json>(body)["choices"][0]["message"];
  };
  ResponseForm plain;
  // The model opens its own think block (Qwen3).
  Json m = message(plain, "<think>\nAdd them.\n</think>\n\n4");
  EXPECT_EQ(m["content"], "4");
  EXPECT_EQ(m["reasoning_content"], "Add them.");
  // No think block: the text as it is, no reasoning_content.
  m = message(plain, "Just </think> text");
  EXPECT_EQ(m["content"], "Just </think> text");
  EXPECT_FALSE(m.contains("reasoning_content"));
  // The template opened the block (DeepSeek-R1): the output starts inside it.
  ResponseForm opened;
  opened.prompt_opens_thinking = true;
  m = message(opened, "Add them.\n</think>\n\n4");
  EXPECT_EQ(m["content"], "4");
  EXPECT_EQ(m["reasoning_content"], "Add them.");
  m = message(opened, "Still adding");  // stopped before </think>
  EXPECT_EQ(m["content"], "");
  EXPECT_EQ(m["reasoning_content"], "Still adding");
}

TEST_F(OpenAiApi, PromptThatOpensAThinkBlockIsNoted) {
  Json body = chat_body();
  body["messages"][1]["content"] = "Solve it. <think>";  // this template copies content as is
  EXPECT_TRUE(parse_ok(Endpoint::kChatCompletions, body).form.prompt_opens_thinking);
  body["messages"][1]["content"] = "<think>x</think> Solve it.";
  EXPECT_FALSE(parse_ok(Endpoint::kChatCompletions, body).form.prompt_opens_thinking);
}

TEST_F(OpenAiApi, StreamingChunksAreOpenAis) {
  Json delta = Json::object();
  delta["content"] = "Hel";
  EXPECT_EQ(chat_chunk(kMeta, delta).dump(),
            R"({"id":"chatcmpl-abc","object":"chat.completion.chunk","created":1700000000,"model":"tiny",)"
            R"("choices":[{"index":0,"delta":{"content":"Hel"},"logprobs":null,"finish_reason":null}]})");
  EXPECT_EQ(chat_chunk(kMeta, Json::object(), "stop")["choices"][0]["finish_reason"], "stop");
  const Json text = completion_chunk(kMeta, "lo", "length");
  EXPECT_EQ(text["object"], "text_completion");
  EXPECT_EQ(text["choices"][0]["text"], "lo");
  const Json u = usage_chunk(kMeta, Endpoint::kChatCompletions, finished("", FinishReason::kStop));
  EXPECT_TRUE(u["choices"].empty());
  EXPECT_EQ(u["usage"]["total_tokens"], 23);
}

TEST_F(OpenAiApi, ResponseIdsAreFreshAndPrefixed) {
  const ResponseMeta a = new_response_meta(Endpoint::kChatCompletions, "tiny");
  const ResponseMeta b = new_response_meta(Endpoint::kCompletions, "tiny");
  EXPECT_EQ(a.id.rfind("chatcmpl-", 0), 0u);
  EXPECT_EQ(b.id.rfind("cmpl-", 0), 0u);
  EXPECT_EQ(a.id.size(), 9u + 24u);
  EXPECT_NE(new_response_id("x"), new_response_id("x"));
  EXPECT_GT(a.created, 1600000000);
}

}  // namespace
}  // namespace hearth::openai
