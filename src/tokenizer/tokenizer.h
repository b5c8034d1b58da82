// Tokenizer built from a Hugging Face tokenizer.json (+ tokenizer_config.json):
// normalizer -> added-token split -> pre-tokenizer -> BPE model -> post-processor, and the
// matching decoder. Not here: chat templates (chat_template.h), streaming (stream_decoder.h).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "src/base/status.h"

namespace hearth {

struct TokenizerFiles {
  std::string tokenizer_json;         // contents of tokenizer.json
  std::string tokenizer_config_json;  // contents of tokenizer_config.json ("" if absent)
};

// Reads the tokenizer files from `path`: a folder holding tokenizer.json (and optionally
// tokenizer_config.json). The one place that knows where tokenizer files live; other
// containers (a .hearth model file) plug in here.
Result<TokenizerFiles> read_tokenizer_files(const std::string& path);

class Tokenizer {
 public:
  Tokenizer();
  ~Tokenizer();
  Tokenizer(Tokenizer&&) noexcept;
  Tokenizer& operator=(Tokenizer&&) noexcept;

  static Result<Tokenizer> from_files(const TokenizerFiles& files);
  // A folder holding tokenizer.json (and optionally tokenizer_config.json).
  static Result<Tokenizer> from_dir(const std::string& dir);

  // add_special_tokens follows transformers (post-processor / add_bos_token).
  std::vector<int32_t> encode(std::string_view text, bool add_special_tokens) const;
  std::string decode(std::span<const int32_t> ids, bool skip_special_tokens) const;

  int32_t vocab_size() const;  // highest id + 1, added tokens included
  std::optional<int32_t> token_to_id(std::string_view token) const;
  std::string id_to_token(int32_t id) const;  // the vocabulary string, "" if unknown
  bool is_special(int32_t id) const;

  std::optional<int32_t> bos_id() const;
  std::optional<int32_t> eos_id() const;  // from tokenizer_config eos_token
  const std::string& bos_token() const;   // "" if none
  const std::string& eos_token() const;
  const std::string& config_json() const;  // tokenizer_config.json as given

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

// Streaming detokenization: feed ids one at a time, get back only complete UTF-8 text
// (never half a character). flush() returns whatever is left at the end of generation.
class StreamDecoder {
 public:
  explicit StreamDecoder(const Tokenizer& tokenizer, bool skip_special_tokens = true);
  std::string push(int32_t id);
  std::string flush();

 private:
  const Tokenizer& tokenizer_;
  bool skip_special_;
  std::vector<int32_t> ids_;
  size_t emitted_bytes_ = 0;
};

}  // namespace hearth
