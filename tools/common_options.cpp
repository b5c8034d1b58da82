#include "tools/common_options.h"

#include <random>

#include "models/loader.h"

namespace hearth::tools {

void add_model_options(CLI::App& app, ModelOptions& opt, bool required) {
  auto* m = app.add_option("-m,--model", opt.model,
                           required ? "Model: a Hugging Face folder (config.json, *.safetensors, tokenizer.json)"
                                    : "Model: a Hugging Face folder; default: the bundled tiny-qwen3-moe");
  if (required) m->required();
  add_load_options(app, opt.threads, opt.mla);
}

void add_load_options(CLI::App& app, int& threads, MlaForm& mla) {
  app.add_option("-t,--threads", threads, "Worker threads (default: all cores)")->check(CLI::NonNegativeNumber);
  app.add_option_function<std::string>(
         "--mla", [&mla](const std::string& s) {
           if (auto form = parse_mla_form(s)) mla = *form;
         },
         "DeepSeek's multi-head latent attention: absorbed (caches the compressed latent; the fast form) "
         "or plain (per-head keys and values, as Hugging Face computes it; the test reference)")
      ->check(CLI::IsMember({"absorbed", "plain"}))
      ->default_str("absorbed");
}

LoadOptions load_options(int threads, MlaForm mla) {
  LoadOptions o;
  o.threads = threads;
  o.mla = mla;
  return o;
}

void add_kv_option(CLI::App& app, KvPrecision& kv, const std::string& name, const std::string& whose) {
  std::vector<std::string> names;
  for (KvPrecision p : kKvPrecisions) names.emplace_back(kv_precision_name(p));
  app.add_option_function<std::string>(
         name, [&kv](const std::string& s) { kv = parse_kv_precision(s).value_or(KvPrecision::kF32); },
         whose + " precision: f32 (exact), bf16 (half the memory) or q8 (int8 with a float16 scale per 32 "
         "values, about 0.27x of f32)")
      ->check(CLI::IsMember(names))
      ->default_str("f32");
}

void add_sampling_options(CLI::App& app, SamplerParams& p, bool* seed_given) {
  app.add_option("--temp", p.temperature, "Sampling temperature; 0 = greedy (deterministic)")
      ->capture_default_str()->check(CLI::NonNegativeNumber);
  app.add_option("--top-k", p.top_k, "Keep the k most likely tokens; 0 = all")->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  app.add_option("--top-p", p.top_p, "Nucleus sampling: smallest set with this probability mass; 1 = off")
      ->capture_default_str()->check(CLI::Range(0.0, 1.0));
  app.add_option("--min-p", p.min_p, "Drop tokens less likely than min-p x the best token's probability; 0 = off")
      ->capture_default_str()->check(CLI::Range(0.0, 1.0));
  app.add_option("--repeat-penalty", p.repeat_penalty, "Penalty (> 1) for tokens among the last --repeat-last-n; 1 = off")
      ->capture_default_str()->check(CLI::PositiveNumber);
  app.add_option("--repeat-last-n", p.repeat_last_n, "Window of the repetition penalty in tokens; -1 = all")
      ->capture_default_str();
  app.add_option_function<uint64_t>(
      "--seed", [&p, seed_given](uint64_t s) { p.seed = s; *seed_given = true; },
      "Random seed; the same seed gives the same output (default: random)");
}

void pick_seed(SamplerParams& params, bool seed_given) {
  if (!seed_given) params.seed = std::random_device{}();
}

}  // namespace hearth::tools
