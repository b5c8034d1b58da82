// Load-time repacking (src/ops/packed_weights.h) as the model sees it: ops::matmul over a
// packed view gives the canonical kernels' result (rows past the last 16-row block included),
// and what cannot or need not be packed is returned unchanged.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "src/dispatch/kernel_dispatch.h"
#include "quant/codec.h"
#include "src/ops/ops.h"
#include "src/ops/packed_weights.h"

namespace hearth::ops {
namespace {

struct Matrix {
  std::vector<uint8_t> bytes;
  TensorView view;
};

Matrix make(Format f, int64_t rows, int64_t cols) {
  std::mt19937 rng(static_cast<uint32_t>(rows * 31 + cols));
  std::normal_distribution<float> nd(0.0f, 0.05f);
  std::vector<float> w(static_cast<size_t>(rows * cols));
  for (auto& v : w) v = nd(rng);
  Matrix m;
  m.bytes.resize(format_bytes(f, w.size()));
  EXPECT_TRUE(quantize_matrix(f, w.data(), rows, cols, m.bytes.data(), nullptr, QuantOptions{.search = false}).is_ok());
  m.view.format = f;
  m.view.shape = {rows, cols};
  m.view.data = m.bytes.data();
  m.view.nbytes = m.bytes.size();
  return m;
}

bool tier_packs(Format f) { return kernels::kernel_table().gemm_r16[static_cast<int>(f)] != nullptr; }

TEST(PackedWeights, MatmulOverPackedRowsEqualsCanonical) {
  for (Format f : {Format::kQ4G32, Format::kQ4G32NL, Format::kQ6G32, Format::kQ8G32, Format::kBF16, Format::kF32}) {
    for (int64_t rows : {16, 37, 200}) {
      for (int64_t n_tok : {1, 3, 20}) {
        SCOPED_TRACE(testing::Message() << format_traits(f).name << " rows " << rows << " tokens " << n_tok);
        const int64_t cols = 256;
        Matrix m = make(f, rows, cols);
        PackedWeights store;
        const TensorView packed = store.pack(m.view);
        EXPECT_EQ(packed.packed != nullptr, tier_packs(f));
        EXPECT_EQ(packed.data, m.view.data);  // the canonical rows stay readable
        std::mt19937 rng(5);
        std::normal_distribution<float> nd(0.0f, 1.0f);
        std::vector<float> x(static_cast<size_t>(n_tok * cols));
        for (auto& v : x) v = nd(rng);
        std::vector<float> want(static_cast<size_t>(n_tok * rows)), got(want.size());
        matmul(m.view, x.data(), n_tok, want.data());
        matmul(packed, x.data(), n_tok, got.data());
        // q8g32's packed rows take int16 activations where its canonical kernel takes float32:
        // allow each product the int16 rounding of its group (max|x| / 32767 / 2).
        const std::vector<float> wf = to_f32(m.view);
        const int64_t int16_rows = f == Format::kQ8G32 && packed.packed ? rows / 16 * 16 : 0;
        for (int64_t t = 0; t < n_tok; ++t)
          for (int64_t o = 0; o < rows; ++o) {
            double rounding = 0;
            for (int64_t i = 0; o < int16_rows && i < cols; ++i) {
              float amax = 0;
              for (int64_t j = i / 32 * 32; j < i / 32 * 32 + 32; ++j) amax = std::max(amax, std::fabs(x[t * cols + j]));
              rounding += std::fabs(wf[o * cols + i]) * amax / 32767 / 2;
            }
            const float want_to = want[t * rows + o], tol = 1e-5f * (1.0f + std::fabs(want_to)) + static_cast<float>(rounding);
            ASSERT_NEAR(got[t * rows + o], want_to, tol) << "token " << t << " row " << o;
          }
      }
    }
  }
}

TEST(PackedWeights, LeavesWhatItCannotPackUnchanged) {
  PackedWeights store;
  {
    Matrix m = make(Format::kQ4G32Z, 64, 64);  // no packed layout
    EXPECT_EQ(store.pack(m.view).packed, nullptr);
  }
  Matrix small = make(Format::kQ4G32NL, 15, 64);  // no whole 16-row block
  EXPECT_EQ(store.pack(small.view).packed, nullptr);
  EXPECT_EQ(store.bytes(), 0u);
  EXPECT_EQ(store.matrices(), 0);
  Matrix m = make(Format::kQ4G32NL, 40, 64);
  if (!tier_packs(Format::kQ4G32NL)) {  // a tier without packed kernels packs nothing
    EXPECT_EQ(store.pack(m.view).packed, nullptr);
    return;
  }
  const TensorView once = store.pack(m.view);
  EXPECT_EQ(store.pack(once).packed, once.packed);  // packing a packed view is a no-op
  EXPECT_EQ(store.bytes(), 32u * 18u * 2u);         // two 16-row blocks of two groups
  EXPECT_EQ(store.matrices(), 1);
}

// Reserving copies nothing: the first matmul fills the copy and hands the stored rows back
// (release) once; later matmuls reuse it.
TEST(PackedWeights, FillsOnFirstUseAndReleasesOnce) {
  int released = 0;
  PackedWeights store([&](const TensorView&) { ++released; });
  Matrix m = make(Format::kQ4G32NL, 48, 128);
  const TensorView v = store.pack(m.view);
  if (v.packed == nullptr) {  // a tier without packed kernels: nothing to fill or release
    EXPECT_FALSE(tier_packs(Format::kQ4G32NL));
    return;
  }
  EXPECT_EQ(released, 0);
  std::vector<float> x(128, 0.5f), y1(48), y2(48), want(48);
  matmul(v, x.data(), 1, y1.data());
  EXPECT_EQ(released, 1);
  matmul(v, x.data(), 1, y2.data());
  EXPECT_EQ(released, 1);
  EXPECT_EQ(y1, y2);
  matmul(m.view, x.data(), 1, want.data());
  for (int i = 0; i < 48; ++i) EXPECT_NEAR(y1[i], want[i], 1e-5f * (1.0f + std::fabs(want[i])));
}

// Several matrices over one input in one parallel loop give exactly what separate calls give
// (packed and canonical, quantized and float, a matrix too small to thread, zero tokens).
TEST(PackedWeights, MatmulManyEqualsSeparateCalls) {
  PackedWeights store;
  Matrix a = make(Format::kQ4G32NL, 200, 256), b = make(Format::kQ8G32, 37, 256), c = make(Format::kBF16, 3, 256);
  const TensorView views[3] = {store.pack(a.view), store.pack(b.view), c.view};
  for (int64_t n_tok : {0, 1, 9}) {
    std::vector<float> x(static_cast<size_t>(n_tok * 256));
    std::mt19937 rng(3);
    std::normal_distribution<float> nd(0.0f, 1.0f);
    for (auto& v : x) v = nd(rng);
    std::vector<std::vector<float>> want(3), got(3);
    for (int i = 0; i < 3; ++i) {
      want[i].assign(static_cast<size_t>(n_tok * views[i].rows()), 0.0f);
      got[i].assign(want[i].size(), -1.0f);
      matmul(views[i], x.data(), n_tok, want[i].data());
    }
    PreparedInput in(x.data(), n_tok, 256);
    const TensorView* ws[3] = {&views[0], &views[1], &views[2]};
    float* ys[3] = {got[0].data(), got[1].data(), got[2].data()};
    matmul_many(ws, in, ys);
    for (int i = 0; i < 3; ++i) EXPECT_EQ(got[i], want[i]) << "matrix " << i << " tokens " << n_tok;
  }
}

}  // namespace
}  // namespace hearth::ops
