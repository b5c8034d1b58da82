// StreamDecoder: incremental detokenization (like tokenizers' DecodeStream). It decodes
// a short window of recent ids and emits only the new suffix once it no longer ends in
// U+FFFD (an incomplete UTF-8 sequence). Keeping a prefix of already-emitted ids makes
// context-dependent decoders (Strip, Metaspace's first-token space) behave as in a full
// decode. Not here: the decoders themselves.
#include "src/tokenizer/tokenizer.h"

namespace hearth {

namespace {
constexpr size_t kMaxWindow = 16;  // ids kept before trimming the window
constexpr size_t kKeepIds = 4;     // ids kept as prefix context after trimming
constexpr std::string_view kFffd = "\xEF\xBF\xBD";

bool ends_with_fffd(const std::string& s) {
  return s.size() >= 3 && std::string_view(s).substr(s.size() - 3) == kFffd;
}
}  // namespace

StreamDecoder::StreamDecoder(const Tokenizer& tokenizer, bool skip_special_tokens)
    : tokenizer_(tokenizer), skip_special_(skip_special_tokens) {}

std::string StreamDecoder::push(int32_t id) {
  ids_.push_back(id);
  const std::string text = tokenizer_.decode(ids_, skip_special_);
  if (ends_with_fffd(text) || text.size() < emitted_bytes_) return "";
  std::string out = text.substr(emitted_bytes_);
  emitted_bytes_ = text.size();
  if (ids_.size() > kMaxWindow) {
    ids_.erase(ids_.begin(), ids_.end() - static_cast<ptrdiff_t>(kKeepIds));
    emitted_bytes_ = tokenizer_.decode(ids_, skip_special_).size();
  }
  return out;
}

std::string StreamDecoder::flush() {
  const std::string text = tokenizer_.decode(ids_, skip_special_);
  std::string out = text.size() > emitted_bytes_ ? text.substr(emitted_bytes_) : std::string();
  ids_.clear();
  emitted_bytes_ = 0;
  return out;
}

}  // namespace hearth
