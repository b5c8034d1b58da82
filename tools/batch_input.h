// `hearth batch` input: one line of an OpenAI Batch API file checked into what it asks
// ({"custom_id", "method": "POST", "url", "body"}) or why it cannot run, and the shard a
// custom_id belongs to (a stable partition for Kubernetes Indexed Jobs).
// Not here: the body's fields (src/engine/openai_api.h), the results file (batch_output.h).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "src/base/status.h"
#include "src/engine/openai_api.h"

namespace hearth::tools {

struct BatchLine {
  std::string custom_id;  // "line-N" (1-based) when the line gives none
  openai::Endpoint endpoint = openai::Endpoint::kChatCompletions;
  openai::Json body;
  // Set when the line cannot run (not JSON, no custom_id, unknown url, ...): the error record's.
  std::string error_code;
  std::string error_message;
};
BatchLine read_batch_line(std::string_view text, int64_t line_number);

// 64-bit FNV-1a: fixed across builds and machines, unlike std::hash.
uint64_t fnv1a(std::string_view bytes);

struct Shard {
  int64_t index = 0;
  int64_t count = 1;
};
// "I/N" with 0 <= I < N.
Result<Shard> parse_shard(const std::string& text);
// JOB_COMPLETION_INDEX / JOB_COMPLETIONS (a Kubernetes Indexed Job) when set, else 0/1.
Result<Shard> shard_from_env();
bool in_shard(std::string_view custom_id, const Shard& shard);

}  // namespace hearth::tools
