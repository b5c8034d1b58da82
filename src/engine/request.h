// What a caller hands the serving engine and gets back: a request (prompt tokens, its own
// sampling and stop conditions, callbacks), the events of its tokens, and its completion.
// Not here: the scheduling (engine.h), the OpenAI wire form (openai_api.h).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "src/base/status.h"
#include "src/engine/sampler.h"

namespace hearth {

struct RequestParams {
  SamplerParams sampler;
  int32_t max_tokens = 256;                // generated tokens at most (0: prompt only)
  std::vector<int32_t> stop_ids;           // generation ends on one of these; it is not emitted
  std::vector<std::string> stop_strings;   // ends when this text appears (needs the engine's tokenizer)
  bool keep_logits = false;                // Completion::logits = the last computed position's logits
};

// Why a request ended.
enum class FinishReason {
  kLength,       // max_tokens generated
  kStop,         // a stop id (end of sequence)
  kStopString,   // a stop string appeared in the text
  kCancelled,    // cancel() or the token callback returned false
  kContextFull,  // the model's context (or the KV budget, for a request alone) is full
  kError,        // see Completion::status
};
const char* finish_reason_name(FinishReason reason);

// One generated token, as the callback sees it.
struct TokenEvent {
  uint64_t request = 0;
  int32_t token = -1;
  std::string text;  // text now safe to show (UTF-8 complete, no partial stop string); "" without a tokenizer
  int32_t index = 0;  // 0 for the first generated token
};

struct Completion {
  uint64_t request = 0;
  Status status = Status::ok();
  FinishReason reason = FinishReason::kLength;
  std::vector<int32_t> tokens;  // generated (stop ids excluded)
  std::string text;             // the whole generated text (with a tokenizer)
  std::string final_text;       // its end, held back until the end and shown by no TokenEvent
  int64_t prompt_tokens = 0;    // the prompt's length
  int64_t cached_tokens = 0;    // prompt tokens whose KV came from the prefix cache
  int32_t preemptions = 0;      // times its pages were taken back and it was recomputed
  double queued_seconds = 0;    // from submit to admission
  double first_token_seconds = 0;  // from submit to the first generated token (0 if none)
  double total_seconds = 0;     // from submit to the end
  std::vector<float> logits;    // with RequestParams::keep_logits
};

struct Request {
  std::vector<int32_t> prompt;
  RequestParams params;
  // Called on the engine's thread for each generated token; false cancels the request.
  std::function<bool(const TokenEvent&)> on_token;
  // Called once on the engine's thread when the request ends, however it ends.
  std::function<void(Completion&&)> on_done;
};

}  // namespace hearth
