// Pre-tokenizer implementations. Semantics follow huggingface/tokenizers
// src/pre_tokenizers/*.rs and NormalizedString::split (SplitDelimiterBehavior).
// Offsets are not tracked (only whether a piece begins the input).
#include "src/tokenizer/pre_tokenizer.h"

#include <algorithm>

#include "src/tokenizer/byte_level.h"
#include "src/tokenizer/normalizer.h"
#include "src/tokenizer/regex.h"

namespace hearth::tok {
namespace {

using json = nlohmann::json;

enum class Behavior { kRemoved, kIsolated, kMergedWithPrevious, kMergedWithNext, kContiguous };

Result<Behavior> parse_behavior(const std::string& s) {
  if (s == "Removed") return Behavior::kRemoved;
  if (s == "Isolated") return Behavior::kIsolated;
  if (s == "MergedWithPrevious") return Behavior::kMergedWithPrevious;
  if (s == "MergedWithNext") return Behavior::kMergedWithNext;
  if (s == "Contiguous") return Behavior::kContiguous;
  return Status::errorf("unsupported split behavior '{}' (expected Removed, Isolated, "
                        "MergedWithPrevious, MergedWithNext or Contiguous)", s);
}

struct Span {
  size_t begin, end;
  bool is_match;
};

// Splits one piece by the matches of `re` (NormalizedString::split).
void split_piece(const Regex& re, Behavior behavior, bool invert, const Piece& piece,
                 std::vector<Piece>& out) {
  const std::string& s = piece.text;
  std::vector<Span> spans;
  size_t prev = 0;
  re.for_each_match(s, [&](size_t b, size_t e) {
    if (prev != b) spans.push_back({prev, b, false});
    spans.push_back({b, e, true});
    prev = e;
  });
  if (prev != s.size()) spans.push_back({prev, s.size(), false});
  if (invert) for (auto& sp : spans) sp.is_match = !sp.is_match;

  std::vector<Span> parts;
  bool previous_match = false;
  switch (behavior) {
    case Behavior::kIsolated:
      parts = spans;
      break;
    case Behavior::kRemoved:
      for (const auto& sp : spans) if (!sp.is_match) parts.push_back(sp);
      break;
    case Behavior::kMergedWithPrevious:
      for (const auto& sp : spans) {
        if (sp.is_match && !previous_match && !parts.empty()) parts.back().end = sp.end;
        else parts.push_back(sp);
        previous_match = sp.is_match;
      }
      break;
    case Behavior::kMergedWithNext:
      for (auto it = spans.rbegin(); it != spans.rend(); ++it) {
        if (it->is_match && !previous_match && !parts.empty()) parts.back().begin = it->begin;
        else parts.push_back(*it);
        previous_match = it->is_match;
      }
      std::reverse(parts.begin(), parts.end());
      break;
    case Behavior::kContiguous:
      for (size_t i = 0; i < spans.size(); ++i) {
        if (i > 0 && spans[i].is_match == previous_match) parts.back().end = spans[i].end;
        else parts.push_back(spans[i]);
        previous_match = spans[i].is_match;
      }
      break;
  }
  for (const auto& p : parts) {
    if (p.end > p.begin) out.push_back({s.substr(p.begin, p.end - p.begin), piece.at_start && p.begin == 0});
  }
}

class SplitPreTokenizer final : public PreTokenizer {
 public:
  SplitPreTokenizer(Regex re, Behavior b, bool invert) : re_(std::move(re)), behavior_(b), invert_(invert) {}
  void split(std::vector<Piece>& pieces) const override {
    std::vector<Piece> out;
    out.reserve(pieces.size() * 2);
    for (const auto& p : pieces) split_piece(re_, behavior_, invert_, p, out);
    pieces = std::move(out);
  }

 private:
  Regex re_;
  Behavior behavior_;
  bool invert_;
};

// The GPT-2 pattern ByteLevel uses when use_regex is true.
constexpr const char* kGpt2Pattern =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";

class ByteLevelPreTokenizer final : public PreTokenizer {
 public:
  ByteLevelPreTokenizer(bool add_prefix_space, std::unique_ptr<Regex> re)
      : add_prefix_space_(add_prefix_space), re_(std::move(re)) {}
  void split(std::vector<Piece>& pieces) const override {
    if (add_prefix_space_) {
      for (auto& p : pieces) if (p.text.empty() || p.text[0] != ' ') p.text = std::string(1, ' ') + p.text;
    }
    if (re_) {
      std::vector<Piece> out;
      for (const auto& p : pieces) split_piece(*re_, Behavior::kIsolated, false, p, out);
      pieces = std::move(out);
    }
    std::string mapped;
    for (auto& p : pieces) {
      mapped.clear();
      byte_level_encode(p.text, mapped);
      p.text.swap(mapped);
    }
  }

 private:
  bool add_prefix_space_;
  std::unique_ptr<Regex> re_;
};

enum class PrependScheme { kAlways, kFirst, kNever };

class MetaspacePreTokenizer final : public PreTokenizer {
 public:
  MetaspacePreTokenizer(std::string replacement, PrependScheme scheme, bool split, Regex re)
      : replacement_(std::move(replacement)), scheme_(scheme), split_(split), re_(std::move(re)) {}
  void split(std::vector<Piece>& pieces) const override {
    for (auto& p : pieces) {
      std::string out;
      for (char c : p.text) {
        if (c == ' ') out += replacement_;
        else out.push_back(c);
      }
      const bool starts = out.compare(0, replacement_.size(), replacement_) == 0;
      if (!starts && (scheme_ == PrependScheme::kAlways || (scheme_ == PrependScheme::kFirst && p.at_start))) {
        out.insert(0, replacement_);
      }
      p.text = std::move(out);
    }
    if (split_) {
      std::vector<Piece> out;
      for (const auto& p : pieces) split_piece(re_, Behavior::kMergedWithNext, false, p, out);
      pieces = std::move(out);
    }
  }

 private:
  std::string replacement_;
  PrependScheme scheme_;
  bool split_;
  Regex re_;
};

class SequencePreTokenizer final : public PreTokenizer {
 public:
  explicit SequencePreTokenizer(std::vector<std::unique_ptr<PreTokenizer>> parts) : parts_(std::move(parts)) {}
  void split(std::vector<Piece>& pieces) const override {
    for (const auto& p : parts_) p->split(pieces);
  }

 private:
  std::vector<std::unique_ptr<PreTokenizer>> parts_;
};

Result<std::unique_ptr<PreTokenizer>> regex_split(const std::string& pattern, Behavior b, bool invert) {
  auto re = Regex::compile(pattern);
  if (!re) return re.status();
  return std::unique_ptr<PreTokenizer>(new SplitPreTokenizer(std::move(re.value()), b, invert));
}

}  // namespace

Result<std::unique_ptr<PreTokenizer>> make_pre_tokenizer(const json& j) {
  if (j.is_null()) return std::unique_ptr<PreTokenizer>();
  const std::string type = j.value("type", "");
  if (type == "Split") {
    auto re = compile_pattern(j.value("pattern", json()));
    if (!re) return re.status().with_context("Split pre-tokenizer");
    auto b = parse_behavior(j.value("behavior", "Isolated"));
    if (!b) return b.status().with_context("Split pre-tokenizer");
    return std::unique_ptr<PreTokenizer>(
        new SplitPreTokenizer(std::move(re.value()), b.value(), j.value("invert", false)));
  }
  if (type == "ByteLevel") {
    std::unique_ptr<Regex> re;
    if (j.value("use_regex", true)) {
      auto r = Regex::compile(kGpt2Pattern);
      if (!r) return r.status();
      re = std::make_unique<Regex>(std::move(r.value()));
    }
    return std::unique_ptr<PreTokenizer>(
        new ByteLevelPreTokenizer(j.value("add_prefix_space", true), std::move(re)));
  }
  if (type == "Metaspace") {
    const std::string replacement = j.value("replacement", "\u2581");
    PrependScheme scheme = j.value("add_prefix_space", true) ? PrependScheme::kAlways : PrependScheme::kNever;
    if (j.contains("prepend_scheme")) {
      const std::string s = j["prepend_scheme"].get<std::string>();
      if (s == "always") scheme = PrependScheme::kAlways;
      else if (s == "first") scheme = PrependScheme::kFirst;
      else if (s == "never") scheme = PrependScheme::kNever;
      else return Status::errorf("Metaspace: unsupported prepend_scheme '{}' (expected always, first or never)", s);
    }
    auto re = Regex::compile(regex_escape(replacement));
    if (!re) return re.status();
    return std::unique_ptr<PreTokenizer>(new MetaspacePreTokenizer(
        replacement, scheme, j.value("split", true), std::move(re.value())));
  }
  if (type == "Digits") {
    return regex_split(j.value("individual_digits", false) ? R"(\p{N})" : R"(\p{N}+)",
                       Behavior::kIsolated, false);
  }
  if (type == "Whitespace") return regex_split(R"(\w+|[^\w\s]+)", Behavior::kRemoved, true);
  if (type == "WhitespaceSplit") return regex_split(R"(\s+)", Behavior::kRemoved, false);
  if (type == "Punctuation") {
    auto b = parse_behavior(j.value("behavior", "Isolated"));
    if (!b) return b.status();
    return regex_split(R"([\p{P}!-/:-@\[-`{-~])", b.value(), false);
  }
  if (type == "BertPreTokenizer") {
    std::vector<std::unique_ptr<PreTokenizer>> parts;
    auto ws = regex_split(R"(\s+)", Behavior::kRemoved, false);
    auto punct = regex_split(R"([\p{P}!-/:-@\[-`{-~])", Behavior::kIsolated, false);
    if (!ws) return ws.status();
    if (!punct) return punct.status();
    parts.push_back(std::move(ws.value()));
    parts.push_back(std::move(punct.value()));
    return std::unique_ptr<PreTokenizer>(new SequencePreTokenizer(std::move(parts)));
  }
  if (type == "Sequence") {
    std::vector<std::unique_ptr<PreTokenizer>> parts;
    for (const auto& sub : j.value("pretokenizers", json::array())) {
      auto p = make_pre_tokenizer(sub);
      if (!p) return p.status();
      if (p.value()) parts.push_back(std::move(p.value()));
    }
    return std::unique_ptr<PreTokenizer>(new SequencePreTokenizer(std::move(parts)));
  }
  return Status::errorf("unsupported pre-tokenizer type '{}' (supported: Split, ByteLevel, "
                        "Metaspace, Digits, Whitespace, WhitespaceSplit, Punctuation, "
                        "BertPreTokenizer, Sequence)",
                        type.empty() ? j.dump() : type);
}

}  // namespace hearth::tok
