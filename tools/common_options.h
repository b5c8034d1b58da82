// Options shared by the commands that run a model: --model, --threads, sampling.
#pragma once

#include <string>

#include <CLI/CLI.hpp>

#include "src/engine/sampler.h"
#include "src/model/kv_precision.h"

namespace hearth::tools {

struct ModelOptions {
  std::string model;  // "" = bundled
  int threads = 0;
  KvPrecision kv = KvPrecision::kF32;  // registered by add_kv_option where it applies
};

void add_model_options(CLI::App& app, ModelOptions& opt, bool required);
// --kv f32|bf16|q8: the precision KV cache rows are stored at.
void add_kv_option(CLI::App& app, KvPrecision& kv, const std::string& name = "--kv",
                   const std::string& whose = "KV cache");
void add_sampling_options(CLI::App& app, SamplerParams& params, bool* seed_given);
// Applies --threads; picks a random seed when none was given.
void apply_runtime_options(const ModelOptions& opt, SamplerParams& params, bool seed_given);

}  // namespace hearth::tools
