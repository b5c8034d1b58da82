// Options shared by the commands that run a model: --model, --threads, sampling.
#pragma once

#include <string>

#include <CLI/CLI.hpp>

#include "src/engine/sampler.h"

namespace hearth::tools {

struct ModelOptions {
  std::string model;  // "" = bundled
  int threads = 0;
};

void add_model_options(CLI::App& app, ModelOptions& opt, bool required);
void add_sampling_options(CLI::App& app, SamplerParams& params, bool* seed_given);
// Applies --threads; picks a random seed when none was given.
void apply_runtime_options(const ModelOptions& opt, SamplerParams& params, bool seed_given);

}  // namespace hearth::tools
