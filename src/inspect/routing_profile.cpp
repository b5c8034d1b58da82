// Routing profile collection (see routing_profile.h). Statistics are accumulated online while
// the windows run, so memory does not grow with the text (the trace aside).
#include "src/inspect/routing_profile.h"

#include <algorithm>
#include <limits>
#include <map>

#include "src/base/size.h"
#include "src/model/batch.h"
#include "src/model/kv_cache.h"

namespace hearth {
namespace {

constexpr int64_t reuse_bin_upper(int b) { return int64_t{1} << b; }

struct LayerState {
  LayerRouting r;
  std::vector<int64_t> last_seen;                 // [n_expert] global token index, -1 = never
  std::vector<std::vector<uint8_t>> block_seen;   // [coverage N][n_expert]
  std::vector<int64_t> block_distinct;            // [coverage N]

  void grow(int64_t n_expert) {
    if (n_expert <= r.n_expert) return;
    r.n_expert = n_expert;
    r.count.resize(to_size(n_expert), 0);
    r.weight_sum.resize(to_size(n_expert), 0.0);
    last_seen.resize(to_size(n_expert), -1);
    for (auto& b : block_seen) b.resize(to_size(n_expert), 0);
  }
};

class RoutingProbe final : public Probe {
 public:
  RoutingProbe(const RoutingProfileOptions& o, RoutingProfile& p) : opt_(o), profile_(p) {}
  int64_t first_token = 0;  // global index of batch row 0
  int64_t window = 0, first_pos = 0;
  const std::vector<int32_t>* ids = nullptr;
  std::map<int, LayerState> layers;

  bool wants(std::string_view name, int) const override {
    return name == "router_choice" || name == "router_logits";
  }

  void capture(std::string_view name, int layer, std::span<const int64_t> shape, std::span<const float> data) override {
    LayerState& st = state(layer);
    if (name == "router_logits") {
      st.grow(shape[1]);
      return;
    }
    const int64_t rows = shape[0], k = shape[1];
    st.r.experts_per_token = k;
    for (int64_t row = 0; row < rows; ++row) {
      const int64_t t = first_token + row;
      const float* c = data.data() + row * k * 2;
      for (int64_t j = 0; j < k; ++j) st.grow(static_cast<int64_t>(c[2 * j]) + 1);
      for (size_t n = 0; n < opt_.coverage_tokens.size(); ++n)
        if (t % opt_.coverage_tokens[n] == 0) {
          std::fill(st.block_seen[n].begin(), st.block_seen[n].end(), 0);
          st.block_distinct[n] = 0;
        }
      for (int64_t j = 0; j < k; ++j) {
        const auto e = static_cast<size_t>(c[2 * j]);
        const float w = c[2 * j + 1];
        ++st.r.count[e];
        st.r.weight_sum[e] += w;
        if (st.last_seen[e] < 0) {
          ++st.r.first_use;
        } else {
          const int64_t d = t - st.last_seen[e];
          int b = 0;
          while (b < kReuseBins && d > reuse_bin_upper(b)) ++b;
          if (b < kReuseBins) ++st.r.reuse_counts[to_size(b)];
          else ++st.r.reuse_overflow;
        }
        st.last_seen[e] = t;
        for (size_t n = 0; n < opt_.coverage_tokens.size(); ++n)
          if (!st.block_seen[n][e]) st.block_seen[n][e] = 1, ++st.block_distinct[n];
      }
      for (size_t n = 0; n < opt_.coverage_tokens.size(); ++n)
        if ((t + 1) % opt_.coverage_tokens[n] == 0) {
          st.r.coverage_sum[n] += static_cast<double>(st.block_distinct[n]);
          ++st.r.coverage_blocks[n];
        }
      ++st.r.tokens;
      if (opt_.trace) record_trace(layer, t, c, k);
    }
  }

 private:
  LayerState& state(int layer) {
    auto it = layers.find(layer);
    if (it != layers.end()) return it->second;
    LayerState& st = layers[layer];
    const size_t n_cov = opt_.coverage_tokens.size();
    st.r.layer = layer;
    st.r.coverage_sum.assign(n_cov, 0.0);
    st.r.coverage_blocks.assign(n_cov, 0);
    st.r.reuse_counts.assign(kReuseBins, 0);
    st.block_seen.assign(n_cov, {});
    st.block_distinct.assign(n_cov, 0);
    return st;
  }

  void record_trace(int layer, int64_t t, const float* c, int64_t k) {
    auto& trace = profile_.trace;
    if (static_cast<int64_t>(trace.size()) <= t) trace.resize(to_size(t + 1));
    RoutingTraceEntry& e = trace[to_size(t)];
    e.window = window;
    e.position = first_pos + (t - first_token);
    e.token = (*ids)[to_size(t)];
    // Layers arrive in order within a forward call; index by MoE-layer rank.
    const size_t rank = static_cast<size_t>(std::distance(layers.begin(), layers.find(layer)));
    if (e.experts.size() <= rank) e.experts.resize(rank + 1), e.weights.resize(rank + 1);
    e.experts[rank].clear();
    e.weights[rank].clear();
    for (int64_t j = 0; j < k; ++j) {
      e.experts[rank].push_back(static_cast<int32_t>(c[2 * j]));
      e.weights[rank].push_back(c[2 * j + 1]);
    }
  }

  const RoutingProfileOptions& opt_;
  RoutingProfile& profile_;
};

}  // namespace

Result<RoutingProfile> profile_routing(Model& model, const std::vector<int32_t>& ids,
                                       const RoutingProfileOptions& options,
                                       const std::function<void(int64_t, int64_t)>& progress) {
  if (ids.empty()) return Status::error("no tokens to profile: the text is empty");
  if (options.ctx <= 0) return Status::errorf("--ctx must be positive, got {}", options.ctx);
  const int64_t max_pos = model.info().max_position;
  if (max_pos > 0 && options.ctx > max_pos)
    return Status::errorf("--ctx {} is longer than the model's context of {} tokens", options.ctx, max_pos);
  for (int64_t n : options.coverage_tokens)
    if (n <= 0) return Status::errorf("coverage block sizes must be positive, got {}", n);

  RoutingProfile profile;
  profile.architecture = model.info().architecture;
  profile.n_layer = model.info().n_layer;
  profile.tokens = static_cast<int64_t>(ids.size());
  profile.ctx = options.ctx;
  profile.coverage_tokens = options.coverage_tokens;
  RoutingProbe probe(options, profile);
  probe.ids = &ids;

  KvCache cache(model.kv_layout());
  const int32_t seq = cache.add_sequence();
  Batch batch;
  std::vector<float> logits;
  const int64_t n = profile.tokens;
  const int64_t n_windows = (n + options.ctx - 1) / options.ctx;
  const int64_t step = std::max<int64_t>(options.prefill_batch, 1);
  for (int64_t w = 0; w < n_windows; ++w) {
    cache.truncate(seq, 0);
    const int64_t begin = w * options.ctx, end = std::min(n, begin + options.ctx);
    for (int64_t c = begin; c < end; c += step) {
      const int64_t c_end = std::min(end, c + step);
      batch.clear();
      for (int64_t i = c; i < c_end; ++i)
        batch.add(ids[to_size(i)], static_cast<int32_t>(i - begin), seq, i + 1 == c_end);
      probe.first_token = c;
      probe.window = w;
      probe.first_pos = c - begin;
      HEARTH_TRY(model.forward(batch, cache, logits, &probe));
    }
    if (progress) progress(w + 1, n_windows);
  }
  profile.windows = n_windows;
  if (probe.layers.empty())
    return Status::errorf("the {} model has no Mixture-of-Experts layers to profile", profile.architecture);
  for (auto& [layer, st] : probe.layers) profile.layers.push_back(std::move(st.r));
  return profile;
}

nlohmann::json routing_profile_json(const RoutingProfile& p, const std::string& model_name,
                                    const std::vector<std::string>& pieces) {
  nlohmann::json layers = nlohmann::json::array(), coverage = nlohmann::json::array(),
                 reuse = nlohmann::json::array();
  std::vector<double> cov_all(p.coverage_tokens.size(), 0.0);
  std::vector<int64_t> cov_layers(p.coverage_tokens.size(), 0);
  for (const LayerRouting& l : p.layers) {
    std::vector<double> mean(to_size(l.n_expert)), share(to_size(l.n_expert));
    const double slots = static_cast<double>(l.tokens * l.experts_per_token);
    for (size_t e = 0; e < mean.size(); ++e) {
      mean[e] = l.count[e] ? l.weight_sum[e] / static_cast<double>(l.count[e]) : 0.0;
      share[e] = slots > 0 ? static_cast<double>(l.count[e]) / slots : 0.0;
    }
    layers.push_back({{"layer", l.layer}, {"n_expert", l.n_expert}, {"experts_per_token", l.experts_per_token},
                      {"tokens", l.tokens}, {"count", l.count}, {"share", share}, {"weight_sum", l.weight_sum},
                      {"weight_mean", mean}});
    nlohmann::json distinct = nlohmann::json::array();
    for (size_t i = 0; i < p.coverage_tokens.size(); ++i) {
      if (l.coverage_blocks[i] == 0) {
        distinct.push_back(nullptr);
        continue;
      }
      const double d = l.coverage_sum[i] / static_cast<double>(l.coverage_blocks[i]);
      distinct.push_back(d);
      cov_all[i] += d;
      ++cov_layers[i];
    }
    coverage.push_back({{"layer", l.layer}, {"mean_distinct", distinct}, {"blocks", l.coverage_blocks}});
    reuse.push_back({{"layer", l.layer}, {"counts", l.reuse_counts}, {"overflow", l.reuse_overflow},
                     {"first_use", l.first_use}});
  }
  nlohmann::json cov_mean = nlohmann::json::array();
  for (size_t i = 0; i < cov_all.size(); ++i)
    cov_mean.push_back(cov_layers[i] ? nlohmann::json(cov_all[i] / static_cast<double>(cov_layers[i])) : nlohmann::json());
  std::vector<int64_t> bounds;
  for (int b = 0; b < kReuseBins; ++b) bounds.push_back(reuse_bin_upper(b));

  nlohmann::json j = {
      {"format", "hearth.routing_profile"},
      {"version", kRoutingProfileVersion},
      {"model", {{"name", model_name}, {"architecture", p.architecture}, {"n_layer", p.n_layer}}},
      {"input", {{"tokens", p.tokens}, {"ctx", p.ctx}, {"windows", p.windows}}},
      {"layers", std::move(layers)},
      {"coverage", {{"block_tokens", p.coverage_tokens}, {"mean_distinct_all_layers", cov_mean},
                    {"layers", std::move(coverage)}}},
      {"reuse_distance", {{"bin_upper", bounds}, {"layers", std::move(reuse)}}},
  };
  if (!p.trace.empty()) {
    nlohmann::json trace = nlohmann::json::array();
    for (size_t t = 0; t < p.trace.size(); ++t) {
      const RoutingTraceEntry& e = p.trace[t];
      nlohmann::json entry = {{"index", t}, {"window", e.window}, {"position", e.position}, {"token", e.token},
                              {"experts", e.experts}, {"weights", e.weights}};
      if (t < pieces.size()) entry["piece"] = pieces[t];
      trace.push_back(std::move(entry));
    }
    j["trace"] = std::move(trace);
  }
  return j;
}

std::vector<Heatmap> routing_heatmaps(const RoutingProfile& p) {
  int64_t n_expert = 0;
  for (const auto& l : p.layers) n_expert = std::max(n_expert, l.n_expert);
  const int64_t rows = static_cast<int64_t>(p.layers.size());
  Heatmap share{"expert share of selections (layers x experts)", rows, n_expert, {}, {}, {}};
  Heatmap weight{"mean gate weight when selected", rows, n_expert, {}, {}, {}};
  share.values.assign(to_size(rows * n_expert), std::numeric_limits<float>::quiet_NaN());
  weight.values = share.values;
  for (int64_t e = 0; e < n_expert; ++e) share.col_labels.push_back(fmt::format("e{}", e));
  for (int64_t r = 0; r < rows; ++r) {
    const LayerRouting& l = p.layers[to_size(r)];
    share.row_labels.push_back(fmt::format("L{}", l.layer));
    const double slots = static_cast<double>(l.tokens * l.experts_per_token);
    for (int64_t e = 0; e < l.n_expert; ++e) {
      const size_t i = to_size(r * n_expert + e), ei = to_size(e);
      share.values[i] = slots > 0 ? static_cast<float>(static_cast<double>(l.count[ei]) / slots) : 0.0f;
      weight.values[i] = l.count[ei] ? static_cast<float>(l.weight_sum[ei] / static_cast<double>(l.count[ei])) : 0.0f;
    }
  }
  weight.row_labels = share.row_labels;
  weight.col_labels = share.col_labels;
  return {share, weight};
}

}  // namespace hearth
