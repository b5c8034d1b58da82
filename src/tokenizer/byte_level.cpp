// bytes_to_unicode from OpenAI GPT-2 encoder.py, as used by HF tokenizers
// (src/pre_tokenizers/byte_level.rs): printable Latin-1 bytes map to themselves, the
// other 68 bytes to U+0100.. in byte order.
#include "src/tokenizer/byte_level.h"

#include <array>

#include "src/base/utf8.h"

namespace hearth::tok {
namespace {

struct Tables {
  std::array<std::string, 256> to_unicode;
  std::array<int16_t, 512> to_byte;  // code point (< 512) -> byte, -1 if none
  Tables() {
    to_byte.fill(-1);
    int n = 0;
    for (int b = 0; b < 256; ++b) {
      const bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE);
      const char32_t cp = printable ? static_cast<char32_t>(b) : static_cast<char32_t>(256 + n++);
      utf8_append(to_unicode[b], cp);
      to_byte[cp] = static_cast<int16_t>(b);
    }
  }
};

const Tables& tables() {
  static const Tables t;
  return t;
}

}  // namespace

const std::string& byte_to_unicode(uint8_t b) { return tables().to_unicode[b]; }

void byte_level_encode(std::string_view bytes, std::string& out) {
  const auto& t = tables().to_unicode;
  for (char c : bytes) out += t[static_cast<uint8_t>(c)];
}

bool unicode_to_byte(char32_t c, uint8_t& b) {
  if (c >= 512) return false;
  const int16_t v = tables().to_byte[c];
  if (v < 0) return false;
  b = static_cast<uint8_t>(v);
  return true;
}

}  // namespace hearth::tok
