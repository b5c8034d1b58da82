// The synth shapes against the architectures that read them: a checkpoint of each smoke shape
// (config.json and random weights from models/synth_*.h) builds with the Qwen3 / Qwen3-MoE
// builders, so the tensor list keeps the names and shapes they expect; the file holds exactly
// the listed tensors, in bf16, and is the same bytes when written twice.
// Not here: the benchmark shapes' speed (hearth bench), the safetensors format itself
// (safetensors_writer_test.cpp).
#include <gtest/gtest.h>

#include <fstream>

#include "models/registry.h"
#include "models/synth_shapes.h"
#include "models/synth_weights.h"
#include "src/io/hf_checkpoint.h"
#include "tests/common/test_files.h"

namespace hearth::models {
namespace {

using test::TempDir;

TEST(SynthShapes, TableAndLookup) {
  EXPECT_EQ(synth_shape_names(), "bench-qwen3-0.6b, bench-qwen3moe-1b, smoke-qwen3, smoke-qwen3moe");
  ASSERT_NE(find_synth_shape("smoke-qwen3moe"), nullptr);
  EXPECT_TRUE(find_synth_shape("smoke-qwen3moe")->moe);
  EXPECT_EQ(find_synth_shape("no-such-shape"), nullptr);
  // Qwen3-0.6B: 28 layers of 16 query / 8 kv heads of 128, tied embeddings of 151936 x 1024.
  const SynthShape& s = *find_synth_shape("bench-qwen3-0.6b");
  const auto tensors = synth_tensors(s);
  EXPECT_EQ(tensors.size(), 1 + 28 * 11 + 1u);
  int64_t params = 0;
  for (const auto& t : tensors) {
    int64_t n = 1;
    for (int64_t d : t.shape) n *= d;
    params += n;
  }
  EXPECT_EQ(params, 596049920);  // 0.6B with the embedding counted once
}

class SynthSmoke : public testing::TestWithParam<const char*> {};

TEST_P(SynthSmoke, BuildsWithItsArchitectureAndIsReproducible) {
  const SynthShape* shape = find_synth_shape(GetParam());
  ASSERT_NE(shape, nullptr);
  TempDir dir;
  std::ofstream(dir.file("config.json")) << synth_config(*shape).dump(2) << "\n";
  const auto tensors = synth_tensors(*shape);
  uint64_t last = 0, total = 0;
  ASSERT_TRUE(write_synth_weights(dir.file("model.safetensors"), tensors, [&](uint64_t w, uint64_t t) {
    EXPECT_GT(w, last);
    last = w;
    total = t;
  }));
  EXPECT_EQ(last, total);

  auto ck = HfCheckpoint::open_dir(dir.path());
  ASSERT_TRUE(ck) << ck.message();
  EXPECT_EQ((*ck)->tensor_names().size(), tensors.size());
  for (const auto& t : tensors) {
    auto v = (*ck)->tensor(t.name);
    ASSERT_TRUE(v) << v.message();
    EXPECT_EQ(v->format, Format::kBF16) << t.name;
    EXPECT_EQ(v->shape, t.shape) << t.name;
  }
  auto model = build_model(std::shared_ptr<const WeightSource>(std::move(ck.value())));
  ASSERT_TRUE(model) << model.message();
  EXPECT_EQ((*model)->info().architecture, shape->moe ? "Qwen3MoeForCausalLM" : "Qwen3ForCausalLM");

  ASSERT_TRUE(write_synth_weights(dir.file("again.safetensors"), tensors));
  EXPECT_EQ(test::read_file(dir.file("model.safetensors")), test::read_file(dir.file("again.safetensors")));
}

INSTANTIATE_TEST_SUITE_P(Shapes, SynthSmoke, testing::Values("smoke-qwen3", "smoke-qwen3moe"),
                         [](const auto& info) { return std::string(info.param) == "smoke-qwen3" ? "Dense" : "Moe"; });

}  // namespace
}  // namespace hearth::models
