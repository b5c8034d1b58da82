// --verify-reasoning options and output (see staged_reasoning_cli.h).
#include "tools/staged_reasoning_cli.h"

#include <cstdio>

namespace hearth::tools {

void add_staged_reasoning_options(CLI::App& app, StagedCliOptions& o) {
  CLI::Option* verify = app.add_flag("--verify-reasoning", o.verify,
               "Staged reasoning verification: draft, self-check, counterfactual check, final answer "
               "(one conversation through the chat template; docs/TRANSPARENCY.md)");
  app.add_option("--stage-template", o.templates,
                 "Replace a stage's prompt template: NAME=FILE, NAME one of draft, self_check, counterfactual, "
                 "final (repeatable; variables {{question}} {{draft}} {{self_check}} {{counterfactual}})")
      ->type_name("NAME=FILE")->needs(verify);
  app.add_flag("--json", o.json, "With --verify-reasoning: print the stages as one JSON object instead of text")
      ->needs(verify);
}

Result<StagedReasoningResult> run_staged_cli(const StagedCliOptions& cli, Session& session, const Tokenizer& tokenizer,
                                             const ChatTemplate& chat_template, const nlohmann::json& history,
                                             const std::string& question, const GenerateOptions& generate,
                                             bool json_pretty, const std::function<bool()>& keep_going) {
  StagedReasoningOptions opt;
  opt.generate = generate;
  for (const auto& spec : cli.templates) HEARTH_TRY(opt.templates.set_from_spec(spec));
  StageObserver obs;
  if (!cli.json) {
    obs.on_begin = [](int stage, const std::string& name) {
      std::fprintf(stdout, "=== stage %d/%d: %s ===\n", stage + 1, kStageCount, name.c_str());
      std::fflush(stdout);
    };
    obs.on_text = [&keep_going](const std::string& piece) {
      std::fwrite(piece.data(), 1, piece.size(), stdout);
      std::fflush(stdout);
      return keep_going ? keep_going() : true;
    };
    obs.on_end = [](const StageResult& s) {
      std::fputc('\n', stdout);
      if (!s.reasoning.empty())
        std::fprintf(stdout, "--- %s: reasoning %zu bytes (in <think>), answer %zu bytes ---\n", s.name.c_str(),
                     s.reasoning.size(), s.text.size());
      std::fflush(stdout);
      std::fprintf(stderr, "[%s] prompt %lld tokens (%lld cached, %lld computed), %lld generated, %.2f s, stop: %s\n",
                   s.name.c_str(), static_cast<long long>(s.prompt_tokens), static_cast<long long>(s.cached_tokens),
                   static_cast<long long>(s.computed_prompt_tokens), static_cast<long long>(s.generated_tokens),
                   s.seconds, stop_reason_name(s.stop));
    };
  } else if (keep_going) {
    obs.on_text = [&keep_going](const std::string&) { return keep_going(); };
  }
  auto result = run_staged_reasoning(session, tokenizer, chat_template, history, question, opt, obs);
  if (!result) return result;
  const StagedReasoningResult& r = *result;
  if (cli.json) {
    const std::string text = staged_reasoning_json(r).dump(json_pretty ? 2 : -1, ' ', false,
                                                           nlohmann::json::error_handler_t::replace);
    std::fprintf(stdout, "%s\n", text.c_str());
  } else {
    std::fprintf(stdout, "=== final answer ===\n%s\n", r.interrupted ? "(stopped before the final stage)"
                                                                      : r.final_answer.c_str());
  }
  std::fflush(stdout);
  const PrefixReuse& p = r.reuse;
  std::fprintf(stderr, "prefix reuse: computed %lld tokens; running each stage from scratch would compute %lld "
               "(saved %lld, %.1f%%)\n", static_cast<long long>(p.computed_tokens),
               static_cast<long long>(p.from_scratch_tokens), static_cast<long long>(p.saved_tokens()),
               100.0 * p.saved_fraction());
  return result;
}

}  // namespace hearth::tools
