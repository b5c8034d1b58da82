// Generated tokens -> printable text: UTF-8-safe streaming detokenization plus stop strings.
// Text that could still turn into a stop string is held back until it is ruled out, so a
// stop string never reaches the user.
#pragma once

#include <string>
#include <vector>

#include "src/tokenizer/tokenizer.h"

namespace hearth {

class TextStream {
 public:
  TextStream(const Tokenizer& tokenizer, std::vector<std::string> stop_strings);

  // Appends the token; `emit` receives the text that is now safe to show. Returns false when
  // a stop string completed (text before it has been emitted).
  bool push(int32_t token, std::string& emit);
  // End of generation: whatever is still held back.
  std::string finish();
  const std::string& text() const { return shown_; }  // everything emitted so far

 private:
  StreamDecoder decoder_;
  std::vector<std::string> stops_;
  std::string pending_;
  std::string shown_;
  bool stopped_ = false;
};

}  // namespace hearth
