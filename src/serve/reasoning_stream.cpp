// The streaming <think> splitter: a small state machine over the text as it arrives.
// Not here: the whole-text split (split_reasoning in src/tokenizer/reasoning.cpp), which this
// follows.
#include "src/serve/reasoning_stream.h"

namespace hearth::serve {
namespace {

constexpr std::string_view kOpen = "<think>";
constexpr std::string_view kClose = "</think>";

// Length of the longest end of `text` that is a proper prefix of `tag` (may still become it).
size_t partial_tag_at_end(std::string_view text, std::string_view tag) {
  for (size_t n = std::min(text.size(), tag.size() - 1); n > 0; --n)
    if (text.substr(text.size() - n) == tag.substr(0, n)) return n;
  return 0;
}

}  // namespace

ReasoningStream::ReasoningStream(bool in_thinking) : state_(in_thinking ? State::kThinking : State::kStart) {}

void ReasoningStream::emit(bool reasoning, std::string text, std::vector<Delta>& out) {
  if (at_line_start_) {
    const size_t first = text.find_first_not_of("\r\n");
    if (first == std::string::npos) return;
    text.erase(0, first);
    at_line_start_ = false;
  }
  if (text.empty()) return;
  if (!out.empty() && out.back().reasoning == reasoning) {
    out.back().text += text;
  } else {
    out.push_back({reasoning, std::move(text)});
  }
}

void ReasoningStream::push(std::string_view text, std::vector<Delta>& out) {
  pending_ += text;
  for (;;) {
    if (state_ == State::kStart) {
      const size_t first = pending_.find_first_not_of(" \t\r\n");
      if (first == std::string::npos) return;  // only blanks so far
      const std::string_view rest = std::string_view(pending_).substr(first);
      if (rest.size() < kOpen.size() && kOpen.substr(0, rest.size()) == rest) return;  // maybe <think>
      if (rest.substr(0, kOpen.size()) == kOpen) {
        pending_.erase(0, first + kOpen.size());
        state_ = State::kThinking;
        continue;
      }
      state_ = State::kAnswer;  // plain output: content as it is
      at_line_start_ = false;
      continue;
    }
    if (state_ == State::kAnswer) {
      emit(false, std::move(pending_), out);
      pending_.clear();
      return;
    }
    // Thinking: everything before </think> is reasoning; newlines just before it are dropped,
    // so trailing newlines wait for what follows them.
    const size_t close = pending_.find(kClose);
    if (close != std::string::npos) {
      std::string reasoning = pending_.substr(0, close);
      while (!reasoning.empty() && (reasoning.back() == '\n' || reasoning.back() == '\r')) reasoning.pop_back();
      emit(true, std::move(reasoning), out);
      pending_.erase(0, close + kClose.size());
      state_ = State::kAnswer;
      at_line_start_ = true;
      continue;
    }
    size_t keep = partial_tag_at_end(pending_, kClose);
    size_t end = pending_.size() - keep;
    while (end > 0 && (pending_[end - 1] == '\n' || pending_[end - 1] == '\r')) --end;
    if (end == 0) return;
    emit(true, pending_.substr(0, end), out);
    pending_.erase(0, end);
    return;
  }
}

void ReasoningStream::finish(std::vector<Delta>& out) {
  if (state_ == State::kStart) {
    state_ = State::kAnswer;
    at_line_start_ = false;
  }
  if (state_ == State::kThinking) {
    // Stopped while thinking (max_tokens): no answer; trailing newlines dropped.
    while (!pending_.empty() && (pending_.back() == '\n' || pending_.back() == '\r')) pending_.pop_back();
    emit(true, std::move(pending_), out);
  } else {
    emit(false, std::move(pending_), out);
  }
  pending_.clear();
}

}  // namespace hearth::serve
