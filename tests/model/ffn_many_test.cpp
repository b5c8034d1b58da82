// Several FFNs over their own rows at once (ffn_swiglu_many, the CPU expert executor's batch)
// give exactly what one ffn_swiglu call per FFN gives: quantized and float weights, packed and
// not, biases, an FFN with no rows.
#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "quant/codec.h"
#include "src/model/ffn_swiglu.h"
#include "src/ops/packed_weights.h"

namespace hearth {
namespace {

struct OwnedFfn {
  std::vector<std::vector<uint8_t>> bytes;
  FfnWeights w;
};

TensorView matrix(OwnedFfn& f, Format fmt, int64_t rows, int64_t cols, uint32_t seed, ops::PackedWeights& store) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> nd(0.0f, 0.1f);
  std::vector<float> v(static_cast<size_t>(rows * cols));
  for (auto& x : v) x = nd(rng);
  f.bytes.emplace_back(format_bytes(fmt, v.size()));
  EXPECT_TRUE(quantize_matrix(fmt, v.data(), rows, cols, f.bytes.back().data(), nullptr, QuantOptions{.search = false}).is_ok());
  TensorView t;
  t.format = fmt;
  t.shape = {rows, cols};
  t.data = f.bytes.back().data();
  t.nbytes = f.bytes.back().size();
  return store.pack(t);
}

TEST(FfnMany, EqualsOneCallPerFfn) {
  const int64_t n_embd = 64, n_ff = 96;
  ops::PackedWeights store;
  std::vector<OwnedFfn> ffns(3);
  const Format formats[3] = {Format::kQ4G32NL, Format::kQ8G32, Format::kBF16};
  for (int i = 0; i < 3; ++i) {
    ffns[i].bytes.reserve(3);
    ffns[i].w.gate = matrix(ffns[i], formats[i], n_ff, n_embd, 10 + i, store);
    ffns[i].w.up = matrix(ffns[i], formats[i], n_ff, n_embd, 20 + i, store);
    ffns[i].w.down = matrix(ffns[i], formats[i], n_embd, n_ff, 30 + i, store);
  }
  ffns[2].w.gate_bias.assign(n_ff, 0.1f);
  ffns[2].w.up_bias.assign(n_ff, -0.2f);
  ffns[2].w.down_bias.assign(n_embd, 0.3f);
  const int64_t rows[3] = {5, 0, 2};
  std::mt19937 rng(7);
  std::normal_distribution<float> nd(0.0f, 1.0f);
  std::vector<std::vector<float>> x(3), want(3), got(3);
  std::vector<FfnTask> tasks;
  for (int i = 0; i < 3; ++i) {
    x[i].resize(static_cast<size_t>(rows[i] * n_embd));
    for (auto& v : x[i]) v = nd(rng);
    want[i].assign(x[i].size(), 0.0f);
    got[i].assign(x[i].size(), -1.0f);
    ffn_swiglu(ffns[i].w, x[i].data(), rows[i], want[i].data());
    tasks.push_back({&ffns[i].w, x[i].data(), rows[i], got[i].data()});
  }
  ffn_swiglu_many(tasks);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(got[i], want[i]) << "ffn " << i;
}

}  // namespace
}  // namespace hearth
