// A reasoning model's output split while it streams: the text inside a <think> block goes to
// delta.reasoning_content, the rest to delta.content, as DeepSeek's API streams it. A tag cut
// across two tokens is held back until it is whole; newlines next to the tags are dropped, so
// the pieces put together equal split_reasoning() of the whole text (the non-streaming body).
// Not here: the chunks themselves (openai_api.h).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace hearth::serve {

struct Delta {
  bool reasoning = false;  // reasoning_content, else content
  std::string text;
};

class ReasoningStream {
 public:
  // in_thinking: the prompt opened the <think> block (the template did). Otherwise the output
  // is reasoning only if it starts with its own <think>.
  explicit ReasoningStream(bool in_thinking);
  // Appends generated text; the deltas now safe to send go to `out` (none may be empty).
  void push(std::string_view text, std::vector<Delta>& out);
  // End of output: what was held back.
  void finish(std::vector<Delta>& out);

 private:
  enum class State { kStart, kThinking, kAnswer };
  void emit(bool reasoning, std::string text, std::vector<Delta>& out);
  State state_;
  std::string pending_;      // text not yet decided
  bool at_line_start_ = true;  // nothing emitted yet in the current part (leading newlines dropped)
};

}  // namespace hearth::serve
