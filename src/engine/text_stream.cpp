#include "src/engine/text_stream.h"

#include <algorithm>

namespace hearth {

TextStream::TextStream(const Tokenizer& tokenizer, std::vector<std::string> stop_strings)
    : decoder_(tokenizer, /*skip_special_tokens=*/true), stops_(std::move(stop_strings)) {
  stops_.erase(std::remove(stops_.begin(), stops_.end(), std::string()), stops_.end());
}

bool TextStream::push(int32_t token, std::string& emit) {
  emit.clear();
  if (stopped_) return false;
  pending_ += decoder_.push(token);
  // A complete stop string: emit what precedes the earliest one and stop.
  size_t first = std::string::npos;
  for (const auto& s : stops_) first = std::min(first, pending_.find(s));
  if (first != std::string::npos) {
    emit = pending_.substr(0, first);
    shown_ += emit;
    pending_.clear();
    stopped_ = true;
    return false;
  }
  // Hold back the longest tail that is a prefix of some stop string.
  size_t hold = 0;
  for (const auto& s : stops_)
    for (size_t len = std::min(s.size() - 1, pending_.size()); len > hold; --len)
      if (pending_.compare(pending_.size() - len, len, s, 0, len) == 0) {
        hold = len;
        break;
      }
  emit = pending_.substr(0, pending_.size() - hold);
  pending_.erase(0, pending_.size() - hold);
  shown_ += emit;
  return true;
}

std::string TextStream::finish() {
  std::string rest;
  if (!stopped_) rest = pending_ + decoder_.flush();
  pending_.clear();
  shown_ += rest;
  return rest;
}

}  // namespace hearth
