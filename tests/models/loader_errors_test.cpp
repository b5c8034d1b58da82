// Bad input to the loader: each case must be a clear message and a non-zero exit, never a
// crash. Checked through the library (the message) and through the command (exit code).
#include <gtest/gtest.h>

#include <filesystem>

#include "models/loader.h"
#include "src/io/safetensors.h"
#include "tests/common/test_files.h"

namespace hearth {
namespace {

using test::RawTensor;

// Loads `dir` through the library and the CLI; both must fail mentioning `needle`.
void expect_load_error(const std::string& dir, const std::string& needle) {
  auto loaded = models::load_model(dir, /*with_tokenizer=*/false);
  ASSERT_FALSE(loaded) << "loading should fail for: " << needle;
  EXPECT_NE(loaded.message().find(needle), std::string::npos) << loaded.message();
  const auto r = test::run_hearth("logits --model " + dir + " --ids 1,2");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find(needle), std::string::npos) << r.output;
}

TEST(LoaderErrors, MissingConfig) {
  test::TempDir d;
  test::copy_bundled_model(d.path());
  std::filesystem::remove(d.file("config.json"));
  expect_load_error(d.path(), "config.json is missing");
}

TEST(LoaderErrors, MissingPath) { expect_load_error("/nonexistent/model", "does not exist"); }

// A regular file is read as a .hearth file; anything else that is not a folder is refused.
TEST(LoaderErrors, NotADirectory) { expect_load_error("/dev/null", "is not a directory"); }

TEST(LoaderErrors, MalformedConfigJson) {
  test::TempDir d;
  test::copy_bundled_model(d.path());
  test::write_file(d.file("config.json"), "{\"architectures\": [\"Qwen3MoeForCausalLM\",");
  expect_load_error(d.path(), "malformed JSON");
}

TEST(LoaderErrors, UnsupportedArchitectureListsSupported) {
  test::TempDir d;
  test::copy_bundled_model(d.path());
  auto cfg = nlohmann::json::parse(test::read_file(d.file("config.json")));
  cfg["architectures"] = {"GPTNeoXForCausalLM"};
  test::write_file(d.file("config.json"), cfg.dump());
  expect_load_error(d.path(), "architecture 'GPTNeoXForCausalLM' is not supported");
  expect_load_error(d.path(), "Qwen3MoeForCausalLM");
}

TEST(LoaderErrors, UnsupportedFieldValue) {
  test::TempDir d;
  test::copy_bundled_model(d.path());
  auto cfg = nlohmann::json::parse(test::read_file(d.file("config.json")));
  cfg["rope_scaling"] = {{"rope_type", "longrope"}, {"factor", 4.0}};
  test::write_file(d.file("config.json"), cfg.dump());
  expect_load_error(d.path(), "rope_scaling type 'longrope' is not supported");
}

TEST(LoaderErrors, TruncatedSafetensors) {
  test::TempDir d;
  test::copy_bundled_model(d.path());
  std::filesystem::resize_file(d.file("model.safetensors"), 200000);
  expect_load_error(d.path(), "(truncated?)");
}

TEST(LoaderErrors, TruncatedInsideHeader) {
  test::TempDir d;
  test::copy_bundled_model(d.path());
  std::filesystem::resize_file(d.file("model.safetensors"), 6);
  expect_load_error(d.path(), "shorter than the 8-byte header length");
}

TEST(LoaderErrors, ShapeMismatch) {
  test::TempDir d;
  test::copy_bundled_model(d.path());
  auto cfg = nlohmann::json::parse(test::read_file(d.file("config.json")));
  cfg["moe_intermediate_size"] = 96;
  test::write_file(d.file("config.json"), cfg.dump());
  expect_load_error(d.path(), "has shape [128, 128] but config.json implies [96, 128]");
}

TEST(LoaderErrors, MissingTensor) {
  test::TempDir d;
  test::copy_bundled_model(d.path());
  // Rewrite the checkpoint without one expert's down projection.
  const std::string bytes = test::read_file(d.file("model.safetensors"));
  auto index = SafetensorsIndex::parse({reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()}, "x");
  ASSERT_TRUE(index);
  std::vector<RawTensor> tensors;
  for (const auto& [name, e] : index->tensors()) {
    if (name == "model.layers.2.mlp.experts.5.down_proj.weight") continue;
    tensors.push_back({name, e.dtype, e.view.shape, std::string(reinterpret_cast<const char*>(e.view.data), e.view.nbytes), {}});
  }
  test::write_file(d.file("model.safetensors"), test::make_safetensors(tensors));
  expect_load_error(d.path(), "tensor 'model.layers.2.mlp.experts.5.down_proj.weight' is missing");
}

TEST(LoaderErrors, MissingShard) {
  test::TempDir d;
  test::copy_bundled_model(d.path());
  test::write_file(d.file("model.safetensors.index.json"),
                   R"({"weight_map": {"model.norm.weight": "model-00002-of-00002.safetensors"}})");
  expect_load_error(d.path(), "model-00002-of-00002.safetensors is missing");
}

// Header validation, directly on crafted files.
Status parse(const std::string& bytes) {
  auto r = SafetensorsIndex::parse({reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()}, "t.safetensors");
  return r.status();
}

TEST(SafetensorsHeader, AcceptsValidFile) {
  EXPECT_TRUE(parse(test::make_safetensors({{"a", "F32", {2, 2}, std::string(16, '\0'), {}},
                                            {"b", "BF16", {3}, std::string(6, '\0'), {}}})));
}

TEST(SafetensorsHeader, RejectsOverlap) {
  Status s = parse(test::make_safetensors({{"a", "F32", {2}, std::string(8, '\0'), {0, 8}},
                                           {"b", "F32", {2}, std::string(8, '\0'), {4, 12}}}));
  ASSERT_FALSE(s);
  EXPECT_NE(s.message().find("overlap"), std::string::npos) << s.message();
}

TEST(SafetensorsHeader, RejectsSizeMismatch) {
  Status s = parse(test::make_safetensors({{"a", "F16", {3, 3}, std::string(16, '\0'), {}}}));
  ASSERT_FALSE(s);
  EXPECT_NE(s.message().find("needs 18 bytes but data_offsets span 16"), std::string::npos) << s.message();
}

TEST(SafetensorsHeader, RejectsBadJsonAndTypes) {
  std::string bad = test::make_safetensors({{"a", "F32", {1}, std::string(4, '\0'), {}}});
  bad[8] = '#';
  EXPECT_FALSE(parse(bad));
  EXPECT_FALSE(parse(test::make_safetensors({{"a", "Q99", {1}, std::string(4, '\0'), {}}})));
  EXPECT_FALSE(parse(test::make_safetensors({{"a", "F32", {1}, std::string(4, '\0'), {8, 4}}})));
  std::string huge(8, '\xff');
  EXPECT_FALSE(parse(huge + "{}"));
}

}  // namespace
}  // namespace hearth
