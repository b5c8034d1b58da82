// BPE encoding of one word, following huggingface/tokenizers src/models/bpe/model.rs
// (merge_word) and word.rs (merge_all): symbols start as characters (or <0xNN> bytes,
// or a fused unk), then the lowest-rank pair is merged first, leftmost on ties, using a
// binary heap over a linked list of symbols (O(n log n) for long words).
#include "src/tokenizer/bpe_model.h"

#include <queue>

#include "src/base/size.h"
#include "src/base/utf8.h"

namespace hearth::tok {

using json = nlohmann::json;

BpeModel::BpeModel(BpeModel&& o) noexcept { *this = std::move(o); }

BpeModel& BpeModel::operator=(BpeModel&& o) noexcept {
  vocab_ = std::move(o.vocab_);
  id_to_token_ = std::move(o.id_to_token_);
  merges_ = std::move(o.merges_);
  unk_id_ = o.unk_id_;
  fuse_unk_ = o.fuse_unk_;
  byte_fallback_ = o.byte_fallback_;
  ignore_merges_ = o.ignore_merges_;
  continuing_subword_prefix_ = std::move(o.continuing_subword_prefix_);
  end_of_word_suffix_ = std::move(o.end_of_word_suffix_);
  std::copy(std::begin(o.byte_ids_), std::end(o.byte_ids_), std::begin(byte_ids_));
  have_all_byte_ids_ = o.have_all_byte_ids_;
  cache_.clear();
  return *this;
}

static std::string opt_string(const json& j, const char* key) {
  auto it = j.find(key);
  return (it != j.end() && it->is_string()) ? it->get<std::string>() : std::string();
}

Result<BpeModel> BpeModel::from_json(const json& model) {
  BpeModel m;
  const json& vocab = model.at("vocab");
  if (!vocab.is_object()) return Status::error("BPE model: expected \"vocab\" to be an object of token -> id");
  m.vocab_.reserve(vocab.size());
  int32_t max_id = -1;
  for (auto it = vocab.begin(); it != vocab.end(); ++it) {
    const int32_t id = it.value().get<int32_t>();
    if (id < 0) return Status::errorf("BPE model: negative id {} for token '{}'", id, it.key());
    m.vocab_.emplace(it.key(), id);
    max_id = std::max(max_id, id);
  }
  m.id_to_token_.assign(to_size(max_id + 1), std::string());
  for (const auto& [tok, id] : m.vocab_) m.id_to_token_[to_size(id)] = tok;

  m.continuing_subword_prefix_ = opt_string(model, "continuing_subword_prefix");
  m.end_of_word_suffix_ = opt_string(model, "end_of_word_suffix");
  m.fuse_unk_ = model.value("fuse_unk", false);
  m.byte_fallback_ = model.value("byte_fallback", false);
  m.ignore_merges_ = model.value("ignore_merges", false);
  if (model.contains("dropout") && model["dropout"].is_number() && model["dropout"].get<double>() > 0) {
    return Status::error("BPE model: dropout is not supported (inference needs deterministic "
                         "tokenization); set \"dropout\": null");
  }
  const std::string unk = opt_string(model, "unk_token");
  if (!unk.empty()) {
    auto it = m.vocab_.find(unk);
    if (it == m.vocab_.end()) return Status::errorf("BPE model: unk_token '{}' is not in the vocabulary", unk);
    m.unk_id_ = it->second;
  }
  m.have_all_byte_ids_ = true;
  for (int b = 0; b < 256; ++b) {
    auto it = m.vocab_.find(fmt::format("<0x{:02X}>", b));
    m.byte_ids_[b] = it == m.vocab_.end() ? -1 : it->second;
    if (it == m.vocab_.end()) m.have_all_byte_ids_ = false;
  }

  const json& merges = model.at("merges");
  if (!merges.is_array()) return Status::error("BPE model: expected \"merges\" to be an array");
  m.merges_.reserve(merges.size());
  const size_t prefix_len = m.continuing_subword_prefix_.size();
  int32_t rank = 0;
  for (const auto& mj : merges) {
    std::string a, b;
    if (mj.is_string()) {
      const std::string s = mj.get<std::string>();
      const size_t sp = s.find(' ');
      if (sp == std::string::npos) return Status::errorf("BPE model: merge '{}' has no space separator", s);
      a = s.substr(0, sp);
      b = s.substr(sp + 1);
    } else if (mj.is_array() && mj.size() == 2) {
      a = mj[0].get<std::string>();
      b = mj[1].get<std::string>();
    } else {
      return Status::errorf("BPE model: expected a merge as \"a b\" or [\"a\", \"b\"], found {}", mj.dump());
    }
    auto ia = m.vocab_.find(a), ib = m.vocab_.find(b);
    std::string merged = a + (b.size() >= prefix_len ? b.substr(prefix_len) : b);
    auto im = m.vocab_.find(merged);
    if (ia == m.vocab_.end() || ib == m.vocab_.end() || im == m.vocab_.end()) {
      return Status::errorf("BPE model: merge #{} ('{}' + '{}') uses a token missing from the vocabulary",
                            rank, a, b);
    }
    const uint64_t key = (static_cast<uint64_t>(static_cast<uint32_t>(ia->second)) << 32) |
                         static_cast<uint32_t>(ib->second);
    m.merges_.emplace(key, Merge{rank, im->second});
    ++rank;
  }
  return m;
}

std::optional<int32_t> BpeModel::token_to_id(std::string_view token) const {
  auto it = vocab_.find(token);
  if (it == vocab_.end()) return std::nullopt;
  return it->second;
}

const std::string* BpeModel::id_to_token(int32_t id) const {
  if (id < 0 || to_size(id) >= id_to_token_.size()) return nullptr;
  const std::string& s = id_to_token_[to_size(id)];
  return s.empty() ? nullptr : &s;
}

void BpeModel::encode_word(std::string_view word, std::vector<int32_t>& out) const {
  if (word.empty()) return;
  if (ignore_merges_) {
    if (auto it = vocab_.find(word); it != vocab_.end()) {
      out.push_back(it->second);
      return;
    }
  }
  const bool cacheable = word.size() <= kCacheMaxWordBytes;
  if (cacheable) {
    std::lock_guard<std::mutex> lock(cache_mutex_);
    if (auto it = cache_.find(word); it != cache_.end()) {
      out.insert(out.end(), it->second.begin(), it->second.end());
      return;
    }
  }
  const size_t first = out.size();
  merge_word(word, out);
  if (cacheable) {
    std::lock_guard<std::mutex> lock(cache_mutex_);
    if (cache_.size() < kCacheCapacity) {
      cache_.emplace(std::string(word), std::vector<int32_t>(out.begin() + static_cast<ptrdiff_t>(first), out.end()));
    }
  }
}

namespace {
struct Symbol {
  int32_t id;
  int32_t prev, next;  // linked list over positions; -1 at the ends
  bool alive;
};
struct QueuedMerge {
  int32_t rank, pos, new_id;
  bool operator<(const QueuedMerge& o) const {  // max-heap: lowest rank, then lowest pos
    return rank != o.rank ? rank > o.rank : pos > o.pos;
  }
};
}  // namespace

void BpeModel::merge_word(std::string_view word, std::vector<int32_t>& out) const {
  std::vector<Symbol> syms;
  syms.reserve(word.size());
  auto add = [&](int32_t id) { syms.push_back({id, static_cast<int32_t>(syms.size()) - 1, -1, true}); };
  int32_t pending_unk = -1;  // unk id waiting to be added (fuse_unk)
  std::string piece;
  for (size_t i = 0; i < word.size();) {
    const size_t start = i;
    utf8_next(word, i);
    const bool is_first = start == 0, is_last = i == word.size();
    piece.assign(word.substr(start, i - start));
    if (!is_first && !continuing_subword_prefix_.empty()) piece.insert(0, continuing_subword_prefix_);
    if (is_last && !end_of_word_suffix_.empty()) piece += end_of_word_suffix_;
    if (auto it = vocab_.find(piece); it != vocab_.end()) {
      if (pending_unk >= 0) add(pending_unk), pending_unk = -1;
      add(it->second);
      continue;
    }
    if (byte_fallback_) {
      bool all = true;
      for (char c : piece) all = all && byte_ids_[static_cast<uint8_t>(c)] >= 0;
      if (all) {
        if (pending_unk >= 0) add(pending_unk), pending_unk = -1;
        for (char c : piece) add(byte_ids_[static_cast<uint8_t>(c)]);
        continue;
      }
    }
    if (unk_id_) {
      if (pending_unk >= 0 && !fuse_unk_) add(pending_unk);
      pending_unk = *unk_id_;
    }
  }
  if (pending_unk >= 0) add(pending_unk);
  const int32_t n = static_cast<int32_t>(syms.size());
  for (int32_t k = 0; k < n; ++k) syms[to_size(k)].next = k + 1 < n ? k + 1 : -1;

  auto lookup = [&](int32_t a, int32_t b) -> const Merge* {
    auto it = merges_.find((static_cast<uint64_t>(static_cast<uint32_t>(a)) << 32) | static_cast<uint32_t>(b));
    return it == merges_.end() ? nullptr : &it->second;
  };
  std::priority_queue<QueuedMerge> queue;
  for (int32_t k = 0; k + 1 < n; ++k) {
    if (const Merge* m = lookup(syms[to_size(k)].id, syms[to_size(k + 1)].id)) {
      queue.push({m->rank, k, m->new_id});
    }
  }
  while (!queue.empty()) {
    const QueuedMerge top = queue.top();
    queue.pop();
    Symbol& cur = syms[to_size(top.pos)];
    if (!cur.alive || cur.next < 0) continue;
    Symbol& right = syms[to_size(cur.next)];
    const Merge* m = lookup(cur.id, right.id);
    if (!m || m->new_id != top.new_id) continue;  // stale entry
    cur.id = top.new_id;
    right.alive = false;
    cur.next = right.next;
    if (right.next >= 0) syms[to_size(right.next)].prev = top.pos;
    if (cur.prev >= 0) {
      if (const Merge* pm = lookup(syms[to_size(cur.prev)].id, cur.id)) {
        queue.push({pm->rank, cur.prev, pm->new_id});
      }
    }
    if (cur.next >= 0) {
      if (const Merge* nm = lookup(cur.id, syms[to_size(cur.next)].id)) {
        queue.push({nm->rank, top.pos, nm->new_id});
      }
    }
  }
  for (const auto& s : syms) if (s.alive) out.push_back(s.id);
}

}  // namespace hearth::tok
