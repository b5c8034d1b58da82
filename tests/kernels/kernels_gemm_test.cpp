// Every registered matrix kernel of every tier this CPU runs (kernel_table.h table_at) against
// the scalar definitions: float-activation kernels against the reference matmul, int8-activation
// kernels against quant/codec.h dot_row_q8act on the same prepared activations. Awkward row,
// column and token counts; guard values around and between the output rows; a row sub-range so
// rows outside [o_begin, o_end) must stay untouched.
// Not here: row helpers and activation preparation (kernels_rowops_test.cpp).
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "src/dispatch/kernel_dispatch.h"
#include "src/kernels/repack_r16.h"
#include "quant/codec.h"

namespace hearth::kernels {
namespace {

constexpr float kGuard = -12345.0f;

std::vector<float> random_vec(int64_t n, uint32_t seed, float scale = 1.0f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> v(static_cast<size_t>(n));
  for (auto& x : v) x = normal(rng) * scale;
  return v;
}

// Weights [rows][cols] stored in format f (quantized with the reference codec).
std::vector<uint8_t> make_weights(Format f, int64_t rows, int64_t cols, uint32_t seed) {
  const std::vector<float> w = random_vec(rows * cols, seed, 0.05f);
  std::vector<uint8_t> bytes(format_bytes(f, static_cast<size_t>(rows * cols)) + 64);
  EXPECT_TRUE(quantize_matrix(f, w.data(), rows, cols, bytes.data(), nullptr, QuantOptions{.search = false}).is_ok());
  return bytes;
}

struct Prepared {
  std::vector<int8_t> q;
  std::vector<float> d, ds;
  std::vector<int32_t> qsum;
  std::vector<int16_t> q16;
  ActView view{};
};

Prepared prepare(const KernelTable& table, ActForm form, const std::vector<float>& x, int64_t n_tok,
                 int64_t n_in) {
  Prepared p;
  p.view.form = form;
  p.view.n_tok = n_tok;
  p.view.n_in = n_in;
  p.view.f32 = x.data();
  p.view.ld_f32 = n_in;
  if (form == ActForm::kQ8G32) {
    const int64_t g = n_in / 32;
    p.q.resize(static_cast<size_t>(n_tok * n_in));
    p.d.resize(static_cast<size_t>(n_tok * g));
    p.ds.resize(static_cast<size_t>(n_tok * g));
    p.qsum.resize(static_cast<size_t>(n_tok * g));
    for (int64_t t = 0; t < n_tok; ++t) {
      table.prepare_q8(x.data() + t * n_in, n_in, p.q.data() + t * n_in, p.d.data() + t * g, p.ds.data() + t * g,
                       p.qsum.data() + t * g);
    }
    p.view.q = p.q.data();
    p.view.d = p.d.data();
    p.view.ds = p.ds.data();
    p.view.qsum = p.qsum.data();
    p.view.ld_q = n_in;
    p.view.ld_d = g;
  } else if (form == ActForm::kQ16G32) {
    const int64_t g = n_in / 32;
    p.q16.resize(static_cast<size_t>(n_tok * n_in));
    p.d.resize(static_cast<size_t>(n_tok * g));
    for (int64_t t = 0; t < n_tok; ++t) table.prepare_q16(x.data() + t * n_in, n_in, p.q16.data() + t * n_in, p.d.data() + t * g);
    p.view.q16 = p.q16.data();
    p.view.d = p.d.data();
    p.view.ld_q = n_in;
    p.view.ld_d = g;
  }
  return p;
}

// Reference y[n_tok][ldy] and error bounds (1e-5 of the sum of |terms|) for rows [o_begin, o_end).
void reference(Format f, const TensorView& w, const Prepared& p, int64_t o_begin, int64_t o_end,
               int64_t ldy, std::vector<float>& want, std::vector<float>& bound) {
  const int64_t n_in = w.cols(), n_tok = p.view.n_tok, groups = n_in / 32;
  std::vector<std::vector<ActQ8G32>> xq(static_cast<size_t>(n_tok));
  if (p.view.form == ActForm::kQ8G32)
    for (int64_t t = 0; t < n_tok; ++t) {
      xq[t].resize(static_cast<size_t>(groups));
      for (int64_t g = 0; g < groups; ++g) {
        xq[t][g].scale = p.d[t * groups + g];
        for (int i = 0; i < 32; ++i) xq[t][g].q[i] = p.q[t * n_in + g * 32 + i];
      }
    }
  std::vector<float> row(static_cast<size_t>(n_in));
  for (int64_t o = o_begin; o < o_end; ++o) {
    reference_table().decode_row[static_cast<int>(f)](w, o, row.data());
    for (int64_t t = 0; t < n_tok; ++t) {
      double s = 0, mag = 0;
      for (int64_t i = 0; i < n_in; ++i) {
        // int16 activations: the definition is the float dot over their dequantized values.
        const float x = p.view.form == ActForm::kQ8G32    ? xq[t][i / 32].scale * xq[t][i / 32].q[i % 32]
                        : p.view.form == ActForm::kQ16G32 ? p.d[t * groups + i / 32] * p.q16[t * n_in + i]
                                                          : p.view.f32[t * n_in + i];
        s += static_cast<double>(row[i]) * x;
        mag += std::fabs(row[i] * x);
      }
      // Integer kernels: the exact definition; float kernels: the double-precision dot.
      want[t * ldy + o] = p.view.form == ActForm::kQ8G32 ? dot_row_q8act(f, w.row(o), xq[t].data(), n_in)
                                                         : static_cast<float>(s);
      bound[t * ldy + o] = static_cast<float>(1e-5 * mag + 1e-6);
    }
  }
}

// packed: run t.gemm_r16[f] over r16-repacked rows (rows a multiple of 16; the range then
// leaves out the first and last block) instead of t.gemm[f].
void check_kernel(const KernelTable& t, Format f, int64_t rows, int64_t cols, int64_t n_tok, bool packed = false) {
  SCOPED_TRACE(testing::Message() << "tier " << t.tier << " format " << format_traits(f).name
                                  << " rows " << rows << " cols " << cols << " tokens " << n_tok
                                  << (packed ? " packed" : ""));
  const std::vector<uint8_t> bytes = make_weights(f, rows, cols, static_cast<uint32_t>(rows * 7 + cols));
  TensorView w;
  w.format = f;
  w.shape = {rows, cols};
  w.data = bytes.data();
  w.nbytes = format_bytes(f, static_cast<size_t>(rows * cols));
  const std::vector<float> x = random_vec(n_tok * cols, static_cast<uint32_t>(cols + n_tok));
  const ActForm form = packed ? t.act_form_r16[static_cast<int>(f)] : t.act_form[static_cast<int>(f)];
  const Prepared p = prepare(t, form, x, n_tok, cols);
  // Output rows [o_begin, o_end) of y[n_tok][ldy], ldy = rows + 5, one guard row before.
  const int64_t ldy = rows + 5;
  int64_t o_begin = rows > 2 ? 1 : 0, o_end = rows > 2 ? rows - 1 : rows;
  std::vector<uint8_t> packed_rows;
  if (packed) {
    packed_rows.resize(r16_bytes(f, rows, cols));
    repack_r16(f, w.data, cols, 0, rows / kPackRows, packed_rows.data());
    w.packed = packed_rows.data();
    o_begin = rows > 2 * kPackRows ? kPackRows : 0;
    o_end = rows > 2 * kPackRows ? rows - kPackRows : rows;
  }
  std::vector<float> buf(static_cast<size_t>((n_tok + 2) * ldy), kGuard);
  float* y = buf.data() + ldy;
  const GemmFn fn = packed ? t.gemm_r16[static_cast<int>(f)] : t.gemm[static_cast<int>(f)];
  fn(weight_rows(w), p.view, y, ldy, o_begin, o_end);
  std::vector<float> want(static_cast<size_t>(n_tok * ldy)), bound(want.size());
  reference(f, w, p, o_begin, o_end, ldy, want, bound);
  for (int64_t i = 0; i < static_cast<int64_t>(buf.size()); ++i) {
    const int64_t tt = i / ldy - 1, o = i % ldy;
    const bool inside = tt >= 0 && tt < n_tok && o >= o_begin && o < o_end;
    if (!inside) {
      ASSERT_EQ(buf[static_cast<size_t>(i)], kGuard) << "wrote outside its rows at token " << tt << " row " << o;
      continue;
    }
    ASSERT_NEAR(y[tt * ldy + o], want[tt * ldy + o], bound[tt * ldy + o]) << "token " << tt << " row " << o;
  }
}

TEST(KernelsGemm, EveryTierEveryFormatAwkwardSizes) {
  for (int ti = 0; ti < table_count(); ++ti) {
    const KernelTable& t = table_at(ti);
    for (int fi = 0; fi < static_cast<int>(Format::kCount); ++fi) {
      const Format f = static_cast<Format>(fi);
      const bool quant = format_traits(f).quantized;
      const std::vector<int64_t> cols = quant ? std::vector<int64_t>{32, 96, 992, 1056, 4064}
                                              : std::vector<int64_t>{1, 3, 31, 33, 127, 129, 4095};
      for (int64_t c : cols)
        for (int64_t r : {1, 3, 31, 33, 129})
          for (int64_t n_tok : {1, 2, 3, 5, 9}) {
            if (c * r * n_tok > 4095 * 33 * 3) continue;  // keep the suite fast
            check_kernel(t, f, r, c, n_tok);
            if (HasFatalFailure()) return;
          }
    }
  }
}

// The packed kernels: whole 16-row blocks only; every token-tile size (1..8 and past 8) and
// block counts 1..4 plus a long row.
TEST(KernelsGemm, PackedKernelsEveryTierAwkwardSizes) {
  int checked = 0;
  for (int ti = 0; ti < table_count(); ++ti) {
    const KernelTable& t = table_at(ti);
    for (int fi = 0; fi < static_cast<int>(Format::kCount); ++fi) {
      const Format f = static_cast<Format>(fi);
      if (t.gemm_r16[fi] == nullptr) continue;
      EXPECT_TRUE(r16_format(f)) << format_traits(f).name;
      const bool quant = format_traits(f).quantized;
      const std::vector<int64_t> cols = quant ? std::vector<int64_t>{32, 96, 1056, 4064} : std::vector<int64_t>{1, 3, 33, 129, 4095};
      for (int64_t c : cols)
        for (int64_t r : {16, 32, 48, 64})
          for (int64_t n_tok : {1, 2, 3, 4, 5, 7, 8, 9, 17}) {
            if (c * r * n_tok > 4064 * 32 * 3) continue;  // keep the suite fast
            check_kernel(t, f, r, c, n_tok, /*packed=*/true);
            if (HasFatalFailure()) return;
            ++checked;
          }
    }
  }
  if (table_at(table_count() - 1).tier == "avx512vnni") {
    EXPECT_GT(checked, 0) << "the VNNI tier registers packed kernels";
  }
}

// r16 is a permutation of the canonical bytes: unpacking gives them back exactly, and the
// packed size equals the canonical size of the packed rows.
TEST(KernelsRepack, RoundTripsCanonicalBlocks) {
  for (Format f : {Format::kQ4G32, Format::kQ4G32NL, Format::kQ6G32, Format::kQ8G32, Format::kF32, Format::kF16,
                   Format::kBF16}) {
    SCOPED_TRACE(format_traits(f).name);
    ASSERT_TRUE(r16_format(f));
    for (int64_t cols : {32, 96, 2048}) {
      const int64_t rows = 48;
      const std::vector<uint8_t> bytes = make_weights(f, rows, cols, 99);
      const size_t row_bytes = format_bytes(f, static_cast<size_t>(cols));
      ASSERT_EQ(r16_bytes(f, rows + 7, cols), rows * row_bytes);  // the 7 rows past the last block are not packed
      std::vector<uint8_t> packed(r16_bytes(f, rows, cols));
      repack_r16(f, bytes.data(), cols, 0, rows / kPackRows, packed.data());
      EXPECT_NE(std::vector<uint8_t>(bytes.begin(), bytes.begin() + rows * row_bytes), packed);
      std::vector<uint8_t> back(rows * row_bytes, 0xAA);
      for (int64_t b = 0; b < rows / kPackRows; ++b)
        unpack_r16(f, packed.data(), cols, b, back.data() + b * kPackRows * row_bytes);
      EXPECT_EQ(std::vector<uint8_t>(bytes.begin(), bytes.begin() + rows * row_bytes), back);
    }
  }
  EXPECT_FALSE(r16_format(Format::kQ4G32Z));
}

TEST(KernelsGemm, TableTiersAreOrderedAndComplete) {
  ASSERT_GE(table_count(), 1);
  EXPECT_EQ(table_at(0).tier, "ref");
  for (int ti = 0; ti < table_count(); ++ti)
    for (int fi = 0; fi < static_cast<int>(Format::kCount); ++fi) {
      EXPECT_NE(table_at(ti).gemm[fi], nullptr) << table_at(ti).tier << " format " << fi;
      EXPECT_NE(table_at(ti).decode_row[fi], nullptr);
    }
}

}  // namespace
}  // namespace hearth::kernels
