// Attention capture, head mean, rollout and panel selection (see attention_map.h).
#include "src/inspect/attention_map.h"

#include <algorithm>
#include <charconv>

#include "src/base/size.h"
#include "src/model/batch.h"
#include "src/model/kv_cache.h"
#include "src/tokenizer/tokenizer.h"

namespace hearth {
namespace {

// Copies "attn_probs" [n_rows][n_head][max_ctx] of the current chunk into maps.probs; batch
// row r is the token at position first_pos + r, and key column p is position p.
class AttentionProbe final : public Probe {
 public:
  AttentionProbe(AttentionMaps& maps, std::vector<uint8_t> wanted) : maps_(maps), wanted_(std::move(wanted)) {}
  int64_t first_pos = 0;
  bool seen = false;

  bool wants(std::string_view name, int layer) const override {
    return name == "attn_probs" && layer >= 0 && layer < static_cast<int>(wanted_.size()) &&
           wanted_[to_size(layer)];
  }
  void capture(std::string_view, int layer, std::span<const int64_t> shape, std::span<const float> data) override {
    HEARTH_CHECK(shape.size() == 3, "attn_probs must be [n_rows][n_head][max_ctx]");
    const int64_t rows = shape[0], n_head = shape[1], max_ctx = shape[2];
    const int64_t n = maps_.n_tok();
    auto& heads = maps_.probs[to_size(layer)];
    if (heads.empty()) {
      heads.resize(to_size(n_head));
      for (auto& m : heads) m = SquareMatrix{n, std::vector<float>(to_size(n * n), 0.0f)};
    }
    HEARTH_CHECK(static_cast<int64_t>(heads.size()) == n_head, "head count changed between chunks");
    maps_.n_head = std::max(maps_.n_head, n_head);
    for (int64_t r = 0; r < rows; ++r) {
      const int64_t q = first_pos + r;
      const int64_t keys = std::min(max_ctx, n);
      for (int64_t h = 0; h < n_head; ++h) {
        const float* src = data.data() + (r * n_head + h) * max_ctx;
        std::copy(src, src + keys, heads[to_size(h)].v.begin() + q * n);
      }
    }
    seen = true;
  }

 private:
  AttentionMaps& maps_;
  std::vector<uint8_t> wanted_;
};

Result<int64_t> parse_index(const std::string& text, int64_t count, const char* what) {
  int64_t v = -1;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size())
    return Status::errorf("{} '{}' is not a number (expected 0..{}, or a name listed in --help)", what, text,
                          count - 1);
  if (v < 0 || v >= count)
    return Status::errorf("{} {} does not exist: the model has {} {}s (0..{})", what, v, count, what, count - 1);
  return v;
}

}  // namespace

Result<AttentionMaps> capture_attention(Model& model, const std::vector<int32_t>& ids,
                                        const std::vector<int>& layers, int64_t prefill_batch) {
  if (ids.empty()) return Status::error("cannot show attention for an empty prompt: give some text");
  const ModelInfo& info = model.info();
  const int64_t n_layer = info.n_layer;
  if (info.max_position > 0 && static_cast<int64_t>(ids.size()) > info.max_position)
    return Status::errorf("the prompt is {} tokens, more than the model's context of {}", ids.size(),
                          info.max_position);
  std::vector<uint8_t> wanted(to_size(n_layer), layers.empty() ? 1 : 0);
  for (int l : layers) {
    if (l < 0 || l >= n_layer)
      return Status::errorf("layer {} does not exist: the model has {} layers (0..{})", l, n_layer, n_layer - 1);
    wanted[to_size(l)] = 1;
  }
  AttentionMaps maps;
  maps.token_ids = ids;
  maps.n_layer = n_layer;
  maps.probs.resize(to_size(n_layer));
  AttentionProbe probe(maps, wanted);

  KvCache cache(model.kv_layout());
  const int32_t seq = cache.add_sequence();
  Batch batch;
  std::vector<float> logits;
  const size_t step = to_size(std::max<int64_t>(prefill_batch, 1));
  for (size_t begin = 0; begin < ids.size(); begin += step) {
    const size_t end = std::min(ids.size(), begin + step);
    batch.clear();
    for (size_t i = begin; i < end; ++i) batch.add(ids[i], static_cast<int32_t>(i), seq, i + 1 == ids.size());
    probe.first_pos = static_cast<int64_t>(begin);
    HEARTH_TRY(model.forward(batch, cache, logits, &probe));
  }
  if (!probe.seen)
    return Status::errorf("the {} model did not report attention probabilities (\"attn_probs\")",
                          info.architecture);
  return maps;
}

std::vector<std::string> token_labels(const Tokenizer& tokenizer, const std::vector<int32_t>& ids) {
  std::vector<std::string> out;
  out.reserve(ids.size());
  for (int32_t id : ids) {
    std::string piece = tokenizer.decode(std::span<const int32_t>(&id, 1), /*skip_special_tokens=*/false);
    if (piece.empty()) piece = tokenizer.id_to_token(id);
    std::string label;
    for (char c : piece) {
      if (c == '\n') label += "\\n";
      else if (c == '\t') label += "\\t";
      else if (c == '\r') label += "\\r";
      else if (static_cast<unsigned char>(c) < 0x20) label += '?';
      else label += c;
    }
    out.push_back(std::move(label));
  }
  return out;
}

SquareMatrix head_mean(const AttentionMaps& maps, int64_t layer) {
  HEARTH_CHECK(maps.has_layer(layer));
  const auto& heads = maps.probs[to_size(layer)];
  const int64_t n = maps.n_tok();
  SquareMatrix m{n, std::vector<float>(to_size(n * n), 0.0f)};
  for (const auto& h : heads)
    for (size_t i = 0; i < m.v.size(); ++i) m.v[i] += h.v[i];
  const float inv = 1.0f / static_cast<float>(heads.size());
  for (float& x : m.v) x *= inv;
  return m;
}

Result<SquareMatrix> attention_rollout(const AttentionMaps& maps) {
  for (int64_t l = 0; l < maps.n_layer; ++l)
    if (!maps.has_layer(l)) return Status::errorf("attention rollout needs every layer; layer {} was not captured", l);
  const int64_t n = maps.n_tok();
  const size_t nn = to_size(n * n);
  std::vector<double> r(nn, 0.0), a(nn), next(nn);
  for (int64_t i = 0; i < n; ++i) r[to_size(i * n + i)] = 1.0;
  for (int64_t l = 0; l < maps.n_layer; ++l) {
    const SquareMatrix mean = head_mean(maps, l);
    for (int64_t q = 0; q < n; ++q) {  // A' = row-normalise(A + I)
      double sum = 0;
      for (int64_t k = 0; k < n; ++k) {
        double v = mean.at(q, k) + (q == k ? 1.0 : 0.0);
        a[to_size(q * n + k)] = v;
        sum += v;
      }
      for (int64_t k = 0; k < n; ++k) a[to_size(q * n + k)] /= sum;
    }
    std::fill(next.begin(), next.end(), 0.0);  // R <- A' R (lower triangular: k <= j <= q)
    for (int64_t q = 0; q < n; ++q)
      for (int64_t j = 0; j <= q; ++j) {
        const double w = a[to_size(q * n + j)];
        if (w == 0) continue;
        for (int64_t k = 0; k <= j; ++k) next[to_size(q * n + k)] += w * r[to_size(j * n + k)];
      }
    r.swap(next);
  }
  SquareMatrix out{n, std::vector<float>(nn)};
  for (size_t i = 0; i < nn; ++i) out.v[i] = static_cast<float>(r[i]);
  return out;
}

Result<std::vector<HeatmapPanel>> select_panels(const AttentionMaps& maps, const std::string& layer,
                                                const std::string& head) {
  std::vector<HeatmapPanel> panels;
  if (layer == "rollout") {
    auto r = attention_rollout(maps);
    if (!r) return r.status();
    panels.push_back({"rollout (all layers)", std::move(r.value())});
    return panels;
  }
  std::vector<int64_t> layers;
  if (layer == "all") {
    for (int64_t l = 0; l < maps.n_layer; ++l)
      if (maps.has_layer(l)) layers.push_back(l);
  } else {
    auto l = parse_index(layer, maps.n_layer, "layer");
    if (!l) return l.status();
    if (!maps.has_layer(*l)) return Status::errorf("layer {} was not captured", *l);
    layers.push_back(*l);
  }
  std::vector<int64_t> heads;  // empty = mean
  if (head == "all") {
    for (int64_t h = 0; h < maps.n_head; ++h) heads.push_back(h);
  } else if (head != "mean") {
    auto h = parse_index(head, maps.n_head, "head");
    if (!h) return h.status();
    heads.push_back(*h);
  }
  for (int64_t l : layers) {
    if (heads.empty()) {
      panels.push_back({fmt::format("layer {} mean of {} heads", l, maps.n_head), head_mean(maps, l)});
      continue;
    }
    for (int64_t h : heads)
      panels.push_back({fmt::format("layer {} head {}", l, h), maps.probs[to_size(l)][to_size(h)]});
  }
  return panels;
}

AttentionLayersJson attention_layers_json(const AttentionMaps& maps, const std::string& heads_key,
                                          const MatrixToJson& matrix) {
  AttentionLayersJson out{nlohmann::json::array(), nullptr};
  bool all = true;
  for (int64_t l = 0; l < maps.n_layer; ++l) {
    if (!maps.has_layer(l)) {
      all = false;
      continue;
    }
    nlohmann::json heads = nlohmann::json::array();
    for (const auto& h : maps.probs[to_size(l)]) heads.push_back(matrix(h));
    out.layers.push_back({{"layer", l}, {heads_key, std::move(heads)}});
  }
  if (all) {
    auto r = attention_rollout(maps);
    if (r) out.rollout = matrix(*r);
  }
  return out;
}

nlohmann::json attention_json(const AttentionMaps& maps) {
  const int64_t n = maps.n_tok();
  auto rows = [n](const SquareMatrix& m) {
    nlohmann::json out = nlohmann::json::array();
    for (int64_t q = 0; q < n; ++q) {
      nlohmann::json row = nlohmann::json::array();
      for (int64_t k = 0; k <= q; ++k) row.push_back(m.at(q, k));  // causal: keys 0..q
      out.push_back(std::move(row));
    }
    return out;
  };
  AttentionLayersJson parts = attention_layers_json(maps, "probs", rows);
  nlohmann::json j = {{"format", "hearth.attention"}, {"version", 1},      {"token_ids", maps.token_ids},
                      {"tokens", maps.tokens},         {"n_layer", maps.n_layer}, {"n_head", maps.n_head},
                      {"layers", std::move(parts.layers)}};
  if (!parts.rollout.is_null()) j["rollout"] = std::move(parts.rollout);
  return j;
}

}  // namespace hearth
