// Observing the model: named intermediates (attention probabilities, router choices, hidden
// states per layer) handed to a Probe. With no probe attached (nullptr) nothing is computed
// or copied. Consumers: verify, heatmaps, routing profiles.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace hearth {

class Probe {
 public:
  virtual ~Probe() = default;
  // Cheap filter asked before an intermediate is materialised.
  virtual bool wants(std::string_view name, int layer) const = 0;
  // data is row-major with the given shape; valid only during the call.
  virtual void capture(std::string_view name, int layer, std::span<const int64_t> shape,
                       std::span<const float> data) = 0;
};

}  // namespace hearth
