// ChatTemplate: parses tokenizer_config.json's "chat_template" once (Jinja2 subset, see
// src/jinja/ast.h) and renders conversations with the variables transformers passes
// (special tokens from the config, messages, add_generation_prompt, extra kwargs).
// Falls back to ChatML when the config has no template. Not here: reasoning split
// (reasoning.cpp) and tokenization of the result.
#include "src/tokenizer/chat_template.h"

#include "src/jinja/ast.h"
#include "src/jinja/interpreter.h"
#include "src/tokenizer/tokenizer.h"

namespace hearth {

using json = nlohmann::json;

// transformers' default ChatML template (PreTrainedTokenizerBase.default_chat_template).
static constexpr const char* kChatMl =
    "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + "
    "'<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}";

struct ChatTemplate::Impl {
  std::string source;
  jinja::Body root;
  jinja::Dict special_tokens;  // bos_token, eos_token, ... from tokenizer_config
};

ChatTemplate::ChatTemplate() = default;
ChatTemplate::~ChatTemplate() = default;
ChatTemplate::ChatTemplate(ChatTemplate&&) noexcept = default;
ChatTemplate& ChatTemplate::operator=(ChatTemplate&&) noexcept = default;

namespace {

std::string line_of(const std::string& source, int line) {
  size_t start = 0;
  for (int k = 1; k < line && start != std::string::npos; ++k) {
    start = source.find('\n', start);
    if (start != std::string::npos) ++start;
  }
  if (start == std::string::npos) return "";
  std::string l = source.substr(start, source.find('\n', start) - start);
  if (l.size() > 160) l = l.substr(0, 160) + "...";
  return l;
}

std::string describe(const jinja::Error& e, const std::string& source) {
  if (e.line <= 0) return std::string("chat template: ") + e.what();
  return "chat template line " + std::to_string(e.line) + ": " + e.what() + " (in: " + line_of(source, e.line) + ")";
}

Result<std::unique_ptr<ChatTemplate::Impl>> build(std::string source, jinja::Dict special_tokens, std::unique_ptr<ChatTemplate::Impl> impl) {
  impl->source = std::move(source);
  impl->special_tokens = std::move(special_tokens);
  try {
    impl->root = jinja::parse_template(impl->source);
  } catch (const jinja::Error& e) {
    return Status::error(describe(e, impl->source));
  } catch (const std::exception& e) {
    return Status::errorf("chat template: cannot parse: {}", e.what());
  }
  return impl;
}

}  // namespace

Result<ChatTemplate> ChatTemplate::from_tokenizer(const Tokenizer& tokenizer) {
  json config = json::object();
  if (!tokenizer.config_json().empty()) {
    config = json::parse(tokenizer.config_json(), nullptr, false);
    if (config.is_discarded() || !config.is_object()) return Status::error("tokenizer_config.json is not a JSON object");
  }
  std::string source = kChatMl;
  if (auto it = config.find("chat_template"); it != config.end() && !it->is_null()) {
    if (it->is_string()) {
      source = it->get<std::string>();
    } else if (it->is_array()) {  // [{"name": "default", "template": ...}, ...]
      bool found = false;
      for (const auto& t : *it) {
        if (t.is_object() && t.value("name", "") == "default" && t.contains("template") && t["template"].is_string()) {
          source = t["template"].get<std::string>();
          found = true;
        }
      }
      if (!found) return Status::error("tokenizer_config.json chat_template list has no entry named \"default\"");
    } else {
      return Status::error("tokenizer_config.json \"chat_template\" must be a string or a list of named templates");
    }
  }
  jinja::Dict special;
  for (const char* key : {"bos_token", "eos_token", "unk_token", "pad_token", "sep_token", "cls_token", "mask_token"}) {
    auto it = config.find(key);
    if (it == config.end() || it->is_null()) continue;
    if (it->is_string()) special.emplace_back(key, jinja::Value::string(it->get<std::string>()));
    else if (it->is_object() && it->contains("content")) special.emplace_back(key, jinja::Value::from_json((*it)["content"]));
  }
  if (auto it = config.find("additional_special_tokens"); it != config.end() && it->is_array()) {
    jinja::List items;
    for (const auto& t : *it) {
      if (t.is_string()) items.push_back(jinja::Value::string(t.get<std::string>()));
      else if (t.is_object() && t.contains("content")) items.push_back(jinja::Value::from_json(t["content"]));
    }
    special.emplace_back("additional_special_tokens", jinja::Value::make_list(std::move(items)));
  }
  auto r = build(std::move(source), std::move(special), std::make_unique<Impl>());
  if (!r) return r.status();
  ChatTemplate t;
  t.impl_ = std::move(r).value();
  return t;
}

Result<ChatTemplate> ChatTemplate::chatml() {
  auto r = build(kChatMl, {}, std::make_unique<Impl>());
  if (!r) return r.status();
  ChatTemplate t;
  t.impl_ = std::move(r).value();
  return t;
}

namespace {

template <typename Json>
Result<std::string> render_impl(const ChatTemplate::Impl* impl, const Json& messages, bool add_generation_prompt,
                                const Json& extra) {
  if (!impl) return Status::error("chat template is empty (not loaded)");
  if (!messages.is_array()) return Status::errorf("expected \"messages\" to be a JSON array, found {}", messages.type_name());
  if (!extra.is_null() && !extra.is_object()) {
    return Status::errorf("expected extra template variables as a JSON object, found {}", extra.type_name());
  }
  jinja::Dict vars = impl->special_tokens;
  vars.emplace_back("messages", jinja::Value::from_json(messages));
  vars.emplace_back("add_generation_prompt", jinja::Value::boolean(add_generation_prompt));
  if (extra.is_object()) {
    for (auto it = extra.begin(); it != extra.end(); ++it) vars.emplace_back(it.key(), jinja::Value::from_json(it.value()));
  }
  try {
    return jinja::render(impl->root, vars);
  } catch (const jinja::Error& e) {
    return Status::error(describe(e, impl->source));
  } catch (const std::exception& e) {
    return Status::errorf("chat template: {}", e.what());
  }
}

}  // namespace

Result<std::string> ChatTemplate::render(const json& messages, bool add_generation_prompt, const json& extra) const {
  return render_impl(impl_.get(), messages, add_generation_prompt, extra);
}

Result<std::string> ChatTemplate::render(const nlohmann::ordered_json& messages, bool add_generation_prompt,
                                         const nlohmann::ordered_json& extra) const {
  return render_impl(impl_.get(), messages, add_generation_prompt, extra);
}

}  // namespace hearth
