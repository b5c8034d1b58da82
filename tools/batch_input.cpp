#include "tools/batch_input.h"

#include <cstdlib>

namespace hearth::tools {

namespace {

BatchLine refused(BatchLine line, std::string code, std::string message) {
  line.error_code = std::move(code);
  line.error_message = std::move(message);
  return line;
}

// A non-negative integer and nothing else.
std::optional<int64_t> whole_number(std::string_view s) {
  if (s.empty() || s.size() > 18) return std::nullopt;
  int64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  return v;
}

}  // namespace

BatchLine read_batch_line(std::string_view text, int64_t line_number) {
  BatchLine line;
  line.custom_id = "line-" + std::to_string(line_number);
  openai::Json j = openai::Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return refused(std::move(line), "invalid_json", "the line is not valid JSON");
  if (!j.is_object()) return refused(std::move(line), "invalid_json", "the line is not a JSON object");
  auto id = j.find("custom_id");
  if (id == j.end() || !id->is_string() || id->get_ref<const std::string&>().empty())
    return refused(std::move(line), "missing_custom_id", "the line has no custom_id (a non-empty string)");
  line.custom_id = id->get<std::string>();
  auto method = j.find("method");
  if (method != j.end() && *method != "POST")
    return refused(std::move(line), "invalid_method", "method must be \"POST\", got " + method->dump());
  auto url = j.find("url");
  const std::optional<openai::Endpoint> endpoint =
      url != j.end() && url->is_string() ? openai::endpoint_from_url(url->get<std::string>()) : std::nullopt;
  if (!endpoint)
    return refused(std::move(line), "invalid_url",
                   "url must be \"/v1/chat/completions\" or \"/v1/completions\", got " +
                       (url == j.end() ? std::string("none") : url->dump()));
  line.endpoint = *endpoint;
  auto body = j.find("body");
  if (body == j.end() || !body->is_object())
    return refused(std::move(line), "invalid_body", "body must be a JSON object (the request OpenAI's API takes)");
  line.body = std::move(*body);
  return line;
}

uint64_t fnv1a(std::string_view bytes) {
  uint64_t h = 0xcbf29ce484222325ull;  // FNV offset basis
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 0x100000001b3ull;  // FNV prime
  }
  return h;
}

Result<Shard> parse_shard(const std::string& text) {
  const size_t slash = text.find('/');
  const std::string_view view(text);
  const auto index = whole_number(view.substr(0, slash));
  const auto count = whole_number(slash == std::string::npos ? std::string_view() : view.substr(slash + 1));
  if (!index || !count || *count < 1 || *index >= *count)
    return Status::errorf("shard '{}' is not I/N with 0 <= I < N (e.g. 0/4 for the first of four)", text);
  return Shard{*index, *count};
}

Result<Shard> shard_from_env() {
  const char* index = std::getenv("JOB_COMPLETION_INDEX");
  const char* count = std::getenv("JOB_COMPLETIONS");
  if (!index && !count) return Shard{};
  if (!index || !count)
    return Status::error("JOB_COMPLETION_INDEX and JOB_COMPLETIONS must be set together (a Kubernetes Indexed Job "
                         "sets the index; set JOB_COMPLETIONS to the job's completions), or give --shard I/N");
  auto shard = parse_shard(std::string(index) + "/" + count);
  if (!shard) return Status::error("JOB_COMPLETION_INDEX / JOB_COMPLETIONS: " + shard.message());
  return shard;
}

bool in_shard(std::string_view custom_id, const Shard& shard) {
  return fnv1a(custom_id) % static_cast<uint64_t>(shard.count) == static_cast<uint64_t>(shard.index);
}

}  // namespace hearth::tools
