// `hearth bench --model FILE`: prompt processing (pp) and generation (tg) speed as medians of
// repetitions, the weight bytes one generated token reads, and (with --roofline) the same
// run's measured limits: DRAM read bandwidth (sum over a 1 GiB buffer, 1 and N threads) and the
// int8 vpdpbusd peak, so results read as ratios (benchmarks/RESULTS.md, ROOFLINE.md).
// Tokens come from real text (tests/data/corpus/valid.txt) unless --random.
// Not here: kernel micro-benchmarks (benchmarks/bench_kernels.cpp).
#include <omp.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>
#include <random>
#include <sstream>

#include <nlohmann/json.hpp>

#include "src/dispatch/kernel_dispatch.h"
#include "models/loader.h"
#include "src/ops/ops.h"
#include "tools/bench_concurrency.h"
#include "tools/command.h"
#include "tools/common_options.h"

namespace hearth::tools {
namespace {

using Clock = std::chrono::steady_clock;
double since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : (v.size() % 2 ? v[v.size() / 2] : 0.5 * (v[v.size() / 2 - 1] + v[v.size() / 2]));
}

struct BenchArgs {
  ModelOptions model;
  int n_prompt = 512, n_gen = 128, reps = 3;
  bool json = false, random = false, roofline = false;
  std::string text = "tests/data/corpus/valid.txt";
  std::vector<int> concurrency;  // sequences per level of the engine runs (none: skipped)
  int shared_prefix = 0;         // tokens every concurrent prompt starts with
  int concurrency_prompt = -1;   // prompt tokens per engine sequence (-1: -p)
  EngineOptions engine;
};

// Bytes and multiply-adds one generated token reads: every tensor, except that routed experts
// count k / n_expert of their bytes and an untied embedding only one row (a tied one is the
// LM head, read whole). lm_head_params: the LM head's share of params (prompt processing runs
// it for the last prompt token only, so its useful work counts it once per prompt).
struct PerToken { double bytes = 0, params = 0, lm_head_params = 0; };

PerToken per_token(const WeightSource& w) {
  const auto& cfg = w.config();
  const double n_expert = cfg.value("num_experts", cfg.value("num_local_experts", cfg.value("n_routed_experts", 0)));
  const double k = cfg.value("num_experts_per_tok", 0);
  const bool tied = !w.has_tensor("lm_head.weight");
  PerToken p;
  for (const std::string& name : w.tensor_names()) {
    auto t = w.tensor(name);
    if (!t) continue;
    double frac = 1.0;
    if (name.find(".experts.") != std::string::npos && n_expert > 0) frac = k / n_expert;
    const bool lookup = name.find("embed_tokens") != std::string::npos && !tied;  // one row, no math
    if (lookup) frac = 1.0 / static_cast<double>(t->rows());
    p.bytes += frac * static_cast<double>(t->nbytes);
    if (t->shape.size() == 2 && !lookup) p.params += frac * static_cast<double>(t->numel());
    const bool lm_head = name == "lm_head.weight" || (tied && name.find("embed_tokens") != std::string::npos);
    if (lm_head && t->shape.size() == 2) p.lm_head_params += static_cast<double>(t->numel());
  }
  return p;
}

struct Roofline { double bw1 = 0, bwn = 0, int8_1 = 0, int8_n = 0; };

// Raises r to the best of 10 passes over a 1 GiB buffer (GB/s) and of 10 int8 runs (GOP/s), at
// 1 thread and at `threads` (measured once when that is 1), as ROOFLINE.md measures its limits:
// fewer let one slow moment of a shared machine lower a limit and inflate every ratio against
// it (3 int8 runs once gave 1310 GOP/s against 1750 typical; 10 DRAM passes after the timed runs
// once gave 31.9 GB/s against 50: hence it runs before and after them).
void measure_roofline(int threads, Roofline& r) {
  const auto& probes = kernels::kernel_table().roofline;
  if (!probes.read_sum) return;
  const int64_t n = (int64_t{1} << 30) / 4;
  std::vector<float> buf(static_cast<size_t>(n), 1.0f);
  volatile float sink = 0;
  for (int nt : {1, threads}) {
    double& bw = nt == 1 ? r.bw1 : r.bwn;
    for (int rep = 0; rep < 10; ++rep) {
      const auto t0 = Clock::now();
#pragma omp parallel num_threads(nt)
      {
        const int64_t per = n / omp_get_num_threads(), b = per * omp_get_thread_num();
        sink = sink + probes.read_sum(buf.data() + b, per);
      }
      bw = std::max(bw, static_cast<double>(n) * 4 / since(t0) / 1e9);
    }
    double& ops = nt == 1 ? r.int8_1 : r.int8_n;
    const int64_t iters = 20'000'000;
    for (int rep = 0; rep < 10; ++rep) {
      const auto t0 = Clock::now();
#pragma omp parallel num_threads(nt)
      sink = sink + static_cast<float>(probes.int8_peak(iters));
      ops = std::max(ops, static_cast<double>(iters) * 12 * 128 * nt / since(t0) / 1e9);
    }
    if (threads == 1) {  // the N-thread limits are the 1-thread ones
      r.bwn = r.bw1;
      r.int8_n = r.int8_1;
      break;
    }
  }
}

std::vector<int32_t> bench_tokens(const BenchArgs& a, const models::LoadedModel& m, size_t need) {
  std::vector<int32_t> toks;
  if (!a.random && m.tokenizer) {
    std::ifstream f(a.text);
    std::stringstream ss;
    ss << f.rdbuf();
    if (!ss.str().empty()) toks = m.tokenizer->encode(ss.str(), false);
    else std::fprintf(stderr, "bench: %s not found; using random tokens\n", a.text.c_str());
  }
  std::mt19937 rng(1234);
  std::uniform_int_distribution<int32_t> dist(0, static_cast<int32_t>(m.model->info().n_vocab - 1));
  if (toks.empty()) toks.push_back(dist(rng));
  while (toks.size() < need) toks.push_back(a.random ? dist(rng) : toks[toks.size() % toks.size()]);
  toks.resize(need);
  return toks;
}

int run_bench(BenchArgs& a) {
  const int threads = a.model.threads > 0 ? a.model.threads : ops::num_threads();
  auto loaded = models::load_model(a.model.model, /*with_tokenizer=*/!a.random, load_options(a.model));
  if (!loaded) return fail("bench", loaded.message());
  Model& model = *loaded->model;
  if (a.concurrency_prompt < 0) a.concurrency_prompt = a.n_prompt;
  const int max_level = a.concurrency.empty() ? 0 : *std::max_element(a.concurrency.begin(), a.concurrency.end());
  const std::vector<int32_t> toks = bench_tokens(
      a, *loaded, static_cast<size_t>(std::max(a.n_prompt + a.n_gen, a.shared_prefix + a.concurrency_prompt * max_level)));
  const PerToken pt = per_token(model.weights());

  std::vector<double> pp, tg;
  std::vector<float> logits;
  // One cache for every run, emptied before each (its pages are kept, as a server's or a chat's
  // cache keeps them between requests; llama-bench clears its context the same way): the runs
  // time the model, not the first touch of fresh cache memory.
  KvCache cache(model.kv_layout(), a.model.kv);
  const int32_t seq = cache.add_sequence();
  // One prompt of n tokens in the emptied cache, as one batch; seconds it took.
  auto run_prompt = [&](int n) -> Result<double> {
    cache.truncate(seq, 0);
    Batch batch;
    for (int i = 0; i < n; ++i) batch.add(toks[static_cast<size_t>(i) % toks.size()], i, seq, i + 1 == n);
    const auto t0 = Clock::now();
    HEARTH_TRY(model.forward(batch, cache, logits));
    return since(t0);
  };
  // The limits are measured before and after the timed runs (the best of both).
  Roofline rl;
  if (a.roofline) measure_roofline(threads, rl);
  // Untimed warm-up: weights are packed for the kernels on their first use (docs/KERNELS.md).
  if (auto w = run_prompt(std::max(1, a.n_prompt > 0 ? a.n_prompt : std::min(a.n_gen, 16))); !w)
    return fail("bench", w.message());
  for (int rep = 0; rep < a.reps; ++rep) {
    if (a.n_prompt > 0) {
      auto s = run_prompt(a.n_prompt);
      if (!s) return fail("bench", s.message());
      pp.push_back(a.n_prompt / s.value());
    }
    if (a.n_gen > 0) {  // teacher-forced decode from an empty context, one token per step
      cache.truncate(seq, 0);
      Batch batch;
      const auto t0 = Clock::now();
      for (int i = 0; i < a.n_gen; ++i) {
        batch.clear();
        batch.add(toks[static_cast<size_t>(a.n_prompt + i)], i, seq, true);
        if (Status s = model.forward(batch, cache, logits); !s) return fail("bench", s.message());
      }
      tg.push_back(a.n_gen / since(t0));
    }
  }
  // The engine at each concurrency level: prompt i is its own run of the tokens, after the
  // shared prefix when there is one.
  std::vector<ConcurrencyLevel> levels;
  if (!a.concurrency.empty()) std::fprintf(stderr, "bench: %s\n", apply_default_kv_budget(a.engine).c_str());
  for (int n : a.concurrency) {
    std::vector<std::vector<int32_t>> prompts(static_cast<size_t>(n));
    for (int i = 0; i < n; ++i) {
      auto& p = prompts[static_cast<size_t>(i)];
      p.assign(toks.begin(), toks.begin() + a.shared_prefix);
      const auto begin = toks.begin() + a.shared_prefix + static_cast<long>(i) * a.concurrency_prompt;
      p.insert(p.end(), begin, begin + a.concurrency_prompt);
    }
    std::fprintf(stderr, "bench: %d sequences...\n", n);
    EngineOptions o = a.engine;
    o.kv = a.model.kv;
    if (o.max_sequences <= 0) o.max_sequences = n;  // all of them at once
    auto level = run_concurrency_level(model, o, prompts, a.n_gen);
    if (!level) return fail("bench", level.message());
    levels.push_back(*level);
  }
  if (a.roofline) measure_roofline(threads, rl);  // and after: a slow moment must hit both
  const double pp_med = median(pp), tg_med = median(tg);
  // Useful prompt work per token: every multiply-add of the layers, the LM head once per prompt.
  const double pp_params = pt.params - pt.lm_head_params + pt.lm_head_params / std::max(1, a.n_prompt);
  const double eff_bw = tg_med * pt.bytes / 1e9, pp_gops = pp_med * 2 * pp_params / 1e9;
  const double bw = rl.bwn, peak = rl.int8_n;  // at this run's thread count
  nlohmann::json j = {{"model", a.model.model}, {"tier", kernels::kernel_table().tier}, {"threads", threads},
                      {"n_prompt", a.n_prompt}, {"n_gen", a.n_gen}, {"repetitions", a.reps},
                      {"tokens", a.random ? "random" : "text"},
                      {"pp_tokens_per_s", pp_med}, {"tg_tokens_per_s", tg_med}, {"pp_runs", pp}, {"tg_runs", tg},
                      {"weight_bytes_per_token", pt.bytes}, {"params_per_token", pt.params},
                      {"pp_params_per_token", pp_params},
                      {"tg_effective_gb_per_s", eff_bw}, {"pp_useful_gop_per_s", pp_gops}};
  if (a.roofline)
    j.update({{"dram_read_gb_per_s_1t", rl.bw1}, {"dram_read_gb_per_s", rl.bwn}, {"int8_peak_gop_per_s_1t", rl.int8_1},
              {"int8_peak_gop_per_s", rl.int8_n}, {"tg_fraction_of_bw", bw > 0 ? eff_bw / bw : 0},
              {"pp_fraction_of_int8_peak", peak > 0 ? pp_gops / peak : 0}});
  if (!levels.empty()) {
    j["concurrency"] = nlohmann::json::array();
    for (const auto& l : levels) j["concurrency"].push_back(l.to_json());
    j["shared_prefix"] = a.shared_prefix;
    j["concurrency_prompt"] = a.concurrency_prompt;
    j["kv_budget_bytes"] = a.engine.kv_budget_bytes;
  }
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  j["peak_rss_bytes"] = static_cast<int64_t>(usage.ru_maxrss) * 1024;  // Linux reports KiB
  if (a.json) {
    std::printf("%s\n", j.dump(2).c_str());
    return 0;
  }
  std::printf("model %s, tier %s, %d threads, %s tokens\n", a.model.model.c_str(), kernels::kernel_table().tier.c_str(),
              threads, a.random ? "random" : "text");
  std::printf("weights read per generated token: %.1f MB (%.0f M params)\n", pt.bytes / 1e6, pt.params / 1e6);
  std::printf("pp%d: %8.1f tok/s  (%.0f useful GOP/s)\n", a.n_prompt, pp_med, pp_gops);
  std::printf("tg%d: %8.2f tok/s  (%.1f GB/s of weights)\n", a.n_gen, tg_med, eff_bw);
  if (a.roofline) {
    std::printf("limits: DRAM read %.1f GB/s (1 thread %.1f); int8 peak %.0f GOP/s (1 thread %.0f)\n", rl.bwn, rl.bw1,
                rl.int8_n, rl.int8_1);
    std::printf("tg: %.0f%% of DRAM read bandwidth; pp: %.1f%% of int8 peak\n", bw > 0 ? 100 * eff_bw / bw : 0,
                peak > 0 ? 100 * pp_gops / peak : 0);
  }
  if (!levels.empty()) {
    std::printf("engine, %d prompt and %d generated tokens per sequence%s:\n", a.concurrency_prompt, a.n_gen,
                a.shared_prefix > 0 ? (", after a shared prefix of " + std::to_string(a.shared_prefix) + " tokens").c_str() : "");
    std::printf("%9s %12s %12s %9s %9s %9s %9s %10s %8s %8s\n", "sequences", "gen tok/s", "e2e tok/s", "ttft p50",
                "ttft p95", "itl p50", "itl p95", "peak KV", "prefix", "preempt");
    for (const auto& l : levels)
      std::printf("%9lld %12.1f %12.1f %8.3fs %8.3fs %8.4fs %8.4fs %7.1f MiB %7.0f%% %8lld\n",
                  static_cast<long long>(l.sequences), l.generated_tokens_per_s, l.end_to_end_tokens_per_s, l.ttft_p50_s,
                  l.ttft_p95_s, l.itl_p50_s, l.itl_p95_s, static_cast<double>(l.peak_kv_bytes) / (1 << 20),
                  100 * l.prefix_hit_ratio, static_cast<long long>(l.preemptions));
  }
  return 0;
}

const CommandRegistration kRegistration({
    "bench",
    "Measure prompt-processing and generation speed (medians), optionally against measured limits",
    [](CLI::App& app) {
      auto a = std::make_shared<BenchArgs>();
      add_model_options(app, a->model, /*required=*/true);
      add_kv_option(app, a->model.kv);
      app.add_option("-p,--n-prompt", a->n_prompt, "Prompt tokens (pp)")->capture_default_str()->check(CLI::NonNegativeNumber);
      app.add_option("-n,--n-gen", a->n_gen, "Generated tokens (tg)")->capture_default_str()->check(CLI::NonNegativeNumber);
      app.add_option("-r,--repetitions", a->reps, "Repetitions (median reported)")->capture_default_str()->check(CLI::PositiveNumber);
      app.add_option("--text", a->text, "Text file the tokens come from")->capture_default_str();
      app.add_flag("--json", a->json, "Print JSON");
      app.add_flag("--random", a->random, "Random token ids instead of real text");
      app.add_flag("--roofline", a->roofline, "Also measure DRAM read bandwidth and the int8 peak");
      app.add_option("--concurrency", a->concurrency,
                     "Also run the serving engine with this many sequences at once, each level in turn "
                     "(e.g. 1,4,16,64,256; -p prompt and -n generated tokens per sequence)")
          ->delimiter(',')->check(CLI::PositiveNumber);
      app.add_option("--concurrency-prompt", a->concurrency_prompt,
                     "With --concurrency: prompt tokens per sequence (default: -p), so one run gives pp512 "
                     "beside the engine's figures at 128");
      app.add_option("--shared-prefix", a->shared_prefix,
                     "With --concurrency: every prompt starts with the same this many tokens (a system prompt)")
          ->check(CLI::NonNegativeNumber);
      a->engine.max_sequences = 0;  // each level runs all its sequences at once unless capped
      add_engine_options(app, a->engine);
      return [a] { return run_bench(*a); };
    }});

}  // namespace
}  // namespace hearth::tools
