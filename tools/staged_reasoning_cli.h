// The --verify-reasoning mode as `hearth generate` and `hearth chat` offer it: the options
// (--verify-reasoning, --stage-template NAME=FILE, --json) and the printing of the stages, as
// labelled sections streamed to stdout, or as one JSON object (docs/staged_reasoning.schema.json).
// Not here: the stages themselves (src/engine/staged_reasoning.h).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "src/engine/staged_reasoning.h"

namespace hearth::tools {

struct StagedCliOptions {
  bool verify = false;
  bool json = false;
  std::vector<std::string> templates;  // NAME=FILE
};

void add_staged_reasoning_options(CLI::App& app, StagedCliOptions& options);

// Runs the four stages for `question` after `history` and prints them; json_pretty indents the
// JSON (generate) instead of one object per line (chat). keep_going() == false stops a stage.
Result<StagedReasoningResult> run_staged_cli(const StagedCliOptions& cli, Session& session, const Tokenizer& tokenizer,
                                             const ChatTemplate& chat_template, const nlohmann::json& history,
                                             const std::string& question, const GenerateOptions& generate,
                                             bool json_pretty, const std::function<bool()>& keep_going);

}  // namespace hearth::tools
