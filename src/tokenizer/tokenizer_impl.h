// Internal state of hearth::Tokenizer, shared by tokenizer.cpp (encode/decode) and
// tokenizer_load.cpp (parsing tokenizer.json + tokenizer_config.json).
// Not part of the public API.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "src/tokenizer/added_tokens.h"
#include "src/tokenizer/bpe_model.h"
#include "src/tokenizer/decoder.h"
#include "src/tokenizer/normalizer.h"
#include "src/tokenizer/post_processor.h"
#include "src/tokenizer/pre_tokenizer.h"
#include "src/tokenizer/tokenizer.h"

namespace hearth {

struct Tokenizer::Impl {
  std::unique_ptr<tok::Normalizer> normalizer;       // may be null
  std::unique_ptr<tok::PreTokenizer> pre_tokenizer;  // may be null
  tok::BpeModel model;
  std::vector<tok::AddedToken> added;
  std::unordered_map<int32_t, size_t> added_by_id;  // id -> index in `added`
  tok::TokenMap added_by_content;                  // content -> id
  tok::AddedTokenMatcher raw_matcher;         // tokens with normalized=false, on input text
  tok::AddedTokenMatcher normalized_matcher;  // tokens with normalized=true, on normalized text
  tok::PostProcessor post_processor;
  std::unique_ptr<tok::Decoder> decoder;  // may be null: tokens joined by spaces

  std::string config_json;
  std::string bos_token, eos_token;
  std::optional<int32_t> bos_id, eos_id;
  int32_t vocab_size = 0;
};

}  // namespace hearth
