#include "tools/common_options.h"

#include <cctype>
#include <cmath>
#include <filesystem>
#include <random>

#include "models/loader.h"
#include "src/engine/kv_budget.h"

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

Result<int64_t> parse_byte_size(const std::string& text) {
  const auto bad = [&] {
    return Status::errorf("'{}' is not a size: give bytes, or a number with K, M, G or T (powers of 1024), "
                          "e.g. 512M, 4G, 1.5GiB", text);
  };
  size_t used = 0;
  double value = 0;
  if (text.empty() || !(std::isdigit(static_cast<unsigned char>(text[0])) || text[0] == '.')) return bad();
  try {
    value = std::stod(text, &used);
  } catch (const std::exception&) {
    return bad();
  }
  std::string unit = text.substr(used);
  for (char& c : unit) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (unit.size() > 1 && unit.back() == 'B') unit.pop_back();  // "GB", "GIB"
  if (unit.size() > 1 && unit.back() == 'I') unit.pop_back();  // "GI"
  static const std::string kUnits = "BKMGT";                   // "B" alone: bytes
  const size_t power = unit.empty() ? 0 : kUnits.find(unit);
  if (unit.size() > 1 || power == std::string::npos) return bad();
  const double bytes = value * std::pow(1024.0, static_cast<double>(power));
  if (!(bytes >= 1 && bytes < 9.0e18)) return Status::errorf("'{}' is out of range: give at least 1 byte", text);
  return static_cast<int64_t>(bytes);
}

std::string format_bytes(int64_t bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(bytes);
  int u = 0;
  for (; v >= 1024 && u < 4; ++u) v /= 1024;
  return u == 0 ? fmt::format("{} B", bytes) : fmt::format("{:.2f} {}", v, units[u]);
}

void add_engine_options(CLI::App& app, EngineOptions& opt) {
  app.add_option_function<std::string>(
         "--kv-budget", [&opt](const std::string& s) { opt.kv_budget_bytes = parse_byte_size(s).value(); },
         "Memory for the KV cache of all sequences together, e.g. 512M, 4G, 1.5GiB (default: half of the "
         "available memory)")
      ->check(CLI::Validator([](std::string& s) { auto r = parse_byte_size(s); return r ? std::string() : r.message(); },
                             "SIZE"));
  app.add_option("--batch-tokens", opt.batch_tokens,
                 "Rows per forward pass: one per running sequence's next token, the rest chunks of waiting prompts")
      ->capture_default_str()->check(CLI::PositiveNumber);
  app.add_option("--max-sequences", opt.max_sequences, "Sequences generating at once")
      ->capture_default_str()->check(CLI::PositiveNumber);
}

std::string apply_default_kv_budget(EngineOptions& opt) {
  if (opt.kv_budget_bytes > 0) return "KV budget " + format_bytes(opt.kv_budget_bytes) + " (--kv-budget)";
  opt.kv_budget_bytes = default_kv_budget();
  if (opt.kv_budget_bytes == 0) return "KV budget: none (the available memory is unknown; --kv-budget sets one)";
  return "KV budget " + format_bytes(opt.kv_budget_bytes) + " (half of the available memory; --kv-budget to change)";
}

std::string served_model_name(const std::string& path) {
  if (path.empty() || path == models::kBundledModelName) return "tiny-qwen3-moe";
  std::filesystem::path p(path);
  if (!p.has_filename()) p = p.parent_path();
  return p.filename().string();
}

}  // namespace hearth::tools
