// Options shared by the commands that run a model: --model, --threads, sampling.
#pragma once

#include <string>

#include <CLI/CLI.hpp>

#include "src/engine/sampler.h"
#include "src/model/load_options.h"
#include "src/model/kv_precision.h"

namespace hearth::tools {

struct ModelOptions {
  std::string model;  // "" = bundled
  int threads = 0;
  MlaForm mla = MlaForm::kAbsorbed;
  KvPrecision kv = KvPrecision::kF32;  // registered by add_kv_option where it applies
};

// --model, --threads, --mla.
void add_model_options(CLI::App& app, ModelOptions& opt, bool required);
// --threads and --mla alone (for commands whose models come from other flags).
void add_load_options(CLI::App& app, int& threads, MlaForm& mla);
// What the model is built with.
LoadOptions load_options(int threads, MlaForm mla);
inline LoadOptions load_options(const ModelOptions& opt) { return load_options(opt.threads, opt.mla); }
// --kv f32|bf16|q8: the precision KV cache rows are stored at.
void add_kv_option(CLI::App& app, KvPrecision& kv, const std::string& name = "--kv",
                   const std::string& whose = "KV cache");
void add_sampling_options(CLI::App& app, SamplerParams& params, bool* seed_given);
// Picks a random seed when none was given.
void pick_seed(SamplerParams& params, bool seed_given);

}  // namespace hearth::tools
