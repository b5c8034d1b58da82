// The converter's per-tensor decisions: tensor classes from Hugging Face names (Qwen3-MoE,
// DeepSeek-V3, Mixtral, dense), presets and the explicit --policy form with its errors,
// float fallback for rows that do not fit the block, --max-error escalation, natural order.
#include <gtest/gtest.h>

#include "src/convert/convert.h"
#include "src/convert/policy.h"

namespace hearth::convert {
namespace {

TEST(ConvertPolicy, ClassifiesHuggingFaceNames) {
  const std::pair<const char*, TensorClass> cases[] = {
      {"model.embed_tokens.weight", TensorClass::kEmbed},
      {"lm_head.weight", TensorClass::kLmHead},
      {"model.norm.weight", TensorClass::kNorm},
      {"model.layers.0.input_layernorm.weight", TensorClass::kNorm},
      {"model.layers.0.self_attn.q_norm.weight", TensorClass::kNorm},
      {"model.layers.0.self_attn.kv_a_layernorm.weight", TensorClass::kNorm},
      {"model.layers.0.self_attn.q_proj.weight", TensorClass::kAttn},
      {"model.layers.0.self_attn.kv_a_proj_with_mqa.weight", TensorClass::kAttn},
      {"model.layers.0.self_attn.q_proj.bias", TensorClass::kOther},
      {"model.layers.3.mlp.gate.weight", TensorClass::kRouter},
      {"model.layers.3.mlp.gate.e_score_correction_bias", TensorClass::kRouter},
      {"model.layers.3.mlp.shared_expert_gate.weight", TensorClass::kRouter},
      {"model.layers.3.block_sparse_moe.gate.weight", TensorClass::kRouter},
      {"model.layers.3.mlp.experts.7.down_proj.weight", TensorClass::kExperts},
      {"model.layers.3.block_sparse_moe.experts.1.w2.weight", TensorClass::kExperts},
      {"model.layers.3.mlp.shared_experts.up_proj.weight", TensorClass::kSharedExperts},
      {"model.layers.3.mlp.shared_expert.up_proj.weight", TensorClass::kSharedExperts},
      {"model.layers.0.mlp.gate_proj.weight", TensorClass::kMlp},
  };
  for (const auto& [name, cls] : cases) EXPECT_EQ(classify_tensor(name), cls) << name;
  // Tied embeddings: the one matrix is also the LM head.
  EXPECT_EQ(classify_tensor("model.embed_tokens.weight", /*embedding_is_lm_head=*/true), TensorClass::kLmHead);
  EXPECT_EQ(classify_tensor("model.layers.0.self_attn.q_proj.weight", true), TensorClass::kAttn);
}

TEST(ConvertPolicy, PresetsAndOverrides) {
  auto q8 = make_policy("q8", "");
  ASSERT_TRUE(q8);
  EXPECT_EQ(q8->format[int(TensorClass::kExperts)], Format::kQ8G32);
  EXPECT_EQ(q8->format[int(TensorClass::kLmHead)], Format::kQ8G32);
  EXPECT_EQ(q8->format[int(TensorClass::kEmbed)], std::nullopt);  // a lookup: kept
  EXPECT_EQ(q8->format[int(TensorClass::kRouter)], std::nullopt);
  EXPECT_EQ(q8->format[int(TensorClass::kNorm)], std::nullopt);
  auto q4 = make_policy("q4", "attn=q8g32,embed=keep, ");
  ASSERT_TRUE(q4) << q4.message();
  EXPECT_EQ(q4->format[int(TensorClass::kExperts)], Format::kQ4G32NL);
  EXPECT_EQ(q4->format[int(TensorClass::kAttn)], Format::kQ8G32);
  EXPECT_EQ(q4->format[int(TensorClass::kEmbed)], std::nullopt);
  EXPECT_NE(q4->describe().find("experts=q4g32nl"), std::string::npos);
  auto bad_class = make_policy("q8", "expert=q4g32");
  ASSERT_FALSE(bad_class);
  EXPECT_NE(bad_class.message().find("unknown tensor class 'expert'"), std::string::npos);
  auto bad_format = make_policy("q8", "experts=q3");
  ASSERT_FALSE(bad_format);
  EXPECT_NE(bad_format.message().find("unknown format 'q3'"), std::string::npos);
  EXPECT_FALSE(make_policy("q8", "experts"));
  EXPECT_FALSE(make_policy("q5", ""));
}

// The q4 preset holds 5.0 bpw: the q6g32 vocabulary matrices step down to q4g32nl (embedding
// first) only when the whole would exceed it, and never a class the user set.
TEST(ConvertPolicy, Q4BudgetStepsDownTheVocabularyMatrices) {
  const auto plan = [](int64_t vocab_rows) {
    return std::vector<TensorPlan>{{TensorClass::kExperts, Format::kBF16, {1000, 1024}},
                                   {TensorClass::kEmbed, Format::kBF16, {vocab_rows, 64}},
                                   {TensorClass::kLmHead, Format::kBF16, {vocab_rows, 64}},
                                   {TensorClass::kNorm, Format::kBF16, {1024}}};
  };
  auto small = make_policy("q4", "");
  ASSERT_TRUE(small);
  EXPECT_EQ(small->max_bpw, 5.0);
  EXPECT_EQ(fit_budget(*small, plan(1000)), "");  // vocab 2 x 64K of 1.15M params: 4.73 bpw
  EXPECT_EQ(small->format[int(TensorClass::kEmbed)], Format::kQ6G32);
  // Vocabulary matrices of 2 x 640K params next to 1M: the embedding steps down, then the LM head.
  auto large = make_policy("q4", "");
  const std::string changes = fit_budget(*large, plan(10000));
  EXPECT_NE(changes.find("embed q6g32 -> q4g32nl"), std::string::npos) << changes;
  EXPECT_EQ(large->format[int(TensorClass::kEmbed)], Format::kQ4G32NL);
  EXPECT_LE(planned_bpw(*large, plan(10000)), 5.0);
  auto huge = make_policy("q4", "");
  fit_budget(*huge, plan(40000));
  EXPECT_EQ(huge->format[int(TensorClass::kEmbed)], Format::kQ4G32NL);
  EXPECT_EQ(huge->format[int(TensorClass::kLmHead)], Format::kQ4G32NL);
  // The user's own classes stay as given, even over budget.
  auto user = make_policy("q4", "embed=q6g32,lm_head=q6g32");
  EXPECT_EQ(fit_budget(*user, plan(40000)), "");
  EXPECT_GT(planned_bpw(*user, plan(40000)), 5.0);
  auto q8 = make_policy("q8", "");
  EXPECT_EQ(fit_budget(*q8, plan(40000)), "");  // no budget
}

TEST(ConvertPolicy, FallsBackToFloatWhenTheBlockDoesNotFit) {
  auto p = make_policy("q4", "");
  ASSERT_TRUE(p);
  bool fallback = false;
  EXPECT_EQ(choose_format(*p, TensorClass::kExperts, Format::kBF16, {128, 64}, &fallback), Format::kQ4G32NL);
  EXPECT_FALSE(fallback);
  EXPECT_EQ(choose_format(*p, TensorClass::kExperts, Format::kBF16, {128, 100}, &fallback), Format::kBF16);
  EXPECT_TRUE(fallback);
  EXPECT_EQ(choose_format(*p, TensorClass::kOther, Format::kF32, {64}, &fallback), Format::kF32);  // 1-D
  EXPECT_FALSE(fallback);
  EXPECT_EQ(choose_format(*p, TensorClass::kNorm, Format::kF16, {4, 64}, &fallback), Format::kF16);
}

TEST(ConvertPolicy, EscalationLadder) {
  EXPECT_EQ(escalate_format(Format::kQ4G32NL, Format::kBF16), Format::kQ8G32);
  EXPECT_EQ(escalate_format(Format::kQ4G32, Format::kBF16), Format::kQ8G32);
  EXPECT_EQ(escalate_format(Format::kQ8G32, Format::kBF16), Format::kBF16);
  EXPECT_EQ(escalate_format(Format::kBF16, Format::kBF16), std::nullopt);
}

TEST(ConvertPolicy, NaturalOrderKeepsExpertsOfALayerTogether) {
  std::vector<std::string> names = {"model.layers.10.mlp.experts.2.up_proj.weight",
                                    "model.layers.2.mlp.experts.10.up_proj.weight",
                                    "model.layers.2.mlp.experts.9.up_proj.weight",
                                    "model.layers.2.mlp.experts.9.down_proj.weight"};
  std::sort(names.begin(), names.end(), natural_less);
  EXPECT_EQ(names, (std::vector<std::string>{"model.layers.2.mlp.experts.9.down_proj.weight",
                                             "model.layers.2.mlp.experts.9.up_proj.weight",
                                             "model.layers.2.mlp.experts.10.up_proj.weight",
                                             "model.layers.10.mlp.experts.2.up_proj.weight"}));
}

}  // namespace
}  // namespace hearth::convert
