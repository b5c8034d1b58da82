// Pre-tokenizers of tokenizer.json ("pre_tokenizer" field): Split, ByteLevel, Metaspace,
// Digits, Whitespace, WhitespaceSplit, Punctuation, BertPreTokenizer, Sequence. They cut
// normalized text into the pieces the BPE model encodes one by one.
// Not here: normalization, added tokens, the model.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "src/base/status.h"

namespace hearth::tok {

struct Piece {
  std::string text;
  bool at_start = false;  // starts at offset 0 of the original input (Metaspace "first")
};

class PreTokenizer {
 public:
  virtual ~PreTokenizer() = default;
  // Replaces `pieces` by their sub-pieces (in order, empty pieces dropped).
  virtual void split(std::vector<Piece>& pieces) const = 0;
};

// null JSON gives nullptr (the whole normalized segment is one piece).
Result<std::unique_ptr<PreTokenizer>> make_pre_tokenizer(const nlohmann::json& j);

}  // namespace hearth::tok
