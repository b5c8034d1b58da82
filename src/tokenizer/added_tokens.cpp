// Added-token parsing and matching, following huggingface/tokenizers
// src/tokenizer/added_vocabulary.rs (find_matches): leftmost-longest matches; a
// single_word token must not touch word characters; lstrip / rstrip widen the match over
// neighbouring whitespace.
#include "src/tokenizer/added_tokens.h"

#include <algorithm>

#include "src/base/size.h"
#include "src/base/utf8.h"

namespace hearth::tok {

using json = nlohmann::json;

Result<std::vector<AddedToken>> parse_added_tokens(const json& j) {
  std::vector<AddedToken> out;
  if (j.is_null()) return out;
  if (!j.is_array()) return Status::error("expected \"added_tokens\" to be an array");
  for (const auto& t : j) {
    if (!t.is_object() || !t.contains("id") || !t.contains("content")) {
      return Status::errorf("expected an added token with \"id\" and \"content\", found {}", t.dump());
    }
    AddedToken a;
    a.id = t["id"].get<int32_t>();
    a.content = t["content"].get<std::string>();
    a.special = t.value("special", false);
    a.lstrip = t.value("lstrip", false);
    a.rstrip = t.value("rstrip", false);
    a.normalized = t.value("normalized", !a.special);
    a.single_word = t.value("single_word", false);
    out.push_back(std::move(a));
  }
  return out;
}

void AddedTokenMatcher::build(const std::vector<AddedToken>& tokens, const std::vector<std::string>& patterns) {
  nodes_.assign(1, Node());
  tokens_ = tokens;
  for (size_t k = 0; k < tokens.size(); ++k) {
    const std::string& p = patterns[k];
    if (p.empty()) continue;
    first_byte_[static_cast<uint8_t>(p[0])] = true;
    int32_t node = 0;
    for (char ch : p) {
      const auto b = static_cast<uint8_t>(ch);
      int32_t next = child(node, b);
      if (next < 0) {
        next = static_cast<int32_t>(nodes_.size());
        auto& kids = nodes_[to_size(node)].children;
        kids.insert(std::lower_bound(kids.begin(), kids.end(), std::pair<uint8_t, int32_t>(b, -1)),
                    {b, next});
        nodes_.emplace_back();
      }
      node = next;
    }
    // On duplicates, the first token registered wins.
    if (nodes_[to_size(node)].token < 0) nodes_[to_size(node)].token = static_cast<int32_t>(k);
  }
}

int32_t AddedTokenMatcher::child(int32_t node, uint8_t b) const {
  const auto& kids = nodes_[to_size(node)].children;
  auto it = std::lower_bound(kids.begin(), kids.end(), std::pair<uint8_t, int32_t>(b, -1));
  return (it != kids.end() && it->first == b) ? it->second : -1;
}

int32_t AddedTokenMatcher::longest_at(std::string_view text, size_t pos, size_t& end) const {
  int32_t node = 0, best = -1;
  for (size_t i = pos; i < text.size(); ++i) {
    node = child(node, static_cast<uint8_t>(text[i]));
    if (node < 0) break;
    if (nodes_[to_size(node)].token >= 0) {
      best = nodes_[to_size(node)].token;
      end = i + 1;
    }
  }
  return best;
}

namespace {

// Word character as in the regex crate (\w): alphanumeric or '_' (Unicode-aware for
// the common letter ranges; non-ASCII letters count as word characters).
bool is_word_char(char32_t c) {
  if (c < 0x80) return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
  return !is_unicode_whitespace(c) && !(c >= 0x2000 && c <= 0x206F) && !(c >= 0x3000 && c <= 0x303F) &&
         !(c >= 0xFF00 && c <= 0xFF0F) && c != 0xA0;
}

char32_t last_char(std::string_view s) {
  size_t i = s.size();
  while (i > 0 && (static_cast<uint8_t>(s[i - 1]) & 0xC0) == 0x80) --i;
  if (i > 0) --i;
  size_t j = i;
  return utf8_next(s, j);
}

}  // namespace

void AddedTokenMatcher::split(std::string_view text, std::vector<Segment>& out) const {
  size_t start_offset = 0;
  for (size_t pos = 0; pos < text.size();) {
    if (!first_byte_[static_cast<uint8_t>(text[pos])]) {
      ++pos;
      continue;
    }
    size_t end = 0;
    const int32_t k = longest_at(text, pos, end);
    if (k < 0) {
      ++pos;
      continue;
    }
    const AddedToken& t = tokens_[to_size(k)];
    size_t start = pos, stop = end;
    if (t.single_word) {
      size_t j = stop;
      const bool start_ok = start == 0 || !is_word_char(last_char(text.substr(0, start)));
      const bool stop_ok = stop == text.size() || !is_word_char(utf8_next(text, j));
      if (!start_ok || !stop_ok) {
        pos = end;  // non-overlapping search resumes after the discarded match
        continue;
      }
    }
    if (t.lstrip) {
      while (start > start_offset) {
        size_t b = start - 1;
        while (b > 0 && (static_cast<uint8_t>(text[b]) & 0xC0) == 0x80) --b;
        size_t j = b;
        if (!is_unicode_whitespace(utf8_next(text, j))) break;
        start = b;
      }
    }
    if (t.rstrip) {
      while (stop < text.size()) {
        size_t j = stop;
        if (!is_unicode_whitespace(utf8_next(text, j))) break;
        stop = j;
      }
    }
    if (start_offset < start) out.push_back({start_offset, start, -1});
    out.push_back({start, stop, t.id});
    start_offset = stop;
    pos = stop;
  }
  if (start_offset < text.size()) out.push_back({start_offset, text.size(), -1});
}

}  // namespace hearth::tok
