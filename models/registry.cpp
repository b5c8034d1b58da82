#include "models/registry.h"

namespace hearth::models {

const std::vector<ArchitectureEntry>& architectures() {
  static const std::vector<ArchitectureEntry> table = {
      {"LlamaForCausalLM", build_llama, gqa_kv_plan},
      {"MistralForCausalLM", build_llama, gqa_kv_plan},
      {"Qwen2ForCausalLM", build_qwen2, gqa_kv_plan},
      {"Qwen3ForCausalLM", build_qwen3, gqa_kv_plan},
      {"MixtralForCausalLM", build_mixtral, gqa_kv_plan},
      {"Qwen3MoeForCausalLM", build_qwen3_moe, gqa_kv_plan},
      {"Qwen2MoeForCausalLM", build_qwen2_moe, gqa_kv_plan},
      {"DeepseekV2ForCausalLM", build_deepseek_v2, mla_kv_plan},
      {"DeepseekV3ForCausalLM", build_deepseek_v3, mla_kv_plan},
  };
  return table;
}

std::string supported_architectures() {
  std::string s;
  for (const auto& a : architectures()) s += (s.empty() ? "" : ", ") + std::string(a.name);
  return s;
}

namespace {

Result<const ArchitectureEntry*> find_architecture(const nlohmann::json& config, const std::string& where) {
  auto it = config.find("architectures");
  if (it == config.end() || !it->is_array() || it->empty() || !(*it)[0].is_string())
    return Status::errorf("{}/config.json: missing \"architectures\" list (supported: {})", where,
                          supported_architectures());
  const std::string name = (*it)[0].get<std::string>();
  for (const auto& a : architectures())
    if (name == a.name) return &a;
  return Status::errorf("{}: architecture '{}' is not supported (supported: {})", where, name,
                        supported_architectures());
}

}  // namespace

Result<std::unique_ptr<Model>> build_model(std::shared_ptr<const WeightSource> source, const LoadOptions& options) {
  auto arch = find_architecture(source->config(), source->description());
  HEARTH_TRY(arch);
  return (*arch)->build(std::move(source), options);
}

Result<KvPlan> kv_plan(const nlohmann::json& config, const std::string& where, const LoadOptions& options) {
  auto arch = find_architecture(config, where);
  HEARTH_TRY(arch);
  ConfigReader r(config, where + "/config.json");
  return (*arch)->kv_plan(r, options);
}

}  // namespace hearth::models
