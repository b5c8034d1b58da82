// `hearth verify` and `hearth inspect` through the command line on a q8 conversion of the
// bundled tiny Qwen3-MoE: the JSON report's keys, a KL bound, --max-kl's exit code, the
// model against itself (KL 0, top-1 100%), inspect --verify on a good and a corrupt file.
#include <gtest/gtest.h>

#include <filesystem>

#include "src/io/hearth_file.h"
#include "tests/unit/test_files.h"

namespace hearth {
namespace {

const std::string kModelDir = std::string(HEARTH_SOURCE_DIR) + "/models/tiny-qwen3-moe";
const std::string kText = std::string(HEARTH_TEST_DATA_DIR) + "/corpus/valid.txt";

class VerifyCli : public ::testing::Test {
 protected:
  void SetUp() override {
    model_ = dir_.file("q8.hearth");
    auto r = test::run_hearth("convert " + kModelDir + " -o " + model_ + " --quant q8 -q");
    ASSERT_EQ(r.exit_code, 0) << r.output;
  }
  nlohmann::json verify_json(const std::string& model, const std::string& extra, int* exit_code) {
    auto r = test::run_hearth("verify --model " + model + " --reference " + kModelDir + " --text " + kText +
                              " --max-tokens 1024 --ctx 256 --json " + extra + " 2>/dev/null");
    *exit_code = r.exit_code;
    const size_t brace = r.output.find('{');
    if (brace == std::string::npos) return nlohmann::json();
    return nlohmann::json::parse(r.output.substr(brace), nullptr, false);
  }
  test::TempDir dir_;
  std::string model_;
};

TEST_F(VerifyCli, JsonReportHasTheKeysAndQ8StaysClose) {
  int rc = -1;
  const nlohmann::json j = verify_json(model_, "", &rc);
  ASSERT_EQ(rc, 0);
  ASSERT_TRUE(j.is_object()) << j;
  for (const char* key : {"ppl_reference", "ppl_model", "kl_mean", "kl_median", "kl_p99", "kl_max",
                          "top1_agreement", "mean_abs_dp_correct", "tokens", "scored", "layers"})
    EXPECT_TRUE(j.contains(key)) << key;
  EXPECT_EQ(j["tokens"], 1024);
  EXPECT_EQ(j["scored"], 4 * 255);  // every predicted position of each 256-token window
  EXPECT_EQ(j["layers"].size(), 4u);
  EXPECT_LT(j["kl_mean"].get<double>(), 0.002);
  EXPECT_GT(j["top1_agreement"].get<double>(), 0.97);
  EXPECT_GT(j["layers"][3]["hidden_cos_mean"].get<double>(), 0.99);
  EXPECT_NEAR(j["ppl_model"].get<double>(), j["ppl_reference"].get<double>(), 0.02 * j["ppl_reference"].get<double>());
}

TEST_F(VerifyCli, MaxKlFailsTheRunAndTheReferenceAgainstItselfIsExact) {
  int rc = -1;
  verify_json(model_, "--max-kl 0", &rc);
  EXPECT_EQ(rc, 1);
  const nlohmann::json self = verify_json(kModelDir, "--max-kl 0", &rc);
  EXPECT_EQ(rc, 0);
  EXPECT_EQ(self["kl_mean"].get<double>(), 0.0);
  EXPECT_EQ(self["top1_agreement"].get<double>(), 1.0);
}

TEST_F(VerifyCli, InspectShowsTensorsAndVerifiesChecksums) {
  auto r = test::run_hearth("inspect " + model_ + " --verify");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("q8g32"), std::string::npos);
  EXPECT_NE(r.output.find("model.layers.3.mlp.experts.7.down_proj.weight"), std::string::npos);
  EXPECT_NE(r.output.find("all 135 tensors match"), std::string::npos) << r.output;

  auto file = HearthFile::open(model_);
  ASSERT_TRUE(file);
  const uint64_t at = (*file)->index().tensors.back().offset + 3;
  file.value().reset();
  std::string bytes = test::read_file(model_);
  bytes[at] = static_cast<char>(bytes[at] ^ 0x40);
  test::write_file(model_, bytes);
  auto bad = test::run_hearth("inspect " + model_ + " --verify --no-tensors");
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.output.find("checksum mismatch"), std::string::npos) << bad.output;
}

}  // namespace
}  // namespace hearth
