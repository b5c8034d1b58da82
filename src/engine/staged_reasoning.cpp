// Running the four stages of staged reasoning verification (see staged_reasoning.h).
#include "src/engine/staged_reasoning.h"

#include <chrono>

#include "src/base/size.h"
#include "src/engine/text_stream.h"

namespace hearth {
namespace {

struct Turn {            // what the previous stage left in the conversation
  std::string rendered;  // its prompt as text
  std::vector<int32_t> tokens;  // its prompt tokens + every generated token
  std::string generated;        // the generated text, as detokenised
};

// The prompt of the next stage. When the rendered conversation starts with the previous prompt
// followed by the model's own output verbatim, those tokens are kept as generated and only the
// rest is tokenised, so the cache holds all of it; otherwise (e.g. a template that drops the
// reasoning of earlier turns) the whole text is tokenised and the cache reuses what still matches.
std::vector<int32_t> stage_prompt(const Tokenizer& tok, const std::string& rendered, const Turn* prev, bool& spliced) {
  spliced = false;
  if (prev && !prev->tokens.empty() && rendered.size() >= prev->rendered.size() + prev->generated.size() &&
      rendered.compare(0, prev->rendered.size(), prev->rendered) == 0 &&
      rendered.compare(prev->rendered.size(), prev->generated.size(), prev->generated) == 0) {
    const std::string rest = rendered.substr(prev->rendered.size() + prev->generated.size());
    std::vector<int32_t> ids = prev->tokens;
    const std::vector<int32_t> tail = tok.encode(rest, /*add_special_tokens=*/false);
    ids.insert(ids.end(), tail.begin(), tail.end());
    spliced = true;
    return ids;
  }
  return tok.encode(rendered, /*add_special_tokens=*/false);
}

}  // namespace

const char* stop_reason_name(StopReason stop) {
  switch (stop) {
    case StopReason::kMaxTokens: return "max_tokens";
    case StopReason::kEos: return "eos";
    case StopReason::kCallback: return "stopped";
    case StopReason::kContextFull: return "context_full";
  }
  return "unknown";
}

Result<StagedReasoningResult> run_staged_reasoning(Session& session, const Tokenizer& tokenizer,
                                                   const ChatTemplate& chat_template,
                                                   const nlohmann::json& history, const std::string& question,
                                                   const StagedReasoningOptions& options,
                                                   const StageObserver& observer) {
  if (question.find_first_not_of(" \t\r\n") == std::string::npos)
    return Status::error("the question is empty: staged reasoning needs something to answer");
  if (!history.is_array()) return Status::error("internal: history must be a JSON array of messages");
  StagedReasoningResult result;
  result.question = question;
  nlohmann::json messages = history;
  nlohmann::json values = {{"question", question}};
  Turn prev;
  bool have_prev = false;

  for (int stage = 0; stage < kStageCount; ++stage) {
    const std::string name = kStageNames[to_size(stage)];
    auto user = fill_stage_template(options.templates.text(stage), values);
    if (!user) return user.status().with_context(name + " stage template");
    messages.push_back({{"role", "user"}, {"content", *user}});
    auto rendered = chat_template.render(messages, /*add_generation_prompt=*/true, options.template_extra);
    if (!rendered) return rendered.status().with_context(name + " stage");

    StageResult sr;
    sr.name = name;
    const std::vector<int32_t> prompt = stage_prompt(tokenizer, *rendered, have_prev ? &prev : nullptr, sr.spliced);
    if (observer.on_begin) observer.on_begin(stage, name);

    TextStream stream(tokenizer, {});
    std::vector<int32_t> generated;
    std::string piece;
    bool stopped_by_observer = false;
    const auto t0 = std::chrono::steady_clock::now();
    auto gen = session.generate(prompt, options.generate, [&](int32_t id) {
      generated.push_back(id);
      stream.push(id, piece);
      if (!piece.empty() && observer.on_text && !observer.on_text(piece)) {
        stopped_by_observer = true;
        return false;
      }
      return true;
    });
    piece = stream.finish();
    if (!piece.empty() && observer.on_text) observer.on_text(piece);
    if (!gen) return gen.status().with_context(fmt::format("{} stage ({} of {})", name, stage + 1, kStageCount));
    sr.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const GenerateStats& st = gen.value();
    sr.prompt_tokens = static_cast<int64_t>(prompt.size());
    sr.cached_tokens = st.cached_tokens;
    sr.computed_prompt_tokens = st.prompt_tokens;
    sr.generated_tokens = static_cast<int64_t>(generated.size());
    sr.stop = st.stop;
    sr.raw = stream.text();
    const ReasoningSplit split = split_reasoning(sr.raw);
    sr.text = split.answer;
    sr.reasoning = split.reasoning;

    PrefixReuse& r = result.reuse;
    r.prompt_tokens += sr.prompt_tokens;
    r.cached_tokens += sr.cached_tokens;
    r.generated_tokens += sr.generated_tokens;
    r.computed_tokens += sr.computed_prompt_tokens + sr.generated_tokens;
    r.from_scratch_tokens += sr.prompt_tokens + sr.generated_tokens;
    if (observer.on_end) observer.on_end(sr);
    result.stages.push_back(sr);

    if (stopped_by_observer) {
      result.interrupted = true;
      break;
    }
    if (st.stop == StopReason::kContextFull && stage + 1 < kStageCount)
      return Status::errorf("the context ({} tokens) filled up during the {} stage; use a shorter question or "
                            "fewer tokens per stage (-n)", session.model().info().max_position, name);
    // The conversation continues with the model's full output; chat templates of reasoning
    // models drop the <think> part of earlier turns themselves.
    messages.push_back({{"role", "assistant"}, {"content", sr.raw}});
    values[name] = sr.text;
    prev.rendered = *rendered;
    prev.tokens = prompt;
    prev.tokens.insert(prev.tokens.end(), generated.begin(), generated.end());
    prev.generated = sr.raw;
    // Splice only when the text is exactly what the tokens say (no special tokens dropped).
    if (tokenizer.decode(generated, /*skip_special_tokens=*/false) != sr.raw) prev.tokens.clear();
    have_prev = true;
  }
  if (!result.stages.empty() && !result.interrupted) result.final_answer = result.stages.back().text;
  return result;
}

nlohmann::json staged_reasoning_json(const StagedReasoningResult& r) {
  nlohmann::json stages = nlohmann::json::array();
  for (const StageResult& s : r.stages)
    stages.push_back({{"name", s.name},
                      {"prompt_tokens", s.prompt_tokens},
                      {"cached_tokens", s.cached_tokens},
                      {"computed_prompt_tokens", s.computed_prompt_tokens},
                      {"generated_tokens", s.generated_tokens},
                      {"text", s.text},
                      {"reasoning", s.reasoning},
                      {"seconds", s.seconds},
                      {"stop", stop_reason_name(s.stop)},
                      {"prompt_spliced", s.spliced}});
  const PrefixReuse& p = r.reuse;
  return {{"format", "hearth.staged_reasoning"},
          {"version", kStagedReasoningVersion},
          {"question", r.question},
          {"stages", std::move(stages)},
          {"final", r.final_answer},
          {"interrupted", r.interrupted},
          {"prefix_reuse",
           {{"prompt_tokens", p.prompt_tokens},
            {"cached_tokens", p.cached_tokens},
            {"generated_tokens", p.generated_tokens},
            {"computed_tokens", p.computed_tokens},
            {"from_scratch_tokens", p.from_scratch_tokens},
            {"saved_tokens", p.saved_tokens()},
            {"saved_fraction", p.saved_fraction()}}}};
}

}  // namespace hearth
