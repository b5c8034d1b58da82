// parse_request: an OpenAI request body -> prompt tokens + RequestParams, every field checked.
// The field readers throw a Refusal (an ApiError) that parse_request catches: no exception
// leaves this file, and each check stays one line.
// Not here: the response bodies (openai_api_response.cpp).
#include <algorithm>
#include <cmath>
#include <limits>

#include "src/engine/generation_defaults.h"
#include "src/engine/openai_api.h"

namespace hearth::openai {
namespace {

// Requests without max_tokens on a model whose context is unknown stop here.
constexpr int32_t kMaxTokensUnknownContext = 4096;
// OpenAI's default for /v1/completions (chat defaults to the rest of the context).
constexpr int32_t kCompletionsDefaultMaxTokens = 16;
constexpr size_t kMaxStopStrings = 16;

struct Refusal {
  ApiError error;
};

[[noreturn]] void refuse(std::string param, std::string message, std::string code = "") {
  throw Refusal{ApiError{400, std::move(message), "invalid_request_error", std::move(param), std::move(code)}};
}

[[noreturn]] void refuse_unsupported(const std::string& param, const std::string& why) {
  refuse(param, fmt::format("Unsupported value for '{}': {}", param, why), "unsupported_value");
}

const char* kind_of(const Json& v) {
  switch (v.type()) {
    case Json::value_t::null: return "null";
    case Json::value_t::boolean: return "a boolean";
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned: return "an integer";
    case Json::value_t::number_float: return "a decimal";
    case Json::value_t::string: return "a string";
    case Json::value_t::array: return "an array";
    case Json::value_t::object: return "an object";
    default: return "an unknown value";
  }
}

[[noreturn]] void wrong_type(const std::string& param, const char* expected, const Json& got) {
  refuse(param, fmt::format("Invalid type for '{}': expected {}, but got {} instead.", param, expected, kind_of(got)),
         "invalid_type");
}

[[noreturn]] void out_of_range(const std::string& param, double lo, double hi, const Json& got) {
  refuse(param, fmt::format("Invalid value for '{}': expected a value from {} to {}, but got {} instead.", param, lo,
                            hi, got.dump()),
         "invalid_value");
}

// Which endpoints take a field. One table: a field not listed is refused as OpenAI does.
enum : unsigned { kChat = 1, kCompletions = 2, kBoth = 3 };
struct KnownField {
  const char* name;
  unsigned endpoints;
};
constexpr KnownField kKnownFields[] = {
    {"model", kBoth}, {"messages", kChat}, {"prompt", kCompletions},
    {"max_tokens", kBoth}, {"max_completion_tokens", kChat},
    {"temperature", kBoth}, {"top_p", kBoth}, {"seed", kBoth}, {"stop", kBoth},
    {"presence_penalty", kBoth}, {"frequency_penalty", kBoth}, {"n", kBoth},
    {"stream", kBoth}, {"stream_options", kBoth},
    // Accepted at their neutral value only (refused clearly otherwise) or ignored.
    {"logprobs", kBoth}, {"top_logprobs", kChat}, {"logit_bias", kBoth}, {"user", kBoth},
    {"store", kChat}, {"metadata", kChat}, {"service_tier", kChat}, {"response_format", kChat},
    {"tools", kChat}, {"tool_choice", kChat}, {"parallel_tool_calls", kChat},
    {"echo", kCompletions}, {"best_of", kCompletions}, {"suffix", kCompletions},
    // Hearth's own (vLLM spells them the same).
    {"top_k", kBoth}, {"min_p", kBoth}, {"repeat_penalty", kBoth}, {"repeat_last_n", kBoth},
    {"ignore_eos", kBoth}, {"chat_template_kwargs", kChat},
};

void refuse_unknown_fields(const Json& body, Endpoint endpoint) {
  const unsigned mine = endpoint == Endpoint::kChatCompletions ? kChat : kCompletions;
  for (const auto& item : body.items()) {
    const std::string& name = item.key();  // not a structured binding: clang 14 (the fuzzer's) cannot capture one
    const bool known = std::any_of(std::begin(kKnownFields), std::end(kKnownFields),
                                   [&](const KnownField& f) { return name == f.name && (f.endpoints & mine); });
    if (!known) refuse(name, fmt::format("Unrecognized request argument supplied: {}", name), "unknown_parameter");
  }
}

// The field, or nullptr when absent or null (null means "the default", as in OpenAI's API).
const Json* field(const Json& body, const char* name) {
  auto it = body.find(name);
  return it == body.end() || it->is_null() ? nullptr : &*it;
}

// The readers take the field's key in `obj` and, for a nested field, the name errors give
// (param), e.g. "stream_options.include_usage".
std::optional<double> number(const Json& obj, const char* key, double lo, double hi, std::string param = {}) {
  const Json* v = field(obj, key);
  if (!v) return std::nullopt;
  if (param.empty()) param = key;
  if (!v->is_number()) wrong_type(param, "a decimal", *v);
  const double d = v->get<double>();
  if (!(d >= lo && d <= hi)) out_of_range(param, lo, hi, *v);
  return d;
}

std::optional<int64_t> integer(const Json& obj, const char* key, int64_t lo, int64_t hi, std::string param = {}) {
  const Json* v = field(obj, key);
  if (!v) return std::nullopt;
  if (param.empty()) param = key;
  if (!v->is_number_integer()) wrong_type(param, "an integer", *v);
  const bool too_big = v->is_number_unsigned() && v->get<uint64_t>() > static_cast<uint64_t>(hi);
  if (too_big || v->get<int64_t>() < lo || v->get<int64_t>() > hi)
    out_of_range(param, static_cast<double>(lo), static_cast<double>(hi), *v);
  return v->get<int64_t>();
}

std::optional<bool> boolean(const Json& obj, const char* key, std::string param = {}) {
  const Json* v = field(obj, key);
  if (!v) return std::nullopt;
  if (!v->is_boolean()) wrong_type(param.empty() ? key : param, "a boolean", *v);
  return v->get<bool>();
}

// The field when it has the type `is` checks, nullptr when absent; any other type is refused.
using TypeCheck = bool (Json::*)() const noexcept;
const Json* typed(const Json& obj, const char* key, TypeCheck is, const char* expected, std::string param = {}) {
  const Json* v = field(obj, key);
  if (v && !(v->*is)()) wrong_type(param.empty() ? key : param, expected, *v);
  return v;
}
const Json* string_field(const Json& obj, const char* key, std::string param = {}) {
  return typed(obj, key, &Json::is_string, "a string", std::move(param));
}
const Json* object_field(const Json& obj, const char* key, std::string param = {}) {
  return typed(obj, key, &Json::is_object, "an object", std::move(param));
}

// "stop": a string or a list of strings; empty strings stop nothing and are dropped.
std::vector<std::string> stop_strings(const Json& body) {
  std::vector<std::string> out;
  const Json* v = field(body, "stop");
  if (!v) return out;
  if (v->is_string()) {
    if (!v->get_ref<const std::string&>().empty()) out.push_back(v->get<std::string>());
    return out;
  }
  if (!v->is_array()) wrong_type("stop", "a string or an array of strings", *v);
  if (v->size() > kMaxStopStrings)
    refuse("stop", fmt::format("Invalid 'stop': at most {} stop strings, but got {}.", kMaxStopStrings, v->size()),
           "invalid_value");
  for (size_t i = 0; i < v->size(); ++i) {
    const Json& s = (*v)[i];
    if (!s.is_string()) wrong_type(fmt::format("stop[{}]", i), "a string", s);
    if (!s.get_ref<const std::string&>().empty()) out.push_back(s.get<std::string>());
  }
  return out;
}

// Fields OpenAI defines that Hearth takes only at their neutral value; anything else is refused
// with the reason rather than silently ignored.
void check_neutral_fields(const Json& body, Endpoint endpoint) {
  for (const char* name : {"presence_penalty", "frequency_penalty"})
    if (number(body, name, -2, 2).value_or(0) != 0)
      refuse_unsupported(name, "only 0 is supported (Hearth's sampler has no presence or frequency penalty); "
                               "use repeat_penalty, e.g. 1.1, to discourage repetition.");
  if (integer(body, "n", 1, 128).value_or(1) != 1)
    refuse_unsupported("n", "Hearth returns one choice per request; send the request n times with different seeds.");
  if (endpoint == Endpoint::kChatCompletions) {
    if (boolean(body, "logprobs").value_or(false)) refuse_unsupported("logprobs", "log probabilities are not returned yet.");
    if (integer(body, "top_logprobs", 0, 20).value_or(0) != 0)
      refuse_unsupported("top_logprobs", "log probabilities are not returned yet.");
  } else if (integer(body, "logprobs", 0, 5).value_or(0) != 0) {
    refuse_unsupported("logprobs", "log probabilities are not returned yet.");
  }
  if (const Json* bias = object_field(body, "logit_bias"); bias && !bias->empty())
    refuse_unsupported("logit_bias", "logit bias is not supported.");
  string_field(body, "user");
  string_field(body, "service_tier");
  object_field(body, "metadata");
  boolean(body, "store");
  boolean(body, "parallel_tool_calls");
  if (const Json* format = object_field(body, "response_format")) {
    const Json* type = string_field(*format, "type", "response_format.type");
    if (type && *type != "text") refuse_unsupported("response_format", "only {\"type\": \"text\"} is supported.");
  }
  if (const Json* tools = typed(body, "tools", &Json::is_array, "an array"); tools && !tools->empty())
    refuse_unsupported("tools", "tool calling is not supported yet.");
  if (const Json* choice = field(body, "tool_choice"); choice && *choice != "none" && *choice != "auto")
    refuse_unsupported("tool_choice", "tool calling is not supported yet.");
  if (boolean(body, "echo").value_or(false)) refuse_unsupported("echo", "echoing the prompt is not supported.");
  if (integer(body, "best_of", 1, 128).value_or(1) != 1) refuse_unsupported("best_of", "only 1 is supported.");
  if (const Json* suffix = string_field(body, "suffix"); suffix && !suffix->empty())
    refuse_unsupported("suffix", "insertion (a suffix) is not supported.");
}

SamplerParams sampler_params(const Json& body, uint64_t default_seed) {
  SamplerParams p;
  p.temperature = static_cast<float>(number(body, "temperature", 0, 2).value_or(1.0));
  p.top_p = static_cast<float>(number(body, "top_p", 0, 1).value_or(1.0));
  p.top_k = static_cast<int32_t>(std::max<int64_t>(0, integer(body, "top_k", -1, INT32_MAX).value_or(0)));  // -1: all
  p.min_p = static_cast<float>(number(body, "min_p", 0, 1).value_or(0.0));
  p.repeat_penalty = static_cast<float>(number(body, "repeat_penalty", 0, 10).value_or(1.0));
  if (p.repeat_penalty <= 0)
    refuse("repeat_penalty", "Invalid value for 'repeat_penalty': expected a value above 0 (1 is off).", "invalid_value");
  p.repeat_last_n = static_cast<int32_t>(integer(body, "repeat_last_n", -1, INT32_MAX).value_or(p.repeat_last_n));
  p.seed = default_seed;
  if (const Json* seed = field(body, "seed")) {  // OpenAI's seed is any 64-bit integer
    if (!seed->is_number_integer()) wrong_type("seed", "an integer", *seed);
    p.seed = seed->is_number_unsigned() ? seed->get<uint64_t>() : static_cast<uint64_t>(seed->get<int64_t>());
  }
  return p;
}

// One message's content as text: a string, or the text parts of a list joined by newlines.
std::string text_content(const Json& message, const std::string& where, const std::string& role) {
  const Json* content = field(message, "content");
  if (!content) {
    if (role == "assistant") return "";  // an assistant turn may carry no text
    refuse(where + ".content", fmt::format("Missing required parameter: '{}.content'.", where), "missing_required_parameter");
  }
  if (content->is_string()) return content->get<std::string>();
  if (!content->is_array()) wrong_type(where + ".content", "a string or an array of content parts", *content);
  std::string text;
  for (size_t j = 0; j < content->size(); ++j) {
    const std::string part_where = fmt::format("{}.content[{}]", where, j);
    const Json& part = (*content)[j];
    if (!part.is_object()) wrong_type(part_where, "an object", part);
    const Json* type = string_field(part, "type", part_where + ".type");
    if (!type || *type != "text")
      refuse_unsupported(part_where + ".type", "only text content parts are supported by this model.");
    const Json* part_text = string_field(part, "text", part_where + ".text");
    if (!part_text) refuse(part_where + ".text", fmt::format("Missing required parameter: '{}.text'.", part_where));
    if (j > 0) text += '\n';
    text += part_text->get<std::string>();
  }
  return text;
}

// The messages as the chat template takes them: role, text content and name.
Json template_messages(const Json& body) {
  const Json* messages = field(body, "messages");
  if (!messages) refuse("messages", "Missing required parameter: 'messages'.", "missing_required_parameter");
  if (!messages->is_array()) wrong_type("messages", "an array", *messages);
  if (messages->empty()) refuse("messages", "Invalid 'messages': expected at least one message, but got an empty array.", "empty_array");
  Json out = Json::array();
  for (size_t i = 0; i < messages->size(); ++i) {
    const std::string where = fmt::format("messages[{}]", i);
    const Json& m = (*messages)[i];
    if (!m.is_object()) wrong_type(where, "an object", m);
    const Json* role = string_field(m, "role", where + ".role");
    if (!role) refuse(where + ".role", fmt::format("Missing required parameter: '{}.role'.", where), "missing_required_parameter");
    std::string r = role->get<std::string>();
    if (r == "developer") r = "system";  // OpenAI's newer name for the system turn
    if (r != "system" && r != "user" && r != "assistant" && r != "tool")
      refuse(where + ".role", fmt::format("Invalid value for '{}.role': expected one of system, developer, user, "
                                          "assistant, tool, but got '{}'.", where, role->get<std::string>()),
             "invalid_value");
    if (const Json* calls = field(m, "tool_calls"); calls && !(calls->is_array() && calls->empty()))
      refuse_unsupported(where + ".tool_calls", "tool calling is not supported yet.");
    Json rendered = Json::object();
    rendered["role"] = r;
    rendered["content"] = text_content(m, where, r);
    if (const Json* name = string_field(m, "name", where + ".name")) rendered["name"] = *name;
    out.push_back(std::move(rendered));
  }
  return out;
}

// True when the text ends inside a <think> block: the template opened it for the model.
bool opens_thinking(const std::string& prompt) {
  const size_t open = prompt.rfind("<think>");
  const size_t close = prompt.rfind("</think>");
  return open != std::string::npos && (close == std::string::npos || close < open);
}

std::vector<int32_t> chat_prompt(const Json& body, const ServedModel& served, ResponseForm& form) {
  const Json messages = template_messages(body);
  Json extra = Json::object();
  if (const Json* kwargs = object_field(body, "chat_template_kwargs")) extra = *kwargs;
  HEARTH_CHECK(served.chat_template != nullptr, "a chat request needs the model's chat template");
  auto rendered = served.chat_template->render(messages, /*add_generation_prompt=*/true, extra);
  if (!rendered) refuse("messages", "The model's chat template cannot render these messages: " + rendered.message());
  form.prompt_opens_thinking = opens_thinking(*rendered);
  // The template writes the special tokens (BOS, role markers) itself.
  return served.tokenizer->encode(*rendered, /*add_special_tokens=*/false);
}

// "prompt": a string, a list holding one string, or a list of token ids.
std::vector<int32_t> completion_prompt(const Json& body, const ServedModel& served) {
  const Json* prompt = field(body, "prompt");
  if (!prompt) refuse("prompt", "Missing required parameter: 'prompt'.", "missing_required_parameter");
  if (prompt->is_string()) return served.tokenizer->encode(prompt->get<std::string>(), /*add_special_tokens=*/true);
  if (!prompt->is_array()) wrong_type("prompt", "a string or an array of token ids", *prompt);
  if (prompt->size() == 1 && (*prompt)[0].is_string())
    return served.tokenizer->encode((*prompt)[0].get<std::string>(), /*add_special_tokens=*/true);
  std::vector<int32_t> ids;
  const int64_t vocab = served.tokenizer->vocab_size();
  for (size_t i = 0; i < prompt->size(); ++i) {
    const Json& id = (*prompt)[i];
    if (id.is_string() || id.is_array())
      refuse_unsupported("prompt", "one prompt per request; send each prompt as a request of its own.");
    if (!id.is_number_integer()) wrong_type(fmt::format("prompt[{}]", i), "an integer token id", id);
    if (id.get<int64_t>() < 0 || id.get<int64_t>() >= vocab)
      out_of_range(fmt::format("prompt[{}]", i), 0, static_cast<double>(vocab - 1), id);
    ids.push_back(id.get<int32_t>());
  }
  return ids;
}

// max_tokens: as given (prompt + max_tokens must fit the context), else OpenAI's default.
int32_t max_tokens(const Json& body, Endpoint endpoint, int64_t prompt_tokens, int64_t context) {
  const bool chat = endpoint == Endpoint::kChatCompletions;
  const char* name = chat && field(body, "max_completion_tokens") ? "max_completion_tokens" : "max_tokens";
  const std::optional<int64_t> asked = integer(body, name, chat ? 1 : 0, INT32_MAX);
  const int64_t room = context > 0 ? context - prompt_tokens : kMaxTokensUnknownContext;
  if (!asked) return static_cast<int32_t>(chat ? room : std::min<int64_t>(room, kCompletionsDefaultMaxTokens));
  if (context > 0 && *asked > room)
    refuse(name, fmt::format("This model's maximum context length is {} tokens. However, you requested {} tokens ({} in "
                             "the {}, {} in the completion). Please reduce the length of the {} or completion.",
                             context, prompt_tokens + *asked, prompt_tokens, chat ? "messages" : "prompt", *asked,
                             chat ? "messages" : "prompt"),
           "context_length_exceeded");
  return static_cast<int32_t>(*asked);
}

ParsedRequest parse_or_throw(Endpoint endpoint, const Json& body, const ServedModel& served, uint64_t default_seed) {
  if (!body.is_object()) wrong_type("body", "a JSON object", body);
  refuse_unknown_fields(body, endpoint);
  check_neutral_fields(body, endpoint);
  ParsedRequest out;
  out.form.endpoint = endpoint;
  if (const Json* model = string_field(body, "model")) out.model = model->get<std::string>();
  out.form.stream = boolean(body, "stream").value_or(false);
  if (const Json* options = object_field(body, "stream_options"))
    out.form.include_usage = boolean(*options, "include_usage", "stream_options.include_usage").value_or(false);

  RequestParams& params = out.request.params;
  params.sampler = sampler_params(body, default_seed);
  params.stop_strings = stop_strings(body);
  if (!boolean(body, "ignore_eos").value_or(false)) params.stop_ids = served.stop_ids;

  const bool chat = endpoint == Endpoint::kChatCompletions;
  std::vector<int32_t>& prompt = out.request.prompt;
  prompt = chat ? chat_prompt(body, served, out.form) : completion_prompt(body, served);
  const char* what = chat ? "messages" : "prompt";
  const auto n = static_cast<int64_t>(prompt.size());
  if (n == 0) refuse(what, fmt::format("The {} encode to no tokens; give some text.", what), "empty_prompt");
  if (served.context > 0 && n >= served.context)
    refuse(what, fmt::format("This model's maximum context length is {} tokens. However, your {} resulted in {} tokens. "
                             "Please reduce the length of the {}.", served.context, what, n, what),
           "context_length_exceeded");
  params.max_tokens = max_tokens(body, endpoint, n, served.context);
  return out;
}

}  // namespace

std::optional<Endpoint> endpoint_from_url(std::string_view url) {
  if (url == "/v1/chat/completions") return Endpoint::kChatCompletions;
  if (url == "/v1/completions") return Endpoint::kCompletions;
  return std::nullopt;
}

ServedModel served_model(const Model& model, const Tokenizer& tokenizer, const ChatTemplate* chat_template) {
  ServedModel s;
  s.tokenizer = &tokenizer;
  s.chat_template = chat_template;
  s.context = model.info().max_position;
  s.stop_ids = end_of_generation_ids(model, tokenizer);
  return s;
}

ApiResult<ParsedRequest> parse_request(Endpoint endpoint, const Json& body, const ServedModel& served,
                                       uint64_t default_seed) {
  HEARTH_CHECK(served.tokenizer != nullptr, "parse_request needs the model's tokenizer");
  try {
    return parse_or_throw(endpoint, body, served, default_seed);
  } catch (const Refusal& r) {
    return r.error;
  }
}

}  // namespace hearth::openai
