#include "src/convert/calibration.h"

#include <algorithm>

#include "src/base/size.h"
#include "src/model/batch.h"
#include "src/model/kv_cache.h"
#include "src/ops/ops.h"

namespace hearth::convert {
namespace {

// Running sum of x^2 per channel and the number of rows seen.
struct Acc {
  std::vector<double> sum;
  int64_t count = 0;
  void add(const float* x, int64_t rows, int64_t d) {
    if (sum.empty()) sum.assign(to_size(d), 0.0);
    if (static_cast<int64_t>(sum.size()) != d) return;  // not a layer we understand
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t i = 0; i < d; ++i) sum[to_size(i)] += double(x[r * d + i]) * x[r * d + i];
    count += rows;
  }
};

// A gated FFN's weight names: "<container><gate>.weight" etc.
struct FfnNames {
  std::string container, gate, up, down;
};

std::vector<FfnNames> expert_patterns(const std::string& p, int64_t e) {
  return {{fmt::format("{}mlp.experts.{}.", p, e), "gate_proj", "up_proj", "down_proj"},
          {fmt::format("{}block_sparse_moe.experts.{}.", p, e), "w1", "w3", "w2"}};
}

std::vector<FfnNames> dense_patterns(const std::string& p) {
  return {{p + "mlp.", "gate_proj", "up_proj", "down_proj"},
          {p + "mlp.shared_expert.", "gate_proj", "up_proj", "down_proj"},
          {p + "mlp.shared_experts.", "gate_proj", "up_proj", "down_proj"}};
}

std::string layer_prefix(int layer) { return fmt::format("model.layers.{}.", layer); }

class CalibrationProbe final : public Probe {
 public:
  explicit CalibrationProbe(const WeightSource& src) : src_(src) {}

  bool wants(std::string_view name, int) const override {
    return name == "attn_in" || name == "attn_o_in" || name == "ffn_in" ||
           name == "router_choice" || name == "lm_head_in";
  }

  void capture(std::string_view name, int layer, std::span<const int64_t> shape,
               std::span<const float> data) override {
    const int64_t rows = shape[0];
    const int64_t d = shape.size() > 1 ? shape[1] : 1;
    const std::string p = layer_prefix(layer);
    if (name == "attn_in") {
      acc_[p + "self_attn.#in"].add(data.data(), rows, d);
    } else if (name == "attn_o_in") {
      acc_[p + "self_attn.#o_in"].add(data.data(), rows, d);
    } else if (name == "lm_head_in") {
      acc_["#lm_head_in"].add(data.data(), rows, d);
    } else if (name == "ffn_in") {
      acc_[p + "#ffn_in"].add(data.data(), rows, d);
      last_ffn_in_.assign(data.begin(), data.end());
      n_embd_ = d;
      for (const FfnNames& f : dense_patterns(p))  // dense MLP and shared experts: every row
        if (src_.has_tensor(f.container + f.gate + ".weight")) add_down_input(f, data.data(), rows, nullptr);
    } else if (name == "router_choice") {
      route(p, shape, data);
    }
  }

  std::map<std::string, Acc>& acc() { return acc_; }

 private:
  // Rows routed to each expert (from the last "ffn_in" of this layer): their own input and
  // down_proj input statistics.
  void route(const std::string& p, std::span<const int64_t> shape, std::span<const float> choice) {
    const int64_t n = shape[0], k = shape[1];
    if (static_cast<int64_t>(last_ffn_in_.size()) != n * n_embd_) return;
    std::map<int64_t, std::vector<float>> rows_of;
    for (int64_t r = 0; r < n; ++r)
      for (int64_t j = 0; j < k; ++j) {
        const auto e = static_cast<int64_t>(choice[to_size((r * k + j) * 2)]);
        auto& v = rows_of[e];
        v.insert(v.end(), last_ffn_in_.begin() + r * n_embd_, last_ffn_in_.begin() + (r + 1) * n_embd_);
      }
    for (auto& [e, x] : rows_of) {
      const int64_t m = static_cast<int64_t>(x.size()) / n_embd_;
      for (const FfnNames& f : expert_patterns(p, e)) {
        if (!src_.has_tensor(f.container + f.gate + ".weight")) continue;
        acc_[f.container + "#in"].add(x.data(), m, n_embd_);
        add_down_input(f, x.data(), m, &acc_[p + "#experts_down"]);
      }
    }
  }

  // h = silu(x Wg^T) * (x Wu^T): the input of down_proj, computed from the float weights.
  void add_down_input(const FfnNames& f, const float* x, int64_t m, Acc* layer_wide) {
    auto gate = src_.tensor(f.container + f.gate + ".weight");
    auto up = src_.tensor(f.container + f.up + ".weight");
    if (!gate || !up || gate->shape.size() != 2 || gate->shape != up->shape || gate->shape[1] != n_embd_) return;
    const int64_t n_ff = gate->shape[0];
    std::vector<float> g(to_size(m * n_ff)), u(g.size());
    ops::matmul(*gate, x, m, g.data());
    ops::matmul(*up, x, m, u.data());
    ops::swiglu(g.data(), u.data(), m * n_ff, g.data());
    acc_[f.container + "#down"].add(g.data(), m, n_ff);
    if (layer_wide) layer_wide->add(g.data(), m, n_ff);
  }

  const WeightSource& src_;
  std::map<std::string, Acc> acc_;
  std::vector<float> last_ffn_in_;
  int64_t n_embd_ = 0;
};

std::vector<double> mean_of(const Acc& a) {
  std::vector<double> m(a.sum.size(), 0.0);
  if (a.count > 0)
    for (size_t i = 0; i < m.size(); ++i) m[i] = a.sum[i] / static_cast<double>(a.count);
  return m;
}

// own blended toward layer by token count (either may be missing).
std::vector<float> blend(const Acc* own, const Acc* layer) {
  std::vector<double> v;
  if (own && layer && own->sum.size() == layer->sum.size()) {
    const std::vector<double> a = mean_of(*own), b = mean_of(*layer);
    const double n = static_cast<double>(own->count);
    v.resize(a.size());
    for (size_t i = 0; i < v.size(); ++i) v[i] = (n * a[i] + kBlendTokens * b[i]) / (n + kBlendTokens);
  } else if (own && own->count > 0) {
    v = mean_of(*own);
  } else if (layer && layer->count > 0) {
    v = mean_of(*layer);
  }
  // A small floor so channels never seen still count a little (the search needs weights > 0
  // somewhere in every group to pick a scale).
  double mean = 0;
  for (double x : v) mean += x;
  mean = v.empty() ? 0 : mean / static_cast<double>(v.size());
  // Normalised to mean 1 (the search is scale invariant; this keeps floats in range).
  std::vector<float> out(v.size());
  for (size_t i = 0; i < v.size(); ++i) out[i] = static_cast<float>(v[i] / (mean + 1e-30) + 1e-3);
  return out;
}

// Which statistics feed tensor `name` (a [n_out][n_in] weight): own and layer-wide keys.
std::pair<std::string, std::string> keys_for(const std::string& name, int64_t n_in, int64_t n_embd) {
  if (name == "lm_head.weight") return {"#lm_head_in", ""};
  const std::string lp = "model.layers.";
  if (name.rfind(lp, 0) != 0) return {"", ""};
  const size_t dot = name.find('.', lp.size());
  if (dot == std::string::npos) return {"", ""};
  const std::string p = name.substr(0, dot + 1);
  const size_t last = name.rfind(".weight");
  if (last == std::string::npos) return {"", ""};
  const size_t part_begin = name.rfind('.', last - 1) + 1;
  const std::string container = name.substr(0, part_begin), part = name.substr(part_begin, last - part_begin);
  const bool is_expert = container.find(".experts.") != std::string::npos;
  const bool is_down = part == "down_proj" || part == "w2";
  const bool is_gate_up = part == "gate_proj" || part == "up_proj" || part == "w1" || part == "w3";
  if (container == p + "self_attn.") {
    if (part == "o_proj") return {p + "self_attn.#o_in", ""};
    return n_in == n_embd ? std::pair{p + "self_attn.#in", std::string()} : std::pair{std::string(), std::string()};
  }
  if (is_expert && is_gate_up) return {container + "#in", p + "#ffn_in"};
  if (is_expert && is_down) return {container + "#down", p + "#experts_down"};
  if (is_down) return {container + "#down", ""};
  if (n_in == n_embd) return {p + "#ffn_in", ""};  // dense / shared gate, up; routers
  return {"", ""};
}

}  // namespace

Result<ActivationStats> collect_activation_stats(
    Model& model, const WeightSource& source, const std::vector<int32_t>& tokens, int64_t ctx,
    const std::function<void(int64_t, int64_t)>& on_progress) {
  if (tokens.size() < 2) return Status::error("calibration text is too short (needs at least 2 tokens)");
  CalibrationProbe probe(source);
  ActivationStats stats;
  const auto n = static_cast<int64_t>(tokens.size());
  std::vector<float> logits;
  for (int64_t begin = 0; begin < n; begin += ctx) {
    const int64_t end = std::min(n, begin + ctx);
    KvCache cache(model.kv_layout());
    const int32_t seq = cache.add_sequence();
    Batch batch;
    for (int64_t i = begin; i < end; ++i)
      batch.add(tokens[to_size(i)], static_cast<int32_t>(i - begin), seq, true);
    HEARTH_TRY(model.forward(batch, cache, logits, &probe).with_context("calibration forward pass"));
    stats.tokens += end - begin;
    ++stats.windows;
    if (on_progress) on_progress(end, n);
  }
  const int64_t n_embd = model.info().n_embd;
  for (const std::string& name : source.tensor_names()) {
    auto t = source.tensor(name);
    if (!t || t->shape.size() != 2) continue;
    const auto [own, layer] = keys_for(name, t->shape[1], n_embd);
    auto find = [&probe](const std::string& key) -> const Acc* {
      auto it = probe.acc().find(key);
      return key.empty() || it == probe.acc().end() ? nullptr : &it->second;
    };
    std::vector<float> imp = blend(find(own), find(layer));
    if (static_cast<int64_t>(imp.size()) == t->shape[1]) stats.importance[name] = std::move(imp);
  }
  return stats;
}

}  // namespace hearth::convert
