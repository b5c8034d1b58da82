// `hearth generate`: one prompt in, the streamed continuation out (stdout); speeds on stderr.
#include <cstdio>
#include <memory>

#include "models/loader.h"
#include "src/engine/session.h"
#include "src/engine/text_stream.h"
#include "tools/command.h"
#include "tools/common_options.h"
#include "tools/staged_reasoning_cli.h"

namespace hearth::tools {
namespace {

struct GenerateArgs {
  ModelOptions model;
  std::string prompt;
  int32_t n_predict = 128;
  bool ignore_eos = false;
  bool no_special = false;
  std::vector<std::string> stops;
  SamplerParams sampler;
  bool seed_given = false;
  StagedCliOptions staged;  // --verify-reasoning, --stage-template, --json
};

int run_generate(GenerateArgs& a) {
  pick_seed(a.sampler, a.seed_given);
  auto loaded = models::load_model(a.model.model, /*with_tokenizer=*/true, load_options(a.model));
  if (!loaded) return fail("generate", loaded.message());
  const Tokenizer& tok = *loaded->tokenizer;
  const std::vector<int32_t> prompt = tok.encode(a.prompt, !a.no_special);
  if (prompt.empty()) return fail("generate", "the prompt is empty after tokenization; give some text with --prompt");

  Session session(*loaded->model, kPrefillBatch, a.model.kv);
  GenerateOptions opt;
  opt.max_tokens = a.n_predict;
  opt.ignore_eos = a.ignore_eos;
  opt.stop_ids = end_of_generation_ids(*loaded->model, tok);
  opt.sampler = a.sampler;

  if (a.staged.verify) {  // the prompt is the question of a chat conversation
    auto tmpl = ChatTemplate::from_tokenizer(tok);
    if (!tmpl) return fail("generate", tmpl.message());
    auto staged = run_staged_cli(a.staged, session, tok, *tmpl, nlohmann::json::array(), a.prompt, opt,
                                 /*json_pretty=*/true, {});
    return staged ? 0 : fail("generate", staged.message());
  }

  TextStream stream(tok, a.stops);
  std::string piece;
  auto result = session.generate(prompt, opt, [&](int32_t id) {
    const bool go_on = stream.push(id, piece);
    std::fwrite(piece.data(), 1, piece.size(), stdout);
    std::fflush(stdout);
    return go_on;
  });
  piece = stream.finish();
  std::fwrite(piece.data(), 1, piece.size(), stdout);
  std::fputc('\n', stdout);
  std::fflush(stdout);
  if (!result) return fail("generate", result.message());
  const GenerateStats& s = result.value();
  std::fprintf(stderr, "prompt: %lld tokens in %.3f s (%.1f tok/s); generation: %lld tokens in %.3f s (%.1f tok/s); load %.3f s\n",
               static_cast<long long>(s.prompt_tokens), s.prompt_seconds,
               s.prompt_seconds > 0 ? s.prompt_tokens / s.prompt_seconds : 0.0,
               static_cast<long long>(s.generated_tokens), s.generate_seconds,
               s.generate_seconds > 0 ? s.generated_tokens / s.generate_seconds : 0.0, loaded->load_seconds);
  return 0;
}

const CommandRegistration kRegistration({
    "generate",
    "Continue a prompt and stream the text to stdout (prompt/generation speed on stderr)",
    [](CLI::App& app) {
      auto a = std::make_shared<GenerateArgs>();
      a->sampler.temperature = 0.7f;
      add_model_options(app, a->model, /*required=*/false);
      add_kv_option(app, a->model.kv);
      app.add_option("-p,--prompt", a->prompt, "Prompt text (used as is; no chat template)")->required();
      app.add_option("-n,--n-predict", a->n_predict, "Maximum number of tokens to generate")
          ->capture_default_str()->check(CLI::NonNegativeNumber);
      app.add_flag("--ignore-eos", a->ignore_eos, "Keep generating past end-of-sequence tokens");
      app.add_flag("--no-special", a->no_special, "Do not add the tokenizer's special tokens (BOS) to the prompt");
      app.add_option("--stop", a->stops, "Stop when this text appears (repeatable); it is not printed");
      add_sampling_options(app, a->sampler, &a->seed_given);
      add_staged_reasoning_options(app, a->staged);
      return [a] { return run_generate(*a); };
    }});

}  // namespace
}  // namespace hearth::tools
