// Normalizer implementations, one small class per tokenizer.json "type".
// Semantics follow huggingface/tokenizers src/normalizers/*.rs. Alignment tracking is
// not kept: the pipeline never maps back to original offsets.
#include "src/tokenizer/normalizer.h"

#include <vector>

#include "src/tokenizer/regex.h"
#include "src/tokenizer/unicode_normalize.h"
#include "src/base/utf8.h"

namespace hearth::tok {
namespace {

using json = nlohmann::json;

class UnicodeNormalizer final : public Normalizer {
 public:
  explicit UnicodeNormalizer(NormalForm f) : form_(f) {}
  void normalize(std::string& text) const override { text = unicode_normalize(text, form_); }

 private:
  NormalForm form_;
};

class LowercaseNormalizer final : public Normalizer {
 public:
  void normalize(std::string& text) const override {
    // ASCII and Latin-1/Greek/Cyrillic basic ranges; full case mapping is not needed by
    // the supported tokenizers.
    std::string out;
    out.reserve(text.size());
    for (size_t i = 0; i < text.size();) {
      char32_t c = utf8_next(text, i);
      if (c < 0x80) {
        if (c >= 'A' && c <= 'Z') c += 32;
      } else if ((c >= 0xC0 && c <= 0xDE && c != 0xD7) || (c >= 0x391 && c <= 0x3AB && c != 0x3A2)) {
        c += 32;
      } else if (c >= 0x410 && c <= 0x42F) {
        c += 32;
      } else if (c >= 0x400 && c <= 0x40F) {
        c += 80;
      }
      utf8_append(out, c);
    }
    text = std::move(out);
  }
};

class StripNormalizer final : public Normalizer {
 public:
  StripNormalizer(bool left, bool right) : left_(left), right_(right) {}
  void normalize(std::string& text) const override {
    std::u32string s = utf8_to_u32(text);
    size_t b = 0, e = s.size();
    if (left_) while (b < e && is_unicode_whitespace(s[b])) ++b;
    if (right_) while (e > b && is_unicode_whitespace(s[e - 1])) --e;
    text = u32_to_utf8(std::u32string_view(s).substr(b, e - b));
  }

 private:
  bool left_, right_;
};

class StripAccentsNormalizer final : public Normalizer {
 public:
  void normalize(std::string& text) const override {
    // Removes combining marks (Mn), as tokenizers does after an NFD normalizer.
    std::string out;
    for (size_t i = 0; i < text.size();) {
      char32_t c = utf8_next(text, i);
      if (combining_class(c) == 0) utf8_append(out, c);
    }
    text = std::move(out);
  }
};

class ReplaceNormalizer final : public Normalizer {
 public:
  ReplaceNormalizer(Regex re, std::string content) : re_(std::move(re)), content_(std::move(content)) {}
  void normalize(std::string& text) const override {
    std::string out;
    size_t last = 0;
    re_.for_each_match(text, [&](size_t b, size_t e) {
      out.append(text, last, b - last);
      out += content_;
      last = e;
    });
    if (last == 0 && out.empty()) return;
    out.append(text, last, std::string::npos);
    text = std::move(out);
  }

 private:
  Regex re_;
  std::string content_;
};

class PrependNormalizer final : public Normalizer {
 public:
  explicit PrependNormalizer(std::string p) : prepend_(std::move(p)) {}
  void normalize(std::string& text) const override {
    if (!text.empty()) text.insert(0, prepend_);
  }

 private:
  std::string prepend_;
};

class SequenceNormalizer final : public Normalizer {
 public:
  explicit SequenceNormalizer(std::vector<std::unique_ptr<Normalizer>> parts)
      : parts_(std::move(parts)) {}
  void normalize(std::string& text) const override {
    for (const auto& p : parts_) p->normalize(text);
  }

 private:
  std::vector<std::unique_ptr<Normalizer>> parts_;
};

}  // namespace

// Pattern of a Replace/Split: {"String": "..."} (literal) or {"Regex": "..."}.
Result<Regex> compile_pattern(const json& pattern) {
  if (pattern.is_object() && pattern.contains("String") && pattern["String"].is_string()) {
    return Regex::compile(regex_escape(pattern["String"].get<std::string>()));
  }
  if (pattern.is_object() && pattern.contains("Regex") && pattern["Regex"].is_string()) {
    return Regex::compile(pattern["Regex"].get<std::string>());
  }
  return Status::errorf("expected pattern {{\"String\": ...}} or {{\"Regex\": ...}}, found {}",
                        pattern.dump());
}

Result<std::unique_ptr<Normalizer>> make_normalizer(const json& j) {
  if (j.is_null()) return std::unique_ptr<Normalizer>();
  const std::string type = j.value("type", "");
  if (type == "NFC") return std::unique_ptr<Normalizer>(new UnicodeNormalizer(NormalForm::kNfc));
  if (type == "NFD") return std::unique_ptr<Normalizer>(new UnicodeNormalizer(NormalForm::kNfd));
  if (type == "NFKC") return std::unique_ptr<Normalizer>(new UnicodeNormalizer(NormalForm::kNfkc));
  if (type == "NFKD") return std::unique_ptr<Normalizer>(new UnicodeNormalizer(NormalForm::kNfkd));
  if (type == "Lowercase") return std::unique_ptr<Normalizer>(new LowercaseNormalizer());
  if (type == "StripAccents") return std::unique_ptr<Normalizer>(new StripAccentsNormalizer());
  if (type == "Strip") {
    return std::unique_ptr<Normalizer>(
        new StripNormalizer(j.value("strip_left", true), j.value("strip_right", true)));
  }
  if (type == "Prepend") {
    return std::unique_ptr<Normalizer>(new PrependNormalizer(j.at("prepend").get<std::string>()));
  }
  if (type == "Replace") {
    auto re = compile_pattern(j.value("pattern", json()));
    if (!re) return re.status().with_context("Replace normalizer");
    return std::unique_ptr<Normalizer>(
        new ReplaceNormalizer(std::move(re.value()), j.at("content").get<std::string>()));
  }
  if (type == "Sequence") {
    std::vector<std::unique_ptr<Normalizer>> parts;
    for (const auto& sub : j.value("normalizers", json::array())) {
      auto n = make_normalizer(sub);
      if (!n) return n.status();
      if (n.value()) parts.push_back(std::move(n.value()));
    }
    return std::unique_ptr<Normalizer>(new SequenceNormalizer(std::move(parts)));
  }
  return Status::errorf("unsupported normalizer type '{}' (supported: NFC, NFD, NFKC, NFKD, "
                        "Lowercase, Strip, StripAccents, Replace, Prepend, Sequence); this "
                        "tokenizer.json needs a newer hearth",
                        type.empty() ? j.dump() : type);
}

}  // namespace hearth::tok
