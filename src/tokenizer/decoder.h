// Decoders of tokenizer.json ("decoder"): ByteLevel, Replace, ByteFallback, Fuse, Strip,
// Metaspace, WordPiece, BPEDecoder, Sequence. Turn token strings back into text.
// Not here: id -> token lookup or skipping special tokens (tokenizer.cpp).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "src/base/status.h"

namespace hearth::tok {

class Decoder {
 public:
  virtual ~Decoder() = default;
  // Rewrites the token list in place (tokenizers' decode_chain).
  virtual void decode_chain(std::vector<std::string>& tokens) const = 0;
};

// null JSON gives nullptr (tokens are joined with spaces).
Result<std::unique_ptr<Decoder>> make_decoder(const nlohmann::json& j);

// transformers' clean_up_tokenization (" ." -> ".", " n't" -> "n't", ...).
std::string clean_up_tokenization(std::string text);

}  // namespace hearth::tok
