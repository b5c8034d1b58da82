#include "src/model/ffn_swiglu.h"

#include <vector>

#include "src/ops/ops.h"

namespace hearth {

void ffn_swiglu(const FfnWeights& w, const float* x, int64_t n, float* out) {
  const int64_t n_ff = w.gate.shape[0];
  std::vector<float> gate(static_cast<size_t>(n * n_ff)), up(static_cast<size_t>(n * n_ff));
  ops::matmul(w.gate, x, n, gate.data());
  ops::matmul(w.up, x, n, up.data());
  ops::swiglu(gate.data(), up.data(), n * n_ff, gate.data());
  ops::matmul(w.down, gate.data(), n, out);
}

}  // namespace hearth
