// Expert-routing profiles on the bundled tiny Qwen3-MoE: counts add up to tokens x experts per
// token in every MoE layer, coverage and reuse distances are consistent with the counts, the
// trace agrees with the counts, the JSON validates against docs/routing_profile.schema.json,
// and the PNG decodes to the layout's size. PyTorch agreement: tests/reference/routing_counts.py.
#include <unistd.h>

#include <png.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "models/loader.h"
#include "src/inspect/routing_profile.h"
#include "tests/common/staged_schema_check.h"

namespace hearth {
namespace {

class BundledProfile : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto m = models::load_model("", true);
    ASSERT_TRUE(m.is_ok()) << m.message();
    loaded_ = new models::LoadedModel(std::move(m.value()));
    std::ifstream in(std::string(HEARTH_TEST_DATA_DIR) + "/corpus/valid.txt");
    std::string text(4000, '\0');
    in.read(text.data(), static_cast<std::streamsize>(text.size()));
    text.resize(static_cast<size_t>(in.gcount()));
    ids_ = loaded_->tokenizer->encode(text, false);
    ids_.resize(std::min<size_t>(ids_.size(), 300));
  }
  static void TearDownTestSuite() { delete loaded_; }
  static models::LoadedModel* loaded_;
  static std::vector<int32_t> ids_;
};
models::LoadedModel* BundledProfile::loaded_ = nullptr;
std::vector<int32_t> BundledProfile::ids_;

TEST_F(BundledProfile, CountsCoverageAndReuseAddUp) {
  ASSERT_EQ(ids_.size(), 300u);
  RoutingProfileOptions opt;
  opt.ctx = 128;
  opt.trace = true;
  opt.prefill_batch = 50;  // windows split into several forward calls
  auto p = profile_routing(*loaded_->model, ids_, opt);
  ASSERT_TRUE(p.is_ok()) << p.message();
  EXPECT_EQ(p->windows, 3);
  ASSERT_EQ(p->layers.size(), 4u);
  ASSERT_EQ(p->trace.size(), 300u);
  for (size_t li = 0; li < p->layers.size(); ++li) {
    const LayerRouting& l = p->layers[li];
    EXPECT_EQ(l.layer, static_cast<int>(li));
    EXPECT_EQ(l.n_expert, 8);
    EXPECT_EQ(l.experts_per_token, 2);
    EXPECT_EQ(l.tokens, 300);
    int64_t total = 0;
    double weights = 0;
    for (int64_t c : l.count) total += c;
    for (double w : l.weight_sum) weights += w;
    EXPECT_EQ(total, 300 * 2) << "layer " << l.layer;
    EXPECT_NEAR(weights, 300.0, 1e-3);  // norm_topk_prob: each token's gates sum to 1
    int64_t reuse = l.first_use + l.reuse_overflow;
    for (int64_t c : l.reuse_counts) reuse += c;
    EXPECT_EQ(reuse, total);
    EXPECT_LE(l.first_use, 8);
    // One token touches exactly k distinct experts; blocks never exceed n_expert.
    ASSERT_EQ(p->coverage_tokens[0], 1);
    EXPECT_EQ(l.coverage_blocks[0], 300);
    EXPECT_DOUBLE_EQ(l.coverage_sum[0] / 300.0, 2.0);
    for (size_t i = 0; i < p->coverage_tokens.size(); ++i)
      if (l.coverage_blocks[i]) { EXPECT_LE(l.coverage_sum[i] / double(l.coverage_blocks[i]), 8.0); }
    std::vector<int64_t> from_trace(8, 0);
    for (const auto& t : p->trace)
      for (int32_t e : t.experts[li]) ++from_trace[size_t(e)];
    EXPECT_EQ(from_trace, l.count);
  }
  EXPECT_EQ(p->trace[130].window, 1);
  EXPECT_EQ(p->trace[130].position, 2);

  std::ifstream sf(std::string(HEARTH_SOURCE_DIR) + "/docs/routing_profile.schema.json");
  const nlohmann::json schema = nlohmann::json::parse(sf);
  const nlohmann::json j = routing_profile_json(*p, "bundled", {});
  const auto problems = testing::check_schema(schema, j);
  EXPECT_TRUE(problems.empty()) << problems.front();
  EXPECT_EQ(j["version"], kRoutingProfileVersion);
}

TEST_F(BundledProfile, WindowStatisticsDoNotDependOnPrefillChunks) {
  RoutingProfileOptions a, b;
  a.ctx = b.ctx = 100;
  b.prefill_batch = 7;
  const std::vector<int32_t> ids(ids_.begin(), ids_.begin() + 150);
  auto pa = profile_routing(*loaded_->model, ids, a);
  auto pb = profile_routing(*loaded_->model, ids, b);
  ASSERT_TRUE(pa.is_ok() && pb.is_ok());
  for (size_t l = 0; l < pa->layers.size(); ++l) {
    EXPECT_EQ(pa->layers[l].count, pb->layers[l].count);
    EXPECT_EQ(pa->layers[l].reuse_counts, pb->layers[l].reuse_counts);
  }
}

TEST_F(BundledProfile, HeatmapPngAndErrors) {
  RoutingProfileOptions opt;
  auto p = profile_routing(*loaded_->model, std::vector<int32_t>(ids_.begin(), ids_.begin() + 40), opt);
  ASSERT_TRUE(p.is_ok());
  const auto panels = routing_heatmaps(*p);
  ASSERT_EQ(panels.size(), 2u);
  EXPECT_EQ(panels[0].n_rows, 4);
  EXPECT_EQ(panels[0].n_cols, 8);
  const std::string path = (std::filesystem::temp_directory_path() / ("hearth_profile_" + std::to_string(getpid()) + ".png")).string();
  ASSERT_TRUE(write_heatmap_png(path, panels).is_ok());
  png_image img{};
  img.version = PNG_IMAGE_VERSION;
  ASSERT_TRUE(png_image_begin_read_from_file(&img, path.c_str()));
  const HeatmapLayout L = heatmap_layout(panels);
  EXPECT_EQ(int(img.width), L.width);
  EXPECT_EQ(int(img.height), L.height);
  png_image_free(&img);
  std::filesystem::remove(path);

  EXPECT_FALSE(profile_routing(*loaded_->model, {}, opt).is_ok());
  opt.ctx = 4096;
  auto too_long = profile_routing(*loaded_->model, ids_, opt);
  ASSERT_FALSE(too_long.is_ok());
  EXPECT_NE(too_long.message().find("2048"), std::string::npos) << too_long.message();
}

}  // namespace
}  // namespace hearth
