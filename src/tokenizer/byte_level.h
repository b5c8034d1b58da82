// GPT-2 byte-level alphabet (bytes_to_unicode): every byte maps to one printable code
// point so byte strings can live in a text vocabulary ("Ġ" is the space byte).
// Not here: the ByteLevel pre-tokenizer / decoder logic (pre_tokenizer.cpp, decoder.cpp).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace hearth::tok {

// UTF-8 of the code point standing for byte b.
const std::string& byte_to_unicode(uint8_t b);
// Appends the byte-level form of `bytes` to out.
void byte_level_encode(std::string_view bytes, std::string& out);
// Maps code point c back to its byte; false if c is not in the byte-level alphabet.
bool unicode_to_byte(char32_t c, uint8_t& b);

}  // namespace hearth::tok
