// Tokenizer encode/decode pipeline (huggingface/tokenizers TokenizerImpl::encode_single
// and decode): added tokens on the raw text -> normalizer -> added tokens on the
// normalized text -> pre-tokenizer -> BPE per piece -> post-processor.
// Not here: loading (tokenizer_load.cpp), streaming (stream_decoder.cpp).
#include "src/tokenizer/tokenizer_impl.h"
#include "src/base/utf8.h"

namespace hearth {

Tokenizer::Tokenizer() = default;
Tokenizer::~Tokenizer() = default;
Tokenizer::Tokenizer(Tokenizer&&) noexcept = default;
Tokenizer& Tokenizer::operator=(Tokenizer&&) noexcept = default;

namespace {

void encode_normalized(const Tokenizer::Impl& t, std::string_view text, bool at_start,
                       std::vector<int32_t>& ids) {
  std::vector<tok::Piece> pieces;
  pieces.push_back({std::string(text), at_start});
  if (t.pre_tokenizer) t.pre_tokenizer->split(pieces);
  for (const auto& p : pieces) t.model.encode_word(p.text, ids);
}

}  // namespace

std::vector<int32_t> Tokenizer::encode(std::string_view text, bool add_special_tokens) const {
  const Impl& t = *impl_;
  std::string lossy;
  if (!utf8_valid(text)) {
    lossy = utf8_lossy(text);
    text = lossy;
  }
  std::vector<int32_t> ids;
  ids.reserve(text.size() / 3 + 4);
  std::vector<tok::Segment> segments, sub;
  if (t.raw_matcher.empty()) segments.push_back({0, text.size(), -1});
  else t.raw_matcher.split(text, segments);
  std::string normalized;
  for (const auto& seg : segments) {
    if (seg.id >= 0) {
      ids.push_back(seg.id);
      continue;
    }
    normalized.assign(text.substr(seg.begin, seg.end - seg.begin));
    if (t.normalizer) t.normalizer->normalize(normalized);
    sub.clear();
    if (t.normalized_matcher.empty()) sub.push_back({0, normalized.size(), -1});
    else t.normalized_matcher.split(normalized, sub);
    for (const auto& s : sub) {
      if (s.id >= 0) ids.push_back(s.id);
      else encode_normalized(t, std::string_view(normalized).substr(s.begin, s.end - s.begin),
                             seg.begin == 0 && s.begin == 0, ids);
    }
  }
  if (add_special_tokens) ids = t.post_processor.apply(std::move(ids));
  return ids;
}

std::string Tokenizer::decode(std::span<const int32_t> ids, bool skip_special_tokens) const {
  const Impl& t = *impl_;
  std::vector<std::string> tokens;
  tokens.reserve(ids.size());
  for (int32_t id : ids) {
    if (auto it = t.added_by_id.find(id); it != t.added_by_id.end()) {
      const auto& a = t.added[it->second];
      if (!(skip_special_tokens && a.special)) tokens.push_back(a.content);
      continue;
    }
    if (const std::string* s = t.model.id_to_token(id)) tokens.push_back(*s);
  }
  std::string out;
  if (t.decoder) {
    t.decoder->decode_chain(tokens);
    for (const auto& s : tokens) out += s;
  } else {
    for (size_t k = 0; k < tokens.size(); ++k) {
      if (k) out.push_back(' ');
      out += tokens[k];
    }
  }
  return out;
}

int32_t Tokenizer::vocab_size() const { return impl_->vocab_size; }

std::optional<int32_t> Tokenizer::token_to_id(std::string_view token) const {
  if (auto it = impl_->added_by_content.find(token); it != impl_->added_by_content.end()) return it->second;
  return impl_->model.token_to_id(token);
}

std::string Tokenizer::id_to_token(int32_t id) const {
  if (auto it = impl_->added_by_id.find(id); it != impl_->added_by_id.end()) return impl_->added[it->second].content;
  const std::string* s = impl_->model.id_to_token(id);
  return s ? *s : std::string();
}

bool Tokenizer::is_special(int32_t id) const {
  auto it = impl_->added_by_id.find(id);
  return it != impl_->added_by_id.end() && impl_->added[it->second].special;
}

std::optional<int32_t> Tokenizer::bos_id() const { return impl_->bos_id; }
std::optional<int32_t> Tokenizer::eos_id() const { return impl_->eos_id; }
const std::string& Tokenizer::bos_token() const { return impl_->bos_token; }
const std::string& Tokenizer::eos_token() const { return impl_->eos_token; }
const std::string& Tokenizer::config_json() const { return impl_->config_json; }

}  // namespace hearth
