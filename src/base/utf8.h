// UTF-8 helpers (the tokenizer and the chat-template interpreter): decode/encode one code point, lossy validation,
// Rust/Python character classes the tokenizer pipeline needs (whitespace, word chars).
// Not a general Unicode library: categories come from PCRE2, normalization from
// unicode_normalize.h.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace hearth {

inline constexpr char32_t kReplacementChar = 0xFFFD;

// Decodes the code point at s[i] and advances i. Invalid bytes decode to U+FFFD and
// advance by one byte.
char32_t utf8_next(std::string_view s, size_t& i);
void utf8_append(std::string& out, char32_t cp);
// Length in bytes of the UTF-8 sequence that starts with byte b (1 for invalid lead bytes).
inline size_t utf8_seq_len(unsigned char b) {
  if (b < 0x80) return 1;
  if ((b & 0xE0) == 0xC0) return 2;
  if ((b & 0xF0) == 0xE0) return 3;
  if ((b & 0xF8) == 0xF0) return 4;
  return 1;
}
bool utf8_valid(std::string_view s);
// Like Rust String::from_utf8_lossy: each maximal invalid subsequence becomes U+FFFD.
std::string utf8_lossy(std::string_view s);
std::u32string utf8_to_u32(std::string_view s);
std::string u32_to_utf8(std::u32string_view s);

// Rust char::is_whitespace (Unicode White_Space property).
bool is_unicode_whitespace(char32_t c);
// Python str.isspace() (White_Space plus the separators \x1c-\x1f).
bool is_python_space(char32_t c);

}  // namespace hearth
