// Rotary position embeddings: the frequency table for every scaling kind the supported
// configs use (none, linear, llama3, yarn), and application in either pair layout.
// Frequencies follow transformers' modeling_rope_utils (_compute_default/linear/llama3/yarn
// _parameters), computed here in double precision.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "src/model/config_reader.h"

namespace hearth {

enum class RopeScaling { kNone, kLinear, kLlama3, kYarn };
enum class RopeLayout {
  kHalf,        // rotate-half: pairs (i, i + d/2)  (Llama, Qwen, HF DeepSeek after permute)
  kInterleaved  // pairs (2i, 2i + 1)                (DeepSeek's original layout)
};

struct RopeConfig {
  int64_t rot_dim = 0;  // rotated dimensions of one head (even)
  double theta = 10000.0;
  RopeLayout layout = RopeLayout::kHalf;
  RopeScaling scaling = RopeScaling::kNone;
  double factor = 1.0;
  double low_freq_factor = 1.0, high_freq_factor = 4.0;  // llama3
  int64_t original_max_position = 0;                     // llama3, yarn
  double beta_fast = 32.0, beta_slow = 1.0;              // yarn
  double mscale = 0.0, mscale_all_dim = 0.0;             // yarn (0 = unset)
  double attention_factor = 0.0;                         // yarn; 0 = derive
  bool truncate = true;                                  // yarn correction range rounding
};

// Reads rope_theta and rope_scaling ("type" or "rope_type") from a config; unsupported
// scaling kinds are reported through the reader.
RopeConfig read_rope_config(ConfigReader& r, int64_t rot_dim);

// YaRN's magnitude correction: 0.1 * mscale * ln(scale) + 1 for scale > 1.
double yarn_get_mscale(double scale, double mscale);

class Rope {
 public:
  Rope() = default;
  explicit Rope(const RopeConfig& config);

  // Rotating the first rot_dim values of a head for position `pos` takes two steps, so the
  // heads of one position share the sines and cosines: angles(pos, cs) fills cs[2i], cs[2i + 1]
  // = cos, sin of pair i's angle (times attention_factor; cs holds rot_dim), apply(v, cs) rotates.
  void angles(int64_t pos, double* cs) const;
  void apply(float* v, const double* cs) const;
  // cos/sin scaling (YaRN's attention_factor; 1 otherwise).
  double attention_factor() const { return attention_factor_; }
  const std::vector<double>& inv_freq() const { return inv_freq_; }
  const RopeConfig& config() const { return config_; }

 private:
  RopeConfig config_;
  std::vector<double> inv_freq_;  // [rot_dim / 2]
  double attention_factor_ = 1.0;
};

}  // namespace hearth
