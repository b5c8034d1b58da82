// Decoder implementations, following huggingface/tokenizers src/decoders/*.rs.
// Invalid UTF-8 is replaced the same way: ByteLevel is lossy over the whole byte run,
// ByteFallback gives one U+FFFD per byte of a failed <0xNN> run.
#include "src/tokenizer/decoder.h"

#include "src/tokenizer/byte_level.h"
#include "src/tokenizer/normalizer.h"
#include "src/tokenizer/regex.h"
#include "src/base/utf8.h"

namespace hearth::tok {
namespace {

using json = nlohmann::json;

class ByteLevelDecoder final : public Decoder {
 public:
  void decode_chain(std::vector<std::string>& tokens) const override {
    std::string bytes;
    for (const auto& t : tokens) {
      const size_t mark = bytes.size();
      bool ok = true;
      for (size_t i = 0; i < t.size() && ok;) {
        uint8_t b;
        ok = unicode_to_byte(utf8_next(t, i), b);
        if (ok) bytes.push_back(static_cast<char>(b));
      }
      if (!ok) {
        bytes.resize(mark);
        bytes += t;  // not byte-level text (e.g. an added token): its own UTF-8 bytes
      }
    }
    tokens.assign(1, utf8_lossy(bytes));
  }
};

class ReplaceDecoder final : public Decoder {
 public:
  ReplaceDecoder(Regex re, std::string content) : re_(std::move(re)), content_(std::move(content)) {}
  void decode_chain(std::vector<std::string>& tokens) const override {
    for (auto& t : tokens) {
      std::string out;
      size_t last = 0;
      re_.for_each_match(t, [&](size_t b, size_t e) {
        out.append(t, last, b - last);
        out += content_;
        last = e;
      });
      out.append(t, last, std::string::npos);
      t = std::move(out);
    }
  }

 private:
  Regex re_;
  std::string content_;
};

class ByteFallbackDecoder final : public Decoder {
 public:
  void decode_chain(std::vector<std::string>& tokens) const override {
    std::vector<std::string> out;
    std::string pending;
    auto flush = [&] {
      if (pending.empty()) return;
      if (utf8_valid(pending)) out.push_back(pending);
      else for (size_t k = 0; k < pending.size(); ++k) out.emplace_back("\xEF\xBF\xBD");
      pending.clear();
    };
    for (auto& t : tokens) {
      int byte = -1;
      if (t.size() == 6 && t.compare(0, 3, "<0x") == 0 && t[5] == '>') {
        auto hex = [](char c) -> int {
          if (c >= '0' && c <= '9') return c - '0';
          if (c >= 'A' && c <= 'F') return c - 'A' + 10;
          if (c >= 'a' && c <= 'f') return c - 'a' + 10;
          return -1;
        };
        const int hi = hex(t[3]), lo = hex(t[4]);
        if (hi >= 0 && lo >= 0) byte = hi * 16 + lo;
      }
      if (byte >= 0) {
        pending.push_back(static_cast<char>(byte));
      } else {
        flush();
        out.push_back(std::move(t));
      }
    }
    flush();
    tokens = std::move(out);
  }
};

class FuseDecoder final : public Decoder {
 public:
  void decode_chain(std::vector<std::string>& tokens) const override {
    std::string all;
    for (const auto& t : tokens) all += t;
    tokens.assign(1, std::move(all));
  }
};

class StripDecoder final : public Decoder {
 public:
  StripDecoder(std::string content, size_t start, size_t stop)
      : content_(std::move(content)), start_(start), stop_(stop) {}
  void decode_chain(std::vector<std::string>& tokens) const override {
    // Removes up to start_ leading and stop_ trailing `content` characters of each token.
    for (auto& t : tokens) {
      size_t b = 0, e = t.size();
      for (size_t k = 0; k < start_ && t.compare(b, content_.size(), content_) == 0 && b < e; ++k) {
        b += content_.size();
      }
      for (size_t k = 0; k < stop_ && e >= b + content_.size() &&
                         t.compare(e - content_.size(), content_.size(), content_) == 0; ++k) {
        e -= content_.size();
      }
      t = t.substr(b, e - b);
    }
  }

 private:
  std::string content_;
  size_t start_, stop_;
};

class MetaspaceDecoder final : public Decoder {
 public:
  MetaspaceDecoder(std::string replacement, bool strip_first) : replacement_(std::move(replacement)), strip_first_(strip_first) {}
  void decode_chain(std::vector<std::string>& tokens) const override {
    for (size_t i = 0; i < tokens.size(); ++i) {
      std::string out;
      const std::string& t = tokens[i];
      for (size_t p = 0; p < t.size();) {
        if (t.compare(p, replacement_.size(), replacement_) == 0) {
          out.push_back(' ');
          p += replacement_.size();
        } else {
          out.push_back(t[p++]);
        }
      }
      if (i == 0 && strip_first_ && !out.empty() && out[0] == ' ') out.erase(0, 1);
      tokens[i] = std::move(out);
    }
  }

 private:
  std::string replacement_;
  bool strip_first_;
};

class WordPieceDecoder final : public Decoder {
 public:
  WordPieceDecoder(std::string prefix, bool cleanup) : prefix_(std::move(prefix)), cleanup_(cleanup) {}
  void decode_chain(std::vector<std::string>& tokens) const override {
    for (size_t i = 0; i < tokens.size(); ++i) {
      std::string& t = tokens[i];
      if (i != 0) {
        if (t.compare(0, prefix_.size(), prefix_) == 0) t.erase(0, prefix_.size());
        else t = std::string(1, ' ') + t;
      }
      if (cleanup_) t = clean_up_tokenization(t);
    }
  }

 private:
  std::string prefix_;
  bool cleanup_;
};

class BpeSuffixDecoder final : public Decoder {
 public:
  explicit BpeSuffixDecoder(std::string suffix) : suffix_(std::move(suffix)) {}
  void decode_chain(std::vector<std::string>& tokens) const override {
    for (size_t i = 0; i < tokens.size(); ++i) {
      std::string& t = tokens[i];
      if (suffix_.empty()) continue;
      const std::string with = i + 1 == tokens.size() ? std::string() : std::string(1, ' ');
      std::string out;
      size_t last = 0, pos;
      while ((pos = t.find(suffix_, last)) != std::string::npos) {
        out.append(t, last, pos - last);
        out += with;
        last = pos + suffix_.size();
      }
      out.append(t, last, std::string::npos);
      t = std::move(out);
    }
  }

 private:
  std::string suffix_;
};

class SequenceDecoder final : public Decoder {
 public:
  explicit SequenceDecoder(std::vector<std::unique_ptr<Decoder>> parts) : parts_(std::move(parts)) {}
  void decode_chain(std::vector<std::string>& tokens) const override {
    for (const auto& p : parts_) p->decode_chain(tokens);
  }

 private:
  std::vector<std::unique_ptr<Decoder>> parts_;
};

}  // namespace

Result<std::unique_ptr<Decoder>> make_decoder(const json& j) {
  if (j.is_null()) return std::unique_ptr<Decoder>();
  const std::string type = j.value("type", "");
  if (type == "ByteLevel") return std::unique_ptr<Decoder>(new ByteLevelDecoder());
  if (type == "ByteFallback") return std::unique_ptr<Decoder>(new ByteFallbackDecoder());
  if (type == "Fuse") return std::unique_ptr<Decoder>(new FuseDecoder());
  if (type == "Replace") {
    auto re = compile_pattern(j.value("pattern", json()));
    if (!re) return re.status().with_context("Replace decoder");
    return std::unique_ptr<Decoder>(new ReplaceDecoder(std::move(re.value()), j.at("content").get<std::string>()));
  }
  if (type == "Strip") {
    return std::unique_ptr<Decoder>(new StripDecoder(j.value("content", " "), j.value("start", size_t{0}),
                                                     j.value("stop", size_t{0})));
  }
  if (type == "Metaspace") {
    bool strip = j.value("add_prefix_space", true);
    if (j.contains("prepend_scheme")) strip = j["prepend_scheme"].get<std::string>() != "never";
    return std::unique_ptr<Decoder>(new MetaspaceDecoder(j.value("replacement", "\u2581"), strip));
  }
  if (type == "WordPiece") {
    return std::unique_ptr<Decoder>(new WordPieceDecoder(j.value("prefix", "##"), j.value("cleanup", true)));
  }
  if (type == "BPEDecoder") return std::unique_ptr<Decoder>(new BpeSuffixDecoder(j.value("suffix", "</w>")));
  if (type == "Sequence") {
    std::vector<std::unique_ptr<Decoder>> parts;
    for (const auto& sub : j.value("decoders", json::array())) {
      auto d = make_decoder(sub);
      if (!d) return d.status();
      if (d.value()) parts.push_back(std::move(d.value()));
    }
    return std::unique_ptr<Decoder>(new SequenceDecoder(std::move(parts)));
  }
  return Status::errorf("unsupported decoder type '{}' (supported: ByteLevel, Replace, ByteFallback, "
                        "Fuse, Strip, Metaspace, WordPiece, BPEDecoder, Sequence)",
                        type.empty() ? j.dump() : type);
}

std::string clean_up_tokenization(std::string text) {
  static const std::pair<const char*, const char*> kRules[] = {
      {" .", "."},   {" ?", "?"},   {" !", "!"},   {" ,", ","},   {" ' ", "'"},
      {" n't", "n't"}, {" 'm", "'m"}, {" 's", "'s"}, {" 've", "'ve"}, {" 're", "'re"}};
  for (const auto& [from, to] : kRules) {
    const std::string f(from), t(to);
    std::string out;
    size_t last = 0, pos;
    while ((pos = text.find(f, last)) != std::string::npos) {
      out.append(text, last, pos - last);
      out += t;
      last = pos + f.size();
    }
    out.append(text, last, std::string::npos);
    text = std::move(out);
  }
  return text;
}

}  // namespace hearth::tok
