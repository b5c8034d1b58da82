// The table of supported architectures (config.json "architectures"[0] -> builder), and the
// entry point that turns a weight source into a runnable Model.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "src/io/weight_source.h"
#include "src/model/model.h"

namespace hearth::models {

using ArchitectureBuilder = Result<std::unique_ptr<Model>> (*)(std::shared_ptr<const WeightSource>);

struct ArchitectureEntry {
  const char* name;  // as in config.json "architectures"
  ArchitectureBuilder build;
};

const std::vector<ArchitectureEntry>& architectures();
std::string supported_architectures();  // comma-separated, for messages

// Builds the model described by the source's config.json.
Result<std::unique_ptr<Model>> build_model(std::shared_ptr<const WeightSource> source);

// Builders, one per architecture file.
Result<std::unique_ptr<Model>> build_llama(std::shared_ptr<const WeightSource> src);
Result<std::unique_ptr<Model>> build_qwen2(std::shared_ptr<const WeightSource> src);
Result<std::unique_ptr<Model>> build_qwen3(std::shared_ptr<const WeightSource> src);
Result<std::unique_ptr<Model>> build_mixtral(std::shared_ptr<const WeightSource> src);
Result<std::unique_ptr<Model>> build_qwen3_moe(std::shared_ptr<const WeightSource> src);
Result<std::unique_ptr<Model>> build_qwen2_moe(std::shared_ptr<const WeightSource> src);
Result<std::unique_ptr<Model>> build_deepseek_v2(std::shared_ptr<const WeightSource> src);
Result<std::unique_ptr<Model>> build_deepseek_v3(std::shared_ptr<const WeightSource> src);

}  // namespace hearth::models
