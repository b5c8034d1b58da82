// The repository's default stage templates and the {{variable}} filling of staged reasoning
// (staged_reasoning.h). The defaults are written for reasoning models: they never ask the
// model to put its thinking in a particular place (a <think> block stays where the model puts
// it and is reported separately), and each later stage refers to the conversation above
// instead of quoting it, so the stage prompts extend one another and share the KV cache.
// Not here: running the stages (staged_reasoning.cpp).
#include <fstream>
#include <sstream>

#include "src/base/size.h"
#include "src/engine/staged_reasoning.h"

namespace hearth {
namespace {

const std::array<std::string, kStageCount> kDefaults = {
    // draft
    "{{question}}\n\n"
    "Work through the problem step by step, then state your answer clearly on its own line, "
    "starting with \"Answer:\".",
    // self_check
    "Before this answer is used, check it. Go through the logic of your answer above step by step: "
    "restate each step, say whether it really follows from the question and the previous steps, and "
    "recompute every calculation. Then list every error you found, numbered, or write \"No errors found.\" "
    "Do not give a new answer yet.",
    // counterfactual
    "Now test the answer with a counterfactual. Either change one premise of the question and say how the "
    "answer would have to change, or take the strongest alternative answer and argue for it as well as you "
    "can. Then say whether your original answer survives this test and why. End with one line: "
    "\"Verdict: survives\" or \"Verdict: does not survive\".",
    // final
    "Reconcile your draft, your self-check and the counterfactual test above into a final answer to the "
    "original question:\n\n{{question}}\n\n"
    "Correct anything the checks showed to be wrong. Give the final answer on its own line, starting with "
    "\"Answer:\", followed by a short justification.",
};

int stage_index(const std::string& name) {
  for (int i = 0; i < kStageCount; ++i)
    if (name == kStageNames[to_size(i)]) return i;
  return -1;
}

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ", ") + std::string("{{") + x + "}}";
  return s;
}

// Calls f(name) for every {{name}} in text (spaces inside the braces are allowed).
template <typename F>
Status for_each_variable(const std::string& text, F&& f) {
  size_t pos = 0;
  while ((pos = text.find("{{", pos)) != std::string::npos) {
    const size_t end = text.find("}}", pos + 2);
    if (end == std::string::npos) return Status::errorf("unclosed '{{{{' at byte {} of the template", pos);
    std::string name = text.substr(pos + 2, end - pos - 2);
    const size_t b = name.find_first_not_of(' '), e = name.find_last_not_of(' ');
    name = b == std::string::npos ? "" : name.substr(b, e - b + 1);
    HEARTH_TRY(f(name, pos, end + 2));
    pos = end + 2;
  }
  return Status::ok();
}

}  // namespace

const std::string& default_stage_template(int stage) { return kDefaults[to_size(stage)]; }

std::vector<std::string> stage_variables(int stage) {
  std::vector<std::string> v = {"question"};
  for (int i = 0; i < stage && i < kStageCount - 1; ++i) v.push_back(kStageNames[to_size(i)]);
  return v;
}

StageTemplates StageTemplates::defaults() {
  StageTemplates t;
  t.text_ = kDefaults;
  return t;
}

Status StageTemplates::set(const std::string& stage, const std::string& text) {
  const int i = stage_index(stage);
  if (i < 0)
    return Status::errorf("unknown stage '{}': the stages are draft, self_check, counterfactual, final", stage);
  const std::vector<std::string> allowed = stage_variables(i);
  Status s = for_each_variable(text, [&](const std::string& name, size_t, size_t) {
    for (const auto& a : allowed)
      if (name == a) return Status::ok();
    return Status::errorf("the {} template uses {{{{{}}}}}, which is not available there; it may use {}", stage,
                          name, join(allowed));
  });
  if (!s) return s;
  if (text.find_first_not_of(" \t\r\n") == std::string::npos)
    return Status::errorf("the {} template is empty", stage);
  text_[to_size(i)] = text;
  return Status::ok();
}

Status StageTemplates::set_from_spec(const std::string& spec) {
  const size_t eq = spec.find('=');
  if (eq == std::string::npos || eq == 0 || eq + 1 == spec.size())
    return Status::errorf("--stage-template wants NAME=FILE (NAME: draft, self_check, counterfactual, final), got '{}'",
                          spec);
  const std::string name = spec.substr(0, eq), path = spec.substr(eq + 1);
  if (stage_index(name) < 0)
    return Status::errorf("unknown stage '{}' in --stage-template: the stages are draft, self_check, "
                          "counterfactual, final", name);
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::errorf("cannot read the {} stage template {}", name, path);
  std::stringstream ss;
  ss << in.rdbuf();
  return set(name, ss.str()).with_context(path);
}

Result<std::string> fill_stage_template(const std::string& text, const nlohmann::json& values) {
  std::string out;
  size_t last = 0;
  Status s = for_each_variable(text, [&](const std::string& name, size_t begin, size_t end) {
    if (!values.contains(name) || !values[name].is_string())
      return Status::errorf("template variable {{{{{}}}}} has no value here", name);
    out.append(text, last, begin - last);
    out += values[name].get<std::string>();
    last = end;
    return Status::ok();
  });
  if (!s) return s;
  out.append(text, last, std::string::npos);
  return out;
}

}  // namespace hearth
