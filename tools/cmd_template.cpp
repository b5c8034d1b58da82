// `hearth template`: renders conversations with the model's chat template. Reads JSON
// Lines {"messages": [...], "add_generation_prompt": bool, "kwargs": {...}} and writes
// {"rendered": "..."}. Thin: the work is hearth::ChatTemplate.
#include <iostream>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "src/tokenizer/chat_template.h"
#include "src/tokenizer/tokenizer.h"
#include "tools/command.h"

namespace hearth::tools {
namespace {

using json = nlohmann::ordered_json;  // keeps key order for tojson, as Python does

struct TemplateArgs {
  std::string tokenizer;
};

std::string render_line(const ChatTemplate& tmpl, const std::string& text, std::string& rendered) {
  json line = json::parse(text, nullptr, false);
  if (line.is_discarded() || !line.is_object()) return "expected a JSON object on this line";
  auto msgs = line.find("messages");
  if (msgs == line.end() || !msgs->is_array()) return "expected \"messages\": [{\"role\": ..., \"content\": ...}, ...]";
  bool add_generation_prompt = false;
  if (auto it = line.find("add_generation_prompt"); it != line.end() && !it->is_null()) {
    if (!it->is_boolean()) return "\"add_generation_prompt\" must be true or false";
    add_generation_prompt = it->get<bool>();
  }
  json kwargs = json::object();
  if (auto it = line.find("kwargs"); it != line.end() && !it->is_null()) {
    if (!it->is_object()) return "\"kwargs\" must be a JSON object of template variables";
    kwargs = *it;
  }
  auto r = tmpl.render(*msgs, add_generation_prompt, kwargs);
  if (!r) return r.message();
  rendered = std::move(r.value());
  return "";
}

int run_template(const TemplateArgs& a) {
  auto files = read_tokenizer_files(a.tokenizer);
  if (!files) return fail("template", files.message());
  auto t = Tokenizer::from_files(files.value());
  if (!t) return fail("template", a.tokenizer + ": " + t.message());
  auto tmpl = ChatTemplate::from_tokenizer(t.value());
  if (!tmpl) return fail("template", tmpl.message());
  std::string text;
  for (size_t line_no = 1; std::getline(std::cin, text); ++line_no) {
    if (text.find_first_not_of(" \t\r") == std::string::npos) continue;
    std::string rendered;
    const std::string error = render_line(tmpl.value(), text, rendered);
    if (!error.empty()) return fail("template", fmt::format("stdin line {}: {}", line_no, error));
    std::cout << json{{"rendered", rendered}}.dump(-1, ' ', false, json::error_handler_t::replace) << '\n' << std::flush;
  }
  return 0;
}

const CommandRegistration kRegistration({
    "template",
    "Render JSON Lines conversations with the model's chat template",
    [](CLI::App& app) {
      auto a = std::make_shared<TemplateArgs>();
      app.add_option("--tokenizer", a->tokenizer,
                     "Folder holding tokenizer_config.json (its \"chat_template\"; ChatML when absent) "
                     "and tokenizer.json")->required();
      app.footer(
          "Reads one JSON object per line from stdin:\n"
          "  {\"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}], \"add_generation_prompt\": true,\n"
          "   \"kwargs\": {\"enable_thinking\": false, \"tools\": [...]}}\n"
          "and writes {\"rendered\": \"...\"} per line. bos_token, eos_token, pad_token, unk_token and\n"
          "additional_special_tokens come from tokenizer_config.json; kwargs are extra template variables.\n"
          "A malformed line or a template error stops with a message naming the line (exit code 1).");
      return [a] { return run_template(*a); };
    }});

}  // namespace
}  // namespace hearth::tools
