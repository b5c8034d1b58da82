// Normalizers of tokenizer.json ("normalizer" field): NFC, NFD, NFKC, NFKD, Lowercase,
// Strip, StripAccents, Replace, Prepend, Precompiled (unsupported: error), Sequence.
// Not here: added-token handling (added_tokens.h) and pre-tokenization.
#pragma once

#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "src/base/status.h"
#include "src/tokenizer/regex.h"

namespace hearth::tok {

class Normalizer {
 public:
  virtual ~Normalizer() = default;
  virtual void normalize(std::string& text) const = 0;
};

class Regex;
// Pattern of a Replace normalizer / Split pre-tokenizer / Replace decoder:
// {"String": "..."} (a literal) or {"Regex": "..."}.
Result<Regex> compile_pattern(const nlohmann::json& pattern);

// Builds the normalizer from its JSON; null JSON gives nullptr (identity).
Result<std::unique_ptr<Normalizer>> make_normalizer(const nlohmann::json& j);

}  // namespace hearth::tok
