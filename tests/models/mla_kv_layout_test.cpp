// KV cache size of DeepSeek-V3/R1 as published (tests/data/configs/deepseek-v3-671b.json: 61
// layers, 128 heads, kv_lora_rank 512, qk_nope 128, qk_rope 64, v_head 128), computed by the
// layout function the model itself uses (mla_kv_layout) and KvCache's own sizes: absorbed MLA caches 512 + 64 values
// per token and layer; a plain MHA cache 128 x (192 + 128). The figures are in docs/DEEPSEEK.md.
#include <gtest/gtest.h>

#include <array>
#include <fstream>

#include <nlohmann/json.hpp>

#include "models/registry.h"
#include "src/model/kv_cache.h"
#include "src/model/mla_layout.h"

namespace hearth {
namespace {

MlaDims published_v3() {
  std::ifstream in(std::string(HEARTH_TEST_DATA_DIR) + "/configs/deepseek-v3-671b.json");
  const auto j = nlohmann::json::parse(in);
  ConfigReader r(j, "deepseek-v3-671b.json");
  const MlaDims d = read_mla_dims(r);
  EXPECT_TRUE(r.status().is_ok()) << r.status().message();
  EXPECT_EQ(r.require_int("num_hidden_layers"), 61);
  return d;
}

TEST(MlaKvLayout, DeepseekV3PublishedFigures) {
  const MlaDims d = published_v3();
  EXPECT_EQ(d.n_head, 128);
  EXPECT_EQ(d.q_lora_rank, 1536);
  EXPECT_EQ(d.kv_lora_rank, 512);
  const KvCacheLayout absorbed = mla_kv_layout(d, 61, MlaForm::kAbsorbed);
  const KvCacheLayout plain = mla_kv_layout(d, 61, MlaForm::kPlain);
  ASSERT_EQ(absorbed.k_width.size(), 61u);
  EXPECT_EQ(absorbed.k_width[0], 576);
  EXPECT_EQ(absorbed.v_width[0], 0);
  EXPECT_EQ(plain.k_width[0], 128 * 192);
  EXPECT_EQ(plain.v_width[0], 128 * 128);

  // Bytes per position, all 61 layers, as KvCache allocates them: f32, bf16, and q8 (one byte
  // per value plus a 2-byte scale per 32 values: 576 -> 576 + 18 * 2).
  const std::pair<KvPrecision, std::array<int64_t, 2>> per_token[] = {
      {KvPrecision::kF32, {61 * 576 * 4, 61 * 40960 * 4}},
      {KvPrecision::kBf16, {61 * 576 * 2, 61 * 40960 * 2}},
      {KvPrecision::kQ8, {61 * (576 + 18 * 2), 61 * (40960 + 1280 * 2)}}};
  for (const auto& [precision, bytes] : per_token) {
    SCOPED_TRACE(std::string(kv_precision_name(precision)));
    const KvCache abs_cache(absorbed, precision), plain_cache(plain, precision);
    EXPECT_EQ(abs_cache.bytes_per_token(), bytes[0]);
    EXPECT_EQ(plain_cache.bytes_per_token(), bytes[1]);
    // 32K and 128K positions are whole pages: exactly n x bytes per position.
    EXPECT_EQ(abs_cache.bytes_for_positions(32768), 32768 * bytes[0]);
    EXPECT_EQ(abs_cache.bytes_for_positions(131072), 131072 * bytes[0]);
    EXPECT_EQ(plain_cache.bytes_for_positions(131072), 131072 * bytes[1]);
  }
  EXPECT_EQ(KvCache(absorbed).bytes_for_positions(131072), 18421383168);  // 17.2 GiB
  EXPECT_EQ(KvCache(plain).bytes_for_positions(131072), 1309965025280);   // 1220 GiB
  EXPECT_EQ(KvCache(absorbed, KvPrecision::kQ8).bytes_for_positions(1), 256 * 61 * 612);  // one page
}

TEST(MlaKvLayout, PlanFromConfigIsTheModelsLayout) {
  std::ifstream in(std::string(HEARTH_TEST_DATA_DIR) + "/configs/deepseek-v3-671b.json");
  const auto j = nlohmann::json::parse(in);
  auto plan = models::kv_plan(j, "deepseek-v3-671b");
  ASSERT_TRUE(plan) << plan.message();
  const KvCacheLayout absorbed = mla_kv_layout(published_v3(), 61, MlaForm::kAbsorbed);
  EXPECT_EQ(plan->cached.k_width, absorbed.k_width);
  EXPECT_EQ(plan->cached.v_width, absorbed.v_width);
  EXPECT_EQ(plan->mha.k_width, std::vector<int64_t>(61, 128 * 192));
  EXPECT_EQ(plan->mha.v_width, std::vector<int64_t>(61, 128 * 128));
}

TEST(MlaKvLayout, NullQLoraRankAndErrors) {
  nlohmann::json j = {{"num_attention_heads", 16}, {"q_lora_rank", nullptr}, {"kv_lora_rank", 512},
                      {"qk_nope_head_dim", 128}, {"qk_rope_head_dim", 64}, {"v_head_dim", 128}};
  ConfigReader r(j, "lite");
  const MlaDims d = read_mla_dims(r);
  EXPECT_TRUE(r.status().is_ok()) << r.status().message();
  EXPECT_EQ(d.q_lora_rank, 0);
  j["qk_rope_head_dim"] = 63;
  ConfigReader odd(j, "odd");
  read_mla_dims(odd);
  ASSERT_FALSE(odd.status().is_ok());
  EXPECT_NE(odd.status().message().find("qk_rope_head_dim"), std::string::npos);
  j.erase("kv_lora_rank");
  ConfigReader missing(j, "missing");
  read_mla_dims(missing);
  ASSERT_FALSE(missing.status().is_ok());
  EXPECT_NE(missing.status().message().find("kv_lora_rank"), std::string::npos);
}

}  // namespace
}  // namespace hearth
