// split_reasoning: separates a reasoning model's "<think>...</think>" part from the
// answer. Handles output that starts inside the think block (the template already
// emitted "<think>", so only "</think>" appears) and an unfinished think block.
// Not here: streaming of partial tags.
#include "src/tokenizer/chat_template.h"

namespace hearth {

namespace {
constexpr std::string_view kOpen = "<think>";
constexpr std::string_view kClose = "</think>";

std::string strip_newlines(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && (s[b] == '\n' || s[b] == '\r' || s[b] == ' ')) ++b;
  while (e > b && (s[e - 1] == '\n' || s[e - 1] == '\r' || s[e - 1] == ' ')) --e;
  return std::string(s.substr(b, e - b));
}
}  // namespace

ReasoningSplit split_reasoning(const std::string& text) {
  const size_t close = text.find(kClose);
  const size_t open = text.find(kOpen);
  ReasoningSplit r;
  if (close == std::string::npos) {
    if (open == std::string::npos) {
      r.answer = text;
    } else {  // unfinished think block: everything after <think> is reasoning
      r.answer = strip_newlines(std::string_view(text).substr(0, open));
      r.reasoning = strip_newlines(std::string_view(text).substr(open + kOpen.size()));
    }
    return r;
  }
  const size_t start = (open != std::string::npos && open < close) ? open + kOpen.size() : 0;
  const std::string before = (open != std::string::npos && open < close) ? text.substr(0, open) : std::string();
  r.reasoning = strip_newlines(std::string_view(text).substr(start, close - start));
  r.answer = strip_newlines(before) ;
  const std::string after = strip_newlines(std::string_view(text).substr(close + kClose.size()));
  if (!r.answer.empty() && !after.empty()) r.answer += "\n";
  r.answer += after;
  return r;
}

}  // namespace hearth
