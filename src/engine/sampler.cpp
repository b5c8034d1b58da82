#include "src/engine/sampler.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <unordered_set>
#include <vector>

#include "src/base/size.h"

namespace hearth {

int32_t argmax(std::span<const float> logits) {
  return static_cast<int32_t>(std::max_element(logits.begin(), logits.end()) - logits.begin());
}

Sampler::Sampler(const SamplerParams& params) : params_(params), rng_(params.seed) {}

int32_t Sampler::sample(std::span<float> logits, std::span<const int32_t> history) {
  const auto n = static_cast<int32_t>(logits.size());
  if (params_.repeat_penalty != 1.0f && params_.repeat_last_n != 0) {
    const size_t window = params_.repeat_last_n < 0 ? history.size()
                                                    : std::min(history.size(), to_size(params_.repeat_last_n));
    std::unordered_set<int32_t> seen(history.end() - static_cast<long>(window), history.end());
    for (int32_t t : seen) {
      if (t < 0 || t >= n) continue;
      float& l = logits[to_size(t)];
      l = l > 0 ? l / params_.repeat_penalty : l * params_.repeat_penalty;
    }
  }
  if (params_.temperature <= 0) return argmax(logits);

  // Candidates sorted by logit, cut to top_k.
  std::vector<int32_t> ids(logits.size());
  std::iota(ids.begin(), ids.end(), 0);
  const size_t k = params_.top_k > 0 ? std::min<size_t>(to_size(params_.top_k), ids.size()) : ids.size();
  auto by_logit = [&](int32_t a, int32_t b) {
    return logits[to_size(a)] > logits[to_size(b)] || (logits[to_size(a)] == logits[to_size(b)] && a < b);
  };
  std::partial_sort(ids.begin(), ids.begin() + static_cast<long>(k), ids.end(), by_logit);
  ids.resize(k);

  std::vector<double> p(k);
  const double mx = logits[to_size(ids[0])] / params_.temperature;
  double sum = 0;
  for (size_t i = 0; i < k; ++i) sum += p[i] = std::exp(logits[to_size(ids[i])] / params_.temperature - mx);
  for (double& x : p) x /= sum;

  size_t keep = k;
  if (params_.top_p < 1.0f) {
    double cum = 0;
    for (size_t i = 0; i < k; ++i) {
      cum += p[i];
      if (cum >= params_.top_p) {
        keep = i + 1;
        break;
      }
    }
  }
  if (params_.min_p > 0.0f) {
    const double floor = params_.min_p * p[0];
    size_t m = 1;
    while (m < keep && p[m] >= floor) ++m;
    keep = m;
  }
  std::discrete_distribution<size_t> dist(p.begin(), p.begin() + static_cast<long>(keep));
  return ids[dist(rng_)];
}

}  // namespace hearth
