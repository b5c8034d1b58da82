// Unicode normalization forms NFC, NFD, NFKC, NFKD (UAX #15) over UTF-8 strings, from a
// generated table (unicode_tables.inc, see gen_unicode_tables.py). No ICU.
// Not here: case mapping, accent stripping (normalizer.cpp builds those on top).
#pragma once

#include <string>
#include <string_view>

namespace hearth::tok {

enum class NormalForm { kNfc, kNfd, kNfkc, kNfkd };

std::string unicode_normalize(std::string_view text, NormalForm form);
// Canonical combining class (0 for starters).
int combining_class(char32_t c);

}  // namespace hearth::tok
