// Options shared by the commands that run a model: --model, --threads, sampling, and the
// serving engine's limits (--kv-budget, --batch-tokens, --max-sequences).
#pragma once

#include <cstdint>
#include <string>

#include <CLI/CLI.hpp>

#include "src/base/status.h"
#include "src/engine/engine.h"
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

// --kv-budget SIZE, --batch-tokens N, --max-sequences N into `opt` (batch, serve, bench). An
// unset budget stays 0; apply_default_kv_budget fills it in.
void add_engine_options(CLI::App& app, EngineOptions& opt);
// With no budget given: default_kv_budget() (half the available memory). Returns the line to
// print at start, e.g. "KV budget 7.50 GiB (half of the available memory; --kv-budget to change)".
std::string apply_default_kv_budget(EngineOptions& opt);
// "512M", "4G", "1.5GiB", "64k", "1000000": bytes. K, M, G, T are powers of 1024, with or
// without "B" / "iB" after them (memory sizes, as free and top count them).
Result<int64_t> parse_byte_size(const std::string& text);
// The "model" of API responses whose request names none: the folder or file name of --model
// ("tiny-qwen3-moe" for the bundled model).
std::string served_model_name(const std::string& model_path);
// Bytes for people: "512 B", "1.50 KiB", "7.25 GiB".
std::string format_bytes(int64_t bytes);

}  // namespace hearth::tools
