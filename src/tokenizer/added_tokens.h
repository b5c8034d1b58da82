// Added tokens of tokenizer.json ("added_tokens"): special and non-special tokens matched
// in the text before the model runs (leftmost-longest, as tokenizers' aho-corasick with
// MatchKind::LeftmostLongest), honouring lstrip, rstrip, single_word and normalized.
// Not here: the BPE vocabulary or the post-processor's special tokens.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "src/base/status.h"

namespace hearth::tok {

struct AddedToken {
  std::string content;
  int32_t id = -1;
  bool special = false;
  bool lstrip = false;
  bool rstrip = false;
  bool normalized = false;
  bool single_word = false;
};

Result<std::vector<AddedToken>> parse_added_tokens(const nlohmann::json& j);

// One split of a text: either an added token (id >= 0) or plain text [begin, end).
struct Segment {
  size_t begin, end;
  int32_t id;  // -1 for plain text
};

// Matches a fixed set of added-token strings (a byte trie).
class AddedTokenMatcher {
 public:
  // `patterns[k]` is the string to match for tokens[k] (its content, or its normalized form).
  void build(const std::vector<AddedToken>& tokens, const std::vector<std::string>& patterns);
  bool empty() const { return tokens_.empty(); }
  // Splits `text` into plain and added-token segments (tokenizers' find_matches).
  void split(std::string_view text, std::vector<Segment>& out) const;

 private:
  struct Node {
    std::vector<std::pair<uint8_t, int32_t>> children;  // sorted by byte
    int32_t token = -1;                                   // index into tokens_
  };
  int32_t child(int32_t node, uint8_t b) const;
  // Longest token starting at `pos`; returns token index or -1, sets `end`.
  int32_t longest_at(std::string_view text, size_t pos, size_t& end) const;

  std::vector<Node> nodes_;
  std::vector<AddedToken> tokens_;
  bool first_byte_[256] = {};
};

}  // namespace hearth::tok
