// Staged reasoning verification: four turns of one conversation on the same model and Session,
//   1. draft          the model answers the question;
//   2. self_check     it examines its draft's logic step by step and lists errors;
//   3. counterfactual it tests the answer against an altered premise or an alternative answer
//                     and says whether the draft survives;
//   4. final          it reconciles the three into the final answer.
// Each stage's user message comes from a replaceable template (variables {{question}},
// {{draft}}, {{self_check}}, {{counterfactual}}; docs/TRANSPARENCY.md). Every stage's prompt
// extends the previous conversation, so the Session's KV cache reuses the shared prefix; where
// the rendered conversation repeats the model's own output verbatim, the generated tokens are
// kept as they were (no re-tokenisation), so the whole previous turn is reused. The result
// reports tokens computed against a from-scratch run of every stage.
// Engine level: front ends (generate, chat, later batch and server) call run_staged_reasoning.
// Not here: printing (the observer does that), sampling policy (GenerateOptions).
#pragma once

#include <array>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "src/base/size.h"
#include "src/engine/session.h"
#include "src/tokenizer/chat_template.h"
#include "src/tokenizer/tokenizer.h"

namespace hearth {

inline constexpr int kStageCount = 4;
inline constexpr std::array<const char*, kStageCount> kStageNames = {"draft", "self_check", "counterfactual",
                                                                    "final"};
inline constexpr int kStagedReasoningVersion = 1;

// The user-message template of each stage, in kStageNames order.
class StageTemplates {
 public:
  static StageTemplates defaults();
  // Replaces one stage's template after checking its variables: unknown names, and a stage's
  // own or a later stage's output, are errors that list what the stage may use.
  Status set(const std::string& stage, const std::string& text);
  // "name=FILE" (the --stage-template option): reads FILE and calls set.
  Status set_from_spec(const std::string& spec);
  const std::string& text(int stage) const { return text_[to_size(stage)]; }

 private:
  std::array<std::string, kStageCount> text_;
};

// The default template of a stage (the repository's defaults; see staged_reasoning_templates.cpp).
const std::string& default_stage_template(int stage);
// Variables a stage's template may use.
std::vector<std::string> stage_variables(int stage);
// Fills {{name}} placeholders; `values` maps names to text. Unknown names are an error.
Result<std::string> fill_stage_template(const std::string& text, const nlohmann::json& values);

struct StageResult {
  std::string name;
  int64_t prompt_tokens = 0;           // the stage's whole prompt (conversation so far + its message)
  int64_t cached_tokens = 0;           // of those, reused from the KV cache
  int64_t computed_prompt_tokens = 0;  // of those, computed
  int64_t generated_tokens = 0;
  bool spliced = false;                // the previous turn's tokens were kept verbatim
  std::string raw;                     // the model's output as generated
  std::string text;                    // the answer part (split_reasoning)
  std::string reasoning;               // the <think> part ("" when none)
  double seconds = 0;
  StopReason stop = StopReason::kMaxTokens;
};

struct PrefixReuse {
  int64_t prompt_tokens = 0;        // sum of the stages' prompt lengths
  int64_t cached_tokens = 0;        // prompt tokens reused from the cache
  int64_t generated_tokens = 0;
  int64_t computed_tokens = 0;      // prompt tokens computed + generated tokens
  int64_t from_scratch_tokens = 0;  // every stage from an empty cache: prompt tokens + generated tokens
  int64_t saved_tokens() const { return from_scratch_tokens - computed_tokens; }
  double saved_fraction() const {
    return from_scratch_tokens ? static_cast<double>(saved_tokens()) / static_cast<double>(from_scratch_tokens) : 0.0;
  }
};

struct StagedReasoningResult {
  std::string question;
  std::vector<StageResult> stages;
  std::string final_answer;  // the final stage's answer part
  PrefixReuse reuse;
  bool interrupted = false;  // the observer stopped a stage; later stages did not run
};

// Streaming view of the stages (the terminal prints them as labelled sections).
struct StageObserver {
  std::function<void(int stage, const std::string& name)> on_begin;
  std::function<bool(const std::string& piece)> on_text;  // false stops the run
  std::function<void(const StageResult&)> on_end;
};

struct StagedReasoningOptions {
  GenerateOptions generate;         // per stage: max_tokens, stop ids, sampler
  StageTemplates templates = StageTemplates::defaults();
  nlohmann::json template_extra = nlohmann::json::object();  // chat-template variables (enable_thinking...)
};

// history: earlier messages of the conversation ([{"role", "content"}...], may be empty); the
// stages are appended after it. Errors: empty question, template or tokenizer problems, the
// context filling up before the final stage (the message says which stage).
Result<StagedReasoningResult> run_staged_reasoning(Session& session, const Tokenizer& tokenizer,
                                                   const ChatTemplate& chat_template,
                                                   const nlohmann::json& history, const std::string& question,
                                                   const StagedReasoningOptions& options,
                                                   const StageObserver& observer = {});

// The documented JSON object (docs/staged_reasoning.schema.json).
nlohmann::json staged_reasoning_json(const StagedReasoningResult& result);
const char* stop_reason_name(StopReason stop);

}  // namespace hearth
