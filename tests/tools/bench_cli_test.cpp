// `hearth bench` through the command line on the bundled tiny Qwen3-MoE (bf16): the JSON keys
// the kernels issue names, the weight bytes one generated token reads against the checkpoint's
// own tensor sizes, the limits with --roofline, and clear errors for bad input.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "src/dispatch/kernel_dispatch.h"
#include "src/io/hf_checkpoint.h"
#include "tests/common/test_files.h"

namespace hearth {
namespace {

const std::string kModelDir = std::string(HEARTH_SOURCE_DIR) + "/models/tiny-qwen3-moe";
const std::string kText = std::string(HEARTH_TEST_DATA_DIR) + "/corpus/valid.txt";

nlohmann::json bench_json(const std::string& extra, int* exit_code) {
  auto r = test::run_hearth("bench -m " + kModelDir + " --text " + kText + " -t 1 --json " + extra + " 2>/dev/null");
  *exit_code = r.exit_code;
  const size_t brace = r.output.find('{');
  if (brace == std::string::npos) return nlohmann::json();
  return nlohmann::json::parse(r.output.substr(brace), nullptr, false);
}

// Bytes a decode step reads, from the checkpoint's tensor table: every tensor once, routed
// experts' tensors k / n_expert of theirs, the untied embedding one row.
double expected_bytes_per_token() {
  auto ck = HfCheckpoint::open_dir(kModelDir);
  EXPECT_TRUE(ck.is_ok());
  const auto& cfg = ck.value()->config();
  const double share = cfg["num_experts_per_tok"].get<double>() / cfg["num_experts"].get<double>();
  double bytes = 0;
  for (const std::string& name : ck.value()->tensor_names()) {
    const auto t = ck.value()->tensor(name);
    double b = static_cast<double>(t->nbytes);
    if (name.find(".mlp.experts.") != std::string::npos) b *= share;
    const bool tied = !ck.value()->has_tensor("lm_head.weight");  // then the embedding is the LM head
    if (name == "model.embed_tokens.weight" && !tied) b /= static_cast<double>(t->shape[0]);
    bytes += b;
  }
  return bytes;
}

TEST(BenchCli, JsonReportsSpeedsAndTheBytesATokenReads) {
  int rc = -1;
  const nlohmann::json j = bench_json("-p 16 -n 8 -r 2", &rc);
  ASSERT_EQ(rc, 0);
  ASSERT_TRUE(j.is_object()) << j;
  for (const char* key : {"pp_tokens_per_s", "tg_tokens_per_s", "weight_bytes_per_token", "params_per_token",
                          "pp_params_per_token", "tg_effective_gb_per_s", "pp_useful_gop_per_s", "pp_runs", "tg_runs"})
    EXPECT_TRUE(j.contains(key)) << key;
  EXPECT_GT(j["pp_tokens_per_s"].get<double>(), 0);
  EXPECT_GT(j["tg_tokens_per_s"].get<double>(), 0);
  EXPECT_EQ(j["pp_runs"].size(), 2u);
  EXPECT_EQ(j["tg_runs"].size(), 2u);
  EXPECT_NEAR(j["weight_bytes_per_token"].get<double>(), expected_bytes_per_token(), 1.0);
  // Effective bandwidth is bytes per token x tokens per second.
  EXPECT_NEAR(j["tg_effective_gb_per_s"].get<double>(),
              j["weight_bytes_per_token"].get<double>() * j["tg_tokens_per_s"].get<double>() / 1e9, 1e-6);
  EXPECT_FALSE(j.contains("dram_read_gb_per_s"));  // only with --roofline
}

TEST(BenchCli, RooflineAddsTheSameRunsLimitsAndRatios) {
  int rc = -1;
  const nlohmann::json j = bench_json("-p 8 -n 4 -r 1 --roofline", &rc);
  ASSERT_EQ(rc, 0);
  ASSERT_TRUE(j.is_object()) << j;
  // The probes need AVX-512 VNNI (whatever tier runs the model); without them the limits are 0.
  const bool probes = kernels::kernel_table().roofline.read_sum != nullptr;
  for (const char* key : {"dram_read_gb_per_s", "dram_read_gb_per_s_1t", "int8_peak_gop_per_s", "int8_peak_gop_per_s_1t"}) {
    ASSERT_TRUE(j.contains(key)) << key;
    if (probes) {
      EXPECT_GT(j[key].get<double>(), 0) << key;
    } else {
      EXPECT_EQ(j[key].get<double>(), 0) << key;
    }
  }
  if (probes) {
    EXPECT_NEAR(j["tg_fraction_of_bw"].get<double>(),
                j["tg_effective_gb_per_s"].get<double>() / j["dram_read_gb_per_s"].get<double>(), 1e-9);
  }
}

TEST(BenchCli, BadInputFailsWithAMessage) {
  auto r = test::run_hearth("bench -m /nonexistent.hearth 2>&1");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("does not exist"), std::string::npos) << r.output;
  r = test::run_hearth("bench -m " + kModelDir + " -r 0 2>&1");
  EXPECT_NE(r.exit_code, 0);
  r = test::run_hearth("bench 2>&1");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("--model"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace hearth
