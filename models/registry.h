// The table of supported architectures (config.json "architectures"[0] -> builder), and the
// entry point that turns a weight source into a runnable Model.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "src/io/weight_source.h"
#include "src/model/config_reader.h"
#include "src/model/load_options.h"
#include "src/model/model.h"

namespace hearth::models {

using ArchitectureBuilder = Result<std::unique_ptr<Model>> (*)(std::shared_ptr<const WeightSource>,
                                                               const LoadOptions& options);

// What an architecture caches per token, from config.json alone (no weights): the layout the
// model builds its KvCache with, and for comparison the layout of a plain multi-head cache
// (every head's full key and value).
struct KvPlan {
  std::string form;  // e.g. "GQA 8 kv heads", "MLA absorbed"
  KvCacheLayout cached;
  KvCacheLayout mha;
};
using KvPlanner = Result<KvPlan> (*)(ConfigReader& config, const LoadOptions& options);

struct ArchitectureEntry {
  const char* name;  // as in config.json "architectures"
  ArchitectureBuilder build;
  KvPlanner kv_plan;
};

const std::vector<ArchitectureEntry>& architectures();
std::string supported_architectures();  // comma-separated, for messages

// Builds the model described by the source's config.json, as the options say.
Result<std::unique_ptr<Model>> build_model(std::shared_ptr<const WeightSource> source,
                                           const LoadOptions& options = {});

// The KV plan of the architecture config.json names; `where` labels errors.
Result<KvPlan> kv_plan(const nlohmann::json& config, const std::string& where, const LoadOptions& options = {});

// Planners: decoders with grouped-query attention (arch_common.cpp), and MLA (deepseek.cpp).
Result<KvPlan> gqa_kv_plan(ConfigReader& config, const LoadOptions& options);
Result<KvPlan> mla_kv_plan(ConfigReader& config, const LoadOptions& options);

// Builders, one per architecture file.
Result<std::unique_ptr<Model>> build_llama(std::shared_ptr<const WeightSource> src, const LoadOptions& opt);
Result<std::unique_ptr<Model>> build_qwen2(std::shared_ptr<const WeightSource> src, const LoadOptions& opt);
Result<std::unique_ptr<Model>> build_qwen3(std::shared_ptr<const WeightSource> src, const LoadOptions& opt);
Result<std::unique_ptr<Model>> build_mixtral(std::shared_ptr<const WeightSource> src, const LoadOptions& opt);
Result<std::unique_ptr<Model>> build_qwen3_moe(std::shared_ptr<const WeightSource> src, const LoadOptions& opt);
Result<std::unique_ptr<Model>> build_qwen2_moe(std::shared_ptr<const WeightSource> src, const LoadOptions& opt);
Result<std::unique_ptr<Model>> build_deepseek_v2(std::shared_ptr<const WeightSource> src, const LoadOptions& opt);
Result<std::unique_ptr<Model>> build_deepseek_v3(std::shared_ptr<const WeightSource> src, const LoadOptions& opt);

}  // namespace hearth::models
