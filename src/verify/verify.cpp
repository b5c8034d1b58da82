#include "src/verify/verify.h"

#include <algorithm>
#include <cmath>
#include <map>

#include <fmt/format.h>

#include "src/base/size.h"
#include "src/model/batch.h"
#include "src/model/kv_cache.h"

namespace hearth::verify {
namespace {

// Captures (reference run) or compares against (model run) the residual stream per layer.
class HiddenProbe final : public Probe {
 public:
  bool wants(std::string_view name, int) const override { return name == "hidden"; }
  void capture(std::string_view, int layer, std::span<const int64_t> shape,
               std::span<const float> data) override {
    if (recording) {
      saved[layer].assign(data.begin(), data.end());
      return;
    }
    const auto it = saved.find(layer);
    if (it == saved.end() || it->second.size() != data.size()) return;
    const int64_t n = shape[0], d = shape[1];
    auto& s = stats[layer];
    for (int64_t r = 0; r < n; ++r) {
      double ab = 0, aa = 0, bb = 0;
      for (int64_t i = 0; i < d; ++i) {
        const double a = it->second[to_size(r * d + i)], b = data[to_size(r * d + i)];
        ab += a * b;
        aa += a * a;
        bb += b * b;
      }
      const double cos = aa > 0 && bb > 0 ? ab / std::sqrt(aa * bb) : 1.0;
      s.sum += cos;
      s.min = std::min(s.min, cos);
      ++s.count;
    }
  }
  struct Stat {
    double sum = 0, min = 1;
    int64_t count = 0;
  };
  bool recording = true;
  std::map<int, std::vector<float>> saved;
  std::map<int, Stat> stats;
};

// log-softmax in double.
void log_softmax(const float* x, int64_t n, std::vector<double>& out) {
  out.resize(to_size(n));
  double mx = x[0];
  for (int64_t i = 1; i < n; ++i) mx = std::max(mx, double(x[i]));
  double sum = 0;
  for (int64_t i = 0; i < n; ++i) sum += std::exp(double(x[i]) - mx);
  const double lse = mx + std::log(sum);
  for (int64_t i = 0; i < n; ++i) out[to_size(i)] = double(x[i]) - lse;
}

Status run_window(Model& m, KvPrecision kv, const std::vector<int32_t>& ids, Probe* probe,
                  std::vector<float>& logits) {
  KvCache cache(m.kv_layout(), kv);
  const int32_t seq = cache.add_sequence();
  Batch batch;
  for (size_t i = 0; i < ids.size(); ++i) batch.add(ids[i], static_cast<int32_t>(i), seq, true);
  return m.forward(batch, cache, logits, probe);
}

double quantile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  const size_t k = std::min(v.size() - 1, static_cast<size_t>(q * static_cast<double>(v.size() - 1) + 0.5));
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
  return v[k];
}

}  // namespace

Result<VerifyReport> compare_models(Model& reference, Model& model, const std::vector<int32_t>& tokens,
                                    const VerifyOptions& opt,
                                    const std::function<void(int64_t, int64_t)>& on_progress) {
  if (opt.ctx < 2) return Status::errorf("--ctx {} is too small (expected at least 2)", opt.ctx);
  if (tokens.size() < 2) return Status::error("the text gives fewer than 2 tokens: nothing to score");
  const int64_t n_vocab = reference.info().n_vocab;
  if (model.info().n_vocab != n_vocab)
    return Status::errorf("the models disagree on the vocabulary: {} vs {} tokens", n_vocab, model.info().n_vocab);
  VerifyReport r;
  r.ctx = opt.ctx;
  r.kv_reference = opt.kv_reference;
  r.kv_model = opt.kv_model;
  r.tokens = static_cast<int64_t>(tokens.size());
  std::vector<double> kls;
  double nll_ref = 0, nll_model = 0, dp = 0;
  int64_t agree = 0;
  HiddenProbe probe;
  std::vector<float> logits_ref, logits_model;
  std::vector<double> lp_ref, lp_model;
  const auto n = static_cast<int64_t>(tokens.size());
  for (int64_t begin = 0; begin + 1 < n; begin += opt.ctx) {
    const int64_t end = std::min(n, begin + opt.ctx);
    const std::vector<int32_t> ids(tokens.begin() + begin, tokens.begin() + end);
    probe.recording = true;
    HEARTH_TRY(run_window(reference, opt.kv_reference, ids, &probe, logits_ref).with_context("reference"));
    probe.recording = false;
    HEARTH_TRY(run_window(model, opt.kv_model, ids, &probe, logits_model).with_context("model"));
    for (size_t i = 0; i + 1 < ids.size(); ++i) {
      log_softmax(logits_ref.data() + i * n_vocab, n_vocab, lp_ref);
      log_softmax(logits_model.data() + i * n_vocab, n_vocab, lp_model);
      double kl = 0;
      int64_t arg_ref = 0, arg_model = 0;
      for (int64_t v = 0; v < n_vocab; ++v) {
        const double a = lp_ref[to_size(v)], b = lp_model[to_size(v)];
        kl += std::exp(a) * (a - b);
        if (a > lp_ref[to_size(arg_ref)]) arg_ref = v;
        if (b > lp_model[to_size(arg_model)]) arg_model = v;
      }
      kls.push_back(std::max(0.0, kl));
      agree += arg_ref == arg_model;
      const auto next = to_size(ids[i + 1]);
      nll_ref -= lp_ref[next];
      nll_model -= lp_model[next];
      dp += std::fabs(std::exp(lp_ref[next]) - std::exp(lp_model[next]));
    }
    ++r.windows;
    if (on_progress) on_progress(end, n);
  }
  r.scored = static_cast<int64_t>(kls.size());
  const double s = static_cast<double>(r.scored);
  r.ppl_reference = std::exp(nll_ref / s);
  r.ppl_model = std::exp(nll_model / s);
  double sum = 0;
  for (double k : kls) sum += k;
  r.kl_mean = sum / s;
  r.kl_median = quantile(kls, 0.5);
  r.kl_p99 = quantile(kls, 0.99);
  r.kl_max = *std::max_element(kls.begin(), kls.end());
  r.top1_agreement = static_cast<double>(agree) / s;
  r.mean_abs_dp_correct = dp / s;
  for (const auto& [layer, st] : probe.stats)
    r.layers.push_back({layer, st.count ? st.sum / static_cast<double>(st.count) : 0.0, st.min});
  return r;
}

nlohmann::json to_json(const VerifyReport& r) {
  nlohmann::json layers = nlohmann::json::array();
  for (const auto& l : r.layers) layers.push_back({{"layer", l.layer}, {"hidden_cos_mean", l.cos_mean}, {"hidden_cos_min", l.cos_min}});
  return {{"tokens", r.tokens}, {"scored", r.scored}, {"windows", r.windows}, {"ctx", r.ctx},
          {"kv_reference", kv_precision_name(r.kv_reference)}, {"kv_model", kv_precision_name(r.kv_model)},
          {"scoring", "every predicted position of each window, each window from position 0"},
          {"ppl_reference", r.ppl_reference}, {"ppl_model", r.ppl_model}, {"kl_mean", r.kl_mean},
          {"kl_median", r.kl_median}, {"kl_p99", r.kl_p99}, {"kl_max", r.kl_max},
          {"top1_agreement", r.top1_agreement}, {"mean_abs_dp_correct", r.mean_abs_dp_correct},
          {"layers", layers}};
}

std::string to_text(const VerifyReport& r) {
  std::string s = fmt::format(
      "tokens {} in {} windows of {} (every predicted position scored: {} predictions); KV cache "
      "reference {}, model {}\n"
      "perplexity   reference {:.4f}   model {:.4f}   ({:+.3f}%)\n"
      "KL(ref||model) mean {:.6f}  median {:.6f}  p99 {:.6f}  max {:.6f}\n"
      "top-1 agreement {:.3f}%   mean |dp| of the correct token {:.5f}\n",
      r.tokens, r.windows, r.ctx, r.scored, kv_precision_name(r.kv_reference), kv_precision_name(r.kv_model),
      r.ppl_reference, r.ppl_model,
      100.0 * (r.ppl_model / r.ppl_reference - 1.0), r.kl_mean, r.kl_median, r.kl_p99, r.kl_max,
      100.0 * r.top1_agreement, r.mean_abs_dp_correct);
  s += "hidden-state cosine per layer (mean / min):";
  for (const auto& l : r.layers) s += fmt::format(" L{} {:.5f}/{:.4f}", l.layer, l.cos_mean, l.cos_min);
  return s + "\n";
}

}  // namespace hearth::verify
