// Post-processors of tokenizer.json ("post_processor"): TemplateProcessing (single
// sequence), BertProcessing, RobertaProcessing, ByteLevel (no id change), Sequence.
// Only the single-sequence template is applied (encode takes one text). Also builds the
// transformers-style BOS/EOS template for Llama/Gemma tokenizer classes.
// Not here: deciding when to apply it (tokenizer.cpp).
#pragma once

#include <cstdint>
#include <vector>

#include <nlohmann/json.hpp>

#include "src/base/status.h"

namespace hearth::tok {

class PostProcessor {
 public:
  // Parses the JSON (null: nothing added).
  static Result<PostProcessor> from_json(const nlohmann::json& j);
  // "bos? $A eos?" as transformers' LlamaTokenizerFast.update_post_processor builds it.
  static PostProcessor bos_eos(std::vector<int32_t> bos, std::vector<int32_t> eos);

  std::vector<int32_t> apply(std::vector<int32_t> ids) const;

 private:
  // Template items: a run of special ids, or the sequence itself (empty `ids`, is_seq).
  struct Item {
    bool is_sequence = false;
    std::vector<int32_t> ids;
  };
  Status append(const nlohmann::json& j);

  std::vector<Item> items_;  // empty: identity
  bool has_template_ = false;
};

}  // namespace hearth::tok
