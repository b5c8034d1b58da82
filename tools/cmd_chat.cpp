// `hearth chat`: a multi-turn conversation in the terminal, rendered with the model's chat
// template, answers streamed as they are generated. Reads piped stdin line by line too, so
// it can be scripted. Ctrl-C stops the current answer (twice at the prompt: quit).
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <memory>

#include "models/loader.h"
#include "src/engine/session.h"
#include "src/engine/text_stream.h"
#include "src/tokenizer/chat_template.h"
#include "tools/command.h"
#include "tools/common_options.h"
#include "tools/staged_reasoning_cli.h"

namespace hearth::tools {
namespace {

std::atomic<bool> g_interrupted{false};
std::atomic<bool> g_generating{false};

void on_sigint(int) {
  if (g_generating.load()) {
    g_interrupted.store(true);
    return;
  }
  const char msg[] = "\n";
  (void)!write(STDERR_FILENO, msg, sizeof(msg) - 1);
  _exit(130);
}

struct ChatArgs {
  ModelOptions model;
  std::string system;
  int32_t n_predict = 512;
  SamplerParams sampler;
  bool seed_given = false;
  StagedCliOptions staged;  // --verify-reasoning, --stage-template, --json
};

int run_chat(ChatArgs& a) {
  pick_seed(a.sampler, a.seed_given);
  auto loaded = models::load_model(a.model.model, /*with_tokenizer=*/true, load_options(a.model));
  if (!loaded) return fail("chat", loaded.message());
  const Tokenizer& tok = *loaded->tokenizer;
  auto tmpl = ChatTemplate::from_tokenizer(tok);
  if (!tmpl) return fail("chat", tmpl.message());

  const bool interactive = isatty(STDIN_FILENO);
  struct sigaction sa {};
  sa.sa_handler = on_sigint;
  sigaction(SIGINT, &sa, nullptr);

  Session session(*loaded->model, kPrefillBatch, a.model.kv);
  GenerateOptions opt;
  opt.max_tokens = a.n_predict;
  opt.stop_ids = end_of_generation_ids(*loaded->model, tok);
  opt.sampler = a.sampler;

  nlohmann::json messages = nlohmann::json::array();
  if (!a.system.empty()) messages.push_back({{"role", "system"}, {"content", a.system}});
  if (interactive)
    std::fprintf(stderr, "hearth chat: %s (%s). Type a message; /reset clears the history, /exit quits.\n",
                 loaded->weights->description().c_str(), loaded->model->info().architecture.c_str());
  std::string line;
  for (;;) {
    if (interactive) std::fputs("> ", stdout), std::fflush(stdout);
    if (!std::getline(std::cin, line)) break;
    if (line == "/exit" || line == "/quit") break;
    if (line == "/reset") {
      messages = nlohmann::json::array();
      if (!a.system.empty()) messages.push_back({{"role", "system"}, {"content", a.system}});
      session.reset();
      if (interactive) std::fputs("(history cleared)\n", stdout);
      continue;
    }
    if (line.empty()) continue;
    if (a.staged.verify) {  // four stages; the history keeps the question and the final answer
      g_interrupted = false;
      g_generating = true;
      auto staged = run_staged_cli(a.staged, session, tok, *tmpl, messages, line, opt, /*json_pretty=*/false,
                                   [] { return !g_interrupted.load(); });
      g_generating = false;
      if (!staged) return fail("chat", staged.message());
      if (staged->interrupted) std::fputs("(stopped)\n", stderr);
      messages.push_back({{"role", "user"}, {"content", line}});
      messages.push_back({{"role", "assistant"}, {"content", staged->final_answer}});
      continue;
    }
    messages.push_back({{"role", "user"}, {"content", line}});
    auto rendered = tmpl->render(messages, /*add_generation_prompt=*/true);
    if (!rendered) return fail("chat", rendered.message());
    const std::vector<int32_t> prompt = tok.encode(*rendered, /*add_special_tokens=*/false);

    TextStream stream(tok, {});
    std::string piece;
    g_interrupted = false;
    g_generating = true;
    auto result = session.generate(prompt, opt, [&](int32_t id) {
      stream.push(id, piece);
      std::fwrite(piece.data(), 1, piece.size(), stdout);
      std::fflush(stdout);
      return !g_interrupted.load();
    });
    g_generating = false;
    piece = stream.finish();
    std::fwrite(piece.data(), 1, piece.size(), stdout);
    std::fputc('\n', stdout);
    std::fflush(stdout);
    if (!result) return fail("chat", result.message());
    if (g_interrupted) std::fputs("(stopped)\n", stderr);
    // History keeps the answer without its reasoning, as the templates expect.
    messages.push_back({{"role", "assistant"}, {"content", split_reasoning(stream.text()).answer}});
  }
  return 0;
}

const CommandRegistration kRegistration({
    "chat",
    "Chat with a model in the terminal (default: the bundled tiny model); reads piped stdin too",
    [](CLI::App& app) {
      auto a = std::make_shared<ChatArgs>();
      add_model_options(app, a->model, /*required=*/false);
      add_kv_option(app, a->model.kv);
      app.add_option("--system", a->system, "System prompt placed before the conversation");
      app.add_option("-n,--n-predict", a->n_predict, "Maximum tokens per answer")
          ->capture_default_str()->check(CLI::PositiveNumber);
      add_sampling_options(app, a->sampler, &a->seed_given);
      add_staged_reasoning_options(app, a->staged);
      app.footer("In the conversation: /reset clears the history, /exit quits, Ctrl-C stops an answer.");
      return [a] { return run_chat(*a); };
    }});

}  // namespace
}  // namespace hearth::tools
