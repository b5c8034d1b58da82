// The benchmark checkpoints `hearth synth` writes, as architecture knowledge: the Qwen3 and
// Qwen3-MoE shapes (those of ROOFLINE.md, bench-qwen3-0.6b and bench-qwen3moe-1b, and two
// small smoke shapes), the Hugging Face config.json of each, and the tensors a checkpoint of
// that shape holds: HF names in file order, shapes, and the scale of each tensor's random values
// (models/synth.py's initialisation: linear N(0, 1/fan_in); norms 1 + 0.1 N; head 2/sqrt(fan_in)).
// The names and shapes are the ones models/qwen3.cpp and models/qwen3_moe.cpp read (through
// arch_common.cpp); tests/models/synth_shapes_test.cpp builds both smoke shapes to keep them so.
// Not here: random values and writing files (synth_weights.h), the tokenizer (tools/),
// test checkpoints with references (models/synth.py).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace hearth::models {

struct SynthShape {
  const char* name;
  bool moe;  // Qwen3-MoE (every layer sparse) instead of dense Qwen3
  int64_t n_embd, n_layer, n_ff, n_head, n_head_kv, head_dim, n_vocab;
  int64_t n_expert, n_expert_used;  // 0 when dense; n_ff is then the expert width
  bool tie_embeddings;
};

std::span<const SynthShape> synth_shapes();
// The shape called name, or null.
const SynthShape* find_synth_shape(const std::string& name);
// "bench-qwen3-0.6b, bench-qwen3moe-1b, ..." for messages and --help.
std::string synth_shape_names();

// config.json and generation_config.json of the shape (bf16, Qwen3 defaults).
nlohmann::json synth_config(const SynthShape& s);
nlohmann::json synth_generation_config(const SynthShape& s);

struct SynthTensor {
  std::string name;            // as in the HF checkpoint
  std::vector<int64_t> shape;  // e.g. [n_head * head_dim][n_embd] for q_proj
  float gain;                  // values: offset + gain * N(0, 1)
  float offset;
};

// Every tensor of the shape's checkpoint, in file order.
std::vector<SynthTensor> synth_tensors(const SynthShape& s);

}  // namespace hearth::models
