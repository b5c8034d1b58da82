// PNG heatmaps and attention capture: images decode (libpng) to the size the layout promises
// with the right cell colours; attention rows are distributions over past keys; rollout rows
// too; bad selections and outputs give clear errors (library and `hearth attention`).
// The numbers against PyTorch are checked by tests/reference/attention_probs.py (tests/viz.cmake).
#include <png.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>

#include <gtest/gtest.h>

#include "models/loader.h"
#include "src/inspect/attention_map.h"
#include "src/inspect/heatmap_png.h"

namespace hearth {
namespace {

struct Decoded {
  int width = 0, height = 0;
  std::vector<uint8_t> rgb;
  std::array<uint8_t, 3> at(int x, int y) const {
    const size_t i = (static_cast<size_t>(y) * width + x) * 3;
    return {rgb[i], rgb[i + 1], rgb[i + 2]};
  }
};

Decoded read_png(const std::string& path) {
  Decoded d;
  png_image img{};
  img.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_file(&img, path.c_str())) return d;
  img.format = PNG_FORMAT_RGB;
  d.rgb.resize(PNG_IMAGE_SIZE(img));
  if (!png_image_finish_read(&img, nullptr, d.rgb.data(), 0, nullptr)) return d;
  d.width = static_cast<int>(img.width);
  d.height = static_cast<int>(img.height);
  return d;
}

std::string temp_path(const std::string& name) {
  return (std::filesystem::temp_directory_path() / ("hearth_heatmap_" + std::to_string(getpid()) + "_" + name)).string();
}

Heatmap sample(int64_t rows, int64_t cols, const std::string& title) {
  Heatmap h{title, rows, cols, {}, {}, {}};
  for (int64_t r = 0; r < rows; ++r) {
    h.row_labels.push_back("row" + std::to_string(r));
    for (int64_t c = 0; c < cols; ++c) h.values.push_back(c > r ? std::numeric_limits<float>::quiet_NaN() : float(r + c));
  }
  for (int64_t c = 0; c < cols; ++c) h.col_labels.push_back(c == 1 ? "caf\xc3\xa9 \xe2\x86\x92 long label" : "c" + std::to_string(c));
  return h;
}

TEST(HeatmapPng, DecodesToLayoutSizeWithCellColours) {
  const std::vector<Heatmap> panels = {sample(7, 7, "layer 0 head 0"), sample(7, 7, "layer 1 head 0"),
                                       sample(7, 7, "rollout")};
  const HeatmapLayout L = heatmap_layout(panels);
  EXPECT_EQ(L.grid_cols, 2);
  EXPECT_EQ(L.label_chars, kHeatmapMaxLabelChars);  // the long label is cut
  const std::string path = temp_path("three.png");
  ASSERT_TRUE(write_heatmap_png(path, panels).is_ok());
  const Decoded d = read_png(path);
  ASSERT_EQ(d.width, L.width);
  ASSERT_EQ(d.height, L.height);
  EXPECT_EQ(L.width, 2 * L.panel_width);
  EXPECT_EQ(L.height, 2 * L.panel_height);
  // Cell (r, c) of panel 1: centre pixel has the colour map's value at v / max (max = 12).
  const int half = L.cell / 2;
  for (int r = 0; r < 7; ++r)
    for (int c = 0; c < 7; ++c) {
      const auto px = d.at(L.grid_origin[1][0] + c * L.cell + half, L.grid_origin[1][1] + r * L.cell + half);
      const auto want = c > r ? kMaskedColor : heatmap_color(float(r + c) / 12.0f);
      EXPECT_EQ(px, want) << "cell " << r << "," << c;
    }
  std::filesystem::remove(path);
}

TEST(HeatmapPng, ManyCellsUseSmallCellsAndStridedLabels) {
  const std::vector<Heatmap> panels = {sample(300, 300, "big")};
  const HeatmapLayout L = heatmap_layout(panels);
  EXPECT_EQ(L.cell, 2);
  EXPECT_EQ(L.label_stride, 4);
  const std::string path = temp_path("big.png");
  ASSERT_TRUE(write_heatmap_png(path, panels).is_ok());
  const Decoded d = read_png(path);
  EXPECT_EQ(d.width, L.width);
  EXPECT_EQ(d.height, L.height);
  std::filesystem::remove(path);
}

TEST(HeatmapPng, ErrorsSayWhatIsWrong) {
  Status s = write_heatmap_png("/nonexistent-dir/x.png", {sample(2, 2, "t")});
  ASSERT_FALSE(s.is_ok());
  EXPECT_NE(s.message().find("/nonexistent-dir/x.png"), std::string::npos) << s.message();
  EXPECT_FALSE(write_heatmap_png(temp_path("none.png"), {}).is_ok());
  Heatmap bad = sample(2, 2, "bad");
  bad.values.pop_back();
  s = write_heatmap_png(temp_path("bad.png"), {bad});
  EXPECT_NE(s.message().find("3 values for 2x2"), std::string::npos) << s.message();
  EXPECT_EQ(ascii_label("caf\xc3\xa9\n", 0), "caf??");
}

class BundledAttention : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto m = models::load_model("", true);
    ASSERT_TRUE(m.is_ok()) << m.message();
    loaded_ = new models::LoadedModel(std::move(m.value()));
  }
  static void TearDownTestSuite() { delete loaded_; }
  static models::LoadedModel* loaded_;
};
models::LoadedModel* BundledAttention::loaded_ = nullptr;

TEST_F(BundledAttention, RowsAreCausalDistributionsAndChunkingDoesNotMatter) {
  const std::vector<int32_t> ids = loaded_->tokenizer->encode("In the beginning God created the heaven", false);
  auto whole = capture_attention(*loaded_->model, ids);
  ASSERT_TRUE(whole.is_ok()) << whole.message();
  auto chunked = capture_attention(*loaded_->model, ids, {}, /*prefill_batch=*/3);
  ASSERT_TRUE(chunked.is_ok()) << chunked.message();
  const int64_t n = whole->n_tok();
  ASSERT_EQ(whole->n_layer, 4);
  ASSERT_EQ(whole->n_head, 4);
  for (int64_t l = 0; l < 4; ++l)
    for (int64_t h = 0; h < 4; ++h) {
      const SquareMatrix& m = whole->probs[size_t(l)][size_t(h)];
      for (int64_t q = 0; q < n; ++q) {
        double sum = 0;
        for (int64_t k = 0; k < n; ++k) {
          if (k > q) { EXPECT_EQ(m.at(q, k), 0.0f); }
          sum += m.at(q, k);
          EXPECT_NEAR(m.at(q, k), chunked->probs[size_t(l)][size_t(h)].at(q, k), 1e-5);
        }
        EXPECT_NEAR(sum, 1.0, 1e-5) << "layer " << l << " head " << h << " row " << q;
      }
    }
  auto roll = attention_rollout(*whole);
  ASSERT_TRUE(roll.is_ok());
  for (int64_t q = 0; q < n; ++q) {
    double sum = 0;
    for (int64_t k = 0; k < n; ++k) sum += roll->at(q, k);
    EXPECT_NEAR(sum, 1.0, 1e-5);
  }
  EXPECT_FLOAT_EQ(roll->at(0, 0), 1.0f);
}

TEST_F(BundledAttention, SelectionErrorsNameTheValidRange) {
  const std::vector<int32_t> ids = {10, 20, 30};
  auto one = capture_attention(*loaded_->model, ids, {2});
  ASSERT_TRUE(one.is_ok());
  EXPECT_FALSE(one->has_layer(0));
  EXPECT_TRUE(one->has_layer(2));
  EXPECT_FALSE(attention_rollout(*one).is_ok());
  auto p = select_panels(*one, "7", "mean");
  ASSERT_FALSE(p.is_ok());
  EXPECT_NE(p.message().find("0..3"), std::string::npos) << p.message();
  p = select_panels(*one, "2", "9");
  ASSERT_FALSE(p.is_ok());
  EXPECT_NE(p.message().find("head 9 does not exist"), std::string::npos) << p.message();
  p = select_panels(*one, "2", "all");
  ASSERT_TRUE(p.is_ok());
  EXPECT_EQ(p->size(), 4u);
  EXPECT_FALSE(capture_attention(*loaded_->model, {}).is_ok());
  EXPECT_FALSE(capture_attention(*loaded_->model, ids, {4}).is_ok());
}

int run(const std::string& args, std::string* err = nullptr) {
  const std::string log = temp_path("stderr.txt");
  const int rc = std::system((std::string(HEARTH_BINARY) + " " + args + " 2>" + log).c_str());
  if (err) {
    std::ifstream in(log);
    err->assign(std::istreambuf_iterator<char>(in), {});
  }
  std::filesystem::remove(log);
  return rc;
}

TEST(AttentionCli, WritesPngAndRejectsBadInput) {
  const std::string png = temp_path("cli.png");
  ASSERT_EQ(run("attention -t 1 --prompt 'And the LORD spake' --layer all --head mean --out " + png), 0);
  const Decoded d = read_png(png);
  EXPECT_GT(d.width, 0);
  EXPECT_GT(d.height, 0);
  std::filesystem::remove(png);
  std::string err;
  EXPECT_NE(run("attention -t 1 --prompt 'x y' --layer 12 --out " + png, &err), 0);
  EXPECT_NE(err.find("layer 12 does not exist"), std::string::npos) << err;
  EXPECT_NE(run("attention -t 1 --prompt 'x y' --head 5 --out " + png, &err), 0);
  EXPECT_NE(err.find("head 5 does not exist"), std::string::npos) << err;
  EXPECT_NE(run("attention -t 1 --prompt '  ' --out " + png, &err), 0);
  EXPECT_NE(err.find("empty"), std::string::npos) << err;
  EXPECT_NE(run("attention -t 1 --prompt 'x' --out /nonexistent-dir/a.png", &err), 0);
  EXPECT_NE(err.find("does not exist"), std::string::npos) << err;
  EXPECT_NE(run("attention -t 1 --prompt 'x' --out a.gif", &err), 0);
  EXPECT_NE(err.find("unsupported file type"), std::string::npos) << err;
  EXPECT_FALSE(std::filesystem::exists(png));
}

}  // namespace
}  // namespace hearth
