// A compiled PCRE2 pattern (UTF + UCP, JIT when available) used by the Split
// pre-tokenizer, the Replace normalizer/decoder and the added-token word checks.
// Not std::regex (no Unicode classes, slow); not a general regex API: only
// "find every match" is offered.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "src/base/status.h"

namespace hearth::tok {

class Regex {
 public:
  Regex();
  ~Regex();
  Regex(Regex&&) noexcept;
  Regex& operator=(Regex&&) noexcept;

  // Compiles `pattern` (Oniguruma/PCRE syntax as found in tokenizer.json).
  static Result<Regex> compile(const std::string& pattern);

  // Calls on_match(start, end) for every non-overlapping match, left to right. Empty
  // matches are skipped (HF tokenizers never produce splits from them).
  template <typename F>
  void for_each_match(std::string_view text, F&& on_match) const {
    size_t pos = 0;
    std::pair<size_t, size_t> m;
    while (pos <= text.size() && find(text, pos, m)) {
      if (m.second == m.first) {
        pos = m.second + 1;
        while (pos < text.size() && (static_cast<unsigned char>(text[pos]) & 0xC0) == 0x80) ++pos;
        continue;
      }
      on_match(m.first, m.second);
      pos = m.second;
    }
  }
  // First match starting at or after `pos`; false if none.
  bool find(std::string_view text, size_t pos, std::pair<size_t, size_t>& match) const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

// Escapes a literal string for use inside a pattern.
std::string regex_escape(std::string_view literal);

}  // namespace hearth::tok
