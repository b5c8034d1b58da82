// Renders a conversation with the model's own chat template (tokenizer_config.json
// "chat_template", Jinja2 syntax as transformers uses it: trim_blocks, lstrip_blocks).
#pragma once

#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "src/base/status.h"

namespace hearth {

class Tokenizer;

class ChatTemplate {
 public:
  ChatTemplate();
  ~ChatTemplate();
  ChatTemplate(ChatTemplate&&) noexcept;
  ChatTemplate& operator=(ChatTemplate&&) noexcept;

  // From tokenizer_config.json; falls back to ChatML when the config has no template.
  static Result<ChatTemplate> from_tokenizer(const Tokenizer& tokenizer);
  static Result<ChatTemplate> chatml();

  // messages: [{"role": ..., "content": ...}, ...]; extra: additional variables
  // (enable_thinking, tools, ...). bos/eos tokens come from the tokenizer config.
  Result<std::string> render(const nlohmann::json& messages, bool add_generation_prompt,
                             const nlohmann::json& extra = nlohmann::json::object()) const;
  // Same, keeping the caller's key order (tojson output then matches Python exactly;
  // nlohmann::json sorts object keys).
  Result<std::string> render(const nlohmann::ordered_json& messages, bool add_generation_prompt,
                             const nlohmann::ordered_json& extra = nlohmann::ordered_json::object()) const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

// Splits a reasoning model's output into the <think>...</think> part and the answer.
struct ReasoningSplit {
  std::string reasoning;
  std::string answer;
};
ReasoningSplit split_reasoning(const std::string& text);

}  // namespace hearth
