// KV cache size of DeepSeek-V3/R1 as published (tests/data/configs/deepseek-v3-671b.json: 61
// layers, 128 heads, kv_lora_rank 512, qk_nope 128, qk_rope 64, v_head 128), computed by the
// layout function the model itself uses (mla_kv_layout): absorbed MLA caches 512 + 64 values
// per token and layer; a plain MHA cache 128 x (192 + 128). The figures are in docs/DEEPSEEK.md.
#include <gtest/gtest.h>

#include <fstream>

#include <nlohmann/json.hpp>

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

  // Bytes per token, all 61 layers, float32 rows (what KvCache stores) and bf16.
  EXPECT_EQ(kv_bytes_per_token(absorbed), 140544);     // 61 * 576 * 4
  EXPECT_EQ(kv_bytes_per_token(absorbed, 2), 70272);
  EXPECT_EQ(kv_bytes_per_token(plain), 9994240);       // 61 * 40960 * 4
  EXPECT_EQ(kv_bytes_per_token(plain, 2), 4997120);
  // 32K and 128K tokens of context.
  EXPECT_EQ(kv_bytes_per_token(absorbed) * 32768, 4605345792);        // 4.29 GiB
  EXPECT_EQ(kv_bytes_per_token(absorbed) * 131072, 18421383168);      // 17.2 GiB
  EXPECT_EQ(kv_bytes_per_token(plain) * 32768, 327491256320);         // 305 GiB
  EXPECT_EQ(kv_bytes_per_token(plain) * 131072, 1309965025280);       // 1220 GiB
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
