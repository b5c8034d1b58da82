#include "src/model/rope.h"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "src/base/size.h"

namespace hearth {

RopeConfig read_rope_config(ConfigReader& r, int64_t rot_dim) {
  RopeConfig c;
  c.rot_dim = rot_dim;
  c.theta = r.get_double("rope_theta", 10000.0);
  r.check(rot_dim > 0 && rot_dim % 2 == 0, fmt::format("rotary dimension {} must be even and positive", rot_dim));
  const nlohmann::json& j = r.json();
  if (!j.contains("rope_scaling") || j["rope_scaling"].is_null()) return c;
  const nlohmann::json& s = j["rope_scaling"];
  if (!s.is_object()) {
    r.fail("field 'rope_scaling' should be an object or null");
    return c;
  }
  std::string type = s.value("rope_type", s.value("type", std::string("default")));
  auto num = [&](const char* key, double fallback) {
    auto it = s.find(key);
    return (it != s.end() && it->is_number()) ? it->get<double>() : fallback;
  };
  c.factor = num("factor", 1.0);
  if (type == "default") {
    c.scaling = RopeScaling::kNone;
  } else if (type == "linear") {
    c.scaling = RopeScaling::kLinear;
  } else if (type == "llama3") {
    c.scaling = RopeScaling::kLlama3;
    c.low_freq_factor = num("low_freq_factor", 1.0);
    c.high_freq_factor = num("high_freq_factor", 4.0);
    c.original_max_position = static_cast<int64_t>(num("original_max_position_embeddings", 8192));
  } else if (type == "yarn") {
    c.scaling = RopeScaling::kYarn;
    c.original_max_position = static_cast<int64_t>(
        num("original_max_position_embeddings", r.get_double("max_position_embeddings", 2048)));
    c.beta_fast = num("beta_fast", 32.0);
    c.beta_slow = num("beta_slow", 1.0);
    c.mscale = num("mscale", 0.0);
    c.mscale_all_dim = num("mscale_all_dim", 0.0);
    c.attention_factor = num("attention_factor", 0.0);
    if (s.contains("truncate") && s["truncate"].is_boolean()) c.truncate = s["truncate"].get<bool>();
  } else {
    r.fail(fmt::format("rope_scaling type '{}' is not supported (supported: default, linear, llama3, yarn)", type));
  }
  r.check(c.factor > 0, "rope_scaling.factor must be positive");
  return c;
}

double yarn_get_mscale(double scale, double mscale) {
  if (scale <= 1.0) return 1.0;
  return 0.1 * mscale * std::log(scale) + 1.0;
}

Rope::Rope(const RopeConfig& c) : config_(c) {
  const int64_t half = c.rot_dim / 2;
  const double dim = static_cast<double>(c.rot_dim);
  inv_freq_.resize(to_size(half));
  for (int64_t i = 0; i < half; ++i)
    inv_freq_[to_size(i)] = 1.0 / std::pow(c.theta, static_cast<double>(2 * i) / dim);

  switch (c.scaling) {
    case RopeScaling::kNone:
      break;
    case RopeScaling::kLinear:
      for (double& f : inv_freq_) f /= c.factor;
      break;
    case RopeScaling::kLlama3: {
      const double old_ctx = static_cast<double>(c.original_max_position);
      const double low_wavelen = old_ctx / c.low_freq_factor;
      const double high_wavelen = old_ctx / c.high_freq_factor;
      for (double& f : inv_freq_) {
        const double wavelen = 2 * std::numbers::pi / f;
        if (wavelen > low_wavelen) {
          f = f / c.factor;
        } else if (wavelen >= high_wavelen) {  // medium band: smooth interpolation
          const double smooth = (old_ctx / wavelen - c.low_freq_factor) / (c.high_freq_factor - c.low_freq_factor);
          f = (1 - smooth) * f / c.factor + smooth * f;
        }
      }
      break;
    }
    case RopeScaling::kYarn: {
      const double base = c.theta;
      const double max_pos = static_cast<double>(c.original_max_position);
      auto correction_dim = [&](double rotations) {
        return dim * std::log(max_pos / (rotations * 2 * std::numbers::pi)) / (2 * std::log(base));
      };
      double low = correction_dim(c.beta_fast), high = correction_dim(c.beta_slow);
      if (c.truncate) {
        low = std::floor(low);
        high = std::ceil(high);
      }
      low = std::max(low, 0.0);
      high = std::min(high, dim - 1);
      if (low == high) high += 0.001;
      for (int64_t i = 0; i < half; ++i) {
        const double ramp = std::clamp((static_cast<double>(i) - low) / (high - low), 0.0, 1.0);
        const double extrapolation_factor = 1.0 - ramp;
        const double extra = inv_freq_[to_size(i)];
        const double inter = extra / c.factor;
        inv_freq_[to_size(i)] = inter * (1 - extrapolation_factor) + extra * extrapolation_factor;
      }
      if (c.attention_factor > 0) {
        attention_factor_ = c.attention_factor;
      } else if (c.mscale != 0 && c.mscale_all_dim != 0) {
        attention_factor_ = yarn_get_mscale(c.factor, c.mscale) / yarn_get_mscale(c.factor, c.mscale_all_dim);
      } else {
        attention_factor_ = yarn_get_mscale(c.factor, 1.0);
      }
      break;
    }
  }
}

void Rope::angles(int64_t pos, double* cs) const {
  const double p = static_cast<double>(pos);
  for (size_t i = 0; i < inv_freq_.size(); ++i) {
    const double angle = p * inv_freq_[i];
    cs[2 * i] = std::cos(angle) * attention_factor_;
    cs[2 * i + 1] = std::sin(angle) * attention_factor_;
  }
}

namespace {

// Pair i is (v[i * stride_a], v[i * stride_a + offset_b]); one loop per layout with constant
// strides, which the compiler vectorises (prefill rotates every head of every row).
template <int64_t kStride>
void rotate_pairs(float* v, const double* cs, int64_t half, int64_t offset_b) {
  for (int64_t i = 0; i < half; ++i) {
    const double c = cs[2 * i], s = cs[2 * i + 1];
    const double x0 = v[kStride * i], x1 = v[kStride * i + offset_b];
    v[kStride * i] = static_cast<float>(x0 * c - x1 * s);
    v[kStride * i + offset_b] = static_cast<float>(x1 * c + x0 * s);
  }
}

}  // namespace

void Rope::apply(float* v, const double* cs) const {
  const int64_t half = config_.rot_dim / 2;
  if (config_.layout == RopeLayout::kHalf)
    rotate_pairs<1>(v, cs, half, half);
  else
    rotate_pairs<2>(v, cs, half, 1);
}

}  // namespace hearth
