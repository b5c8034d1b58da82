#include "models/registry.h"

namespace hearth::models {

const std::vector<ArchitectureEntry>& architectures() {
  static const std::vector<ArchitectureEntry> table = {
      {"LlamaForCausalLM", build_llama},
      {"MistralForCausalLM", build_llama},
      {"Qwen2ForCausalLM", build_qwen2},
      {"Qwen3ForCausalLM", build_qwen3},
      {"MixtralForCausalLM", build_mixtral},
      {"Qwen3MoeForCausalLM", build_qwen3_moe},
      {"Qwen2MoeForCausalLM", build_qwen2_moe},
      {"DeepseekV2ForCausalLM", build_deepseek_v2},
      {"DeepseekV3ForCausalLM", build_deepseek_v3},
  };
  return table;
}

std::string supported_architectures() {
  std::string s;
  for (const auto& a : architectures()) s += (s.empty() ? "" : ", ") + std::string(a.name);
  return s;
}

Result<std::unique_ptr<Model>> build_model(std::shared_ptr<const WeightSource> source) {
  const nlohmann::json& config = source->config();
  auto it = config.find("architectures");
  if (it == config.end() || !it->is_array() || it->empty() || !(*it)[0].is_string())
    return Status::errorf("{}/config.json: missing \"architectures\" list (supported: {})",
                          source->description(), supported_architectures());
  const std::string name = (*it)[0].get<std::string>();
  for (const auto& a : architectures())
    if (name == a.name) return a.build(std::move(source));
  return Status::errorf("{}: architecture '{}' is not supported (supported: {})",
                        source->description(), name, supported_architectures());
}

}  // namespace hearth::models
