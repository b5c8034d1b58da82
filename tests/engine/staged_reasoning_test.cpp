// Staged reasoning verification end to end on the bundled model: four stages, each prompt
// extending the previous conversation (the cache reuses it; fewer tokens computed than from
// scratch), the JSON validates against docs/staged_reasoning.schema.json (library and
// `hearth generate --verify-reasoning --json`), templates are checked and replaceable.
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "models/loader.h"
#include "src/engine/staged_reasoning.h"
#include "tests/common/staged_schema_check.h"

namespace hearth {
namespace {

nlohmann::json schema() {
  std::ifstream in(std::string(HEARTH_SOURCE_DIR) + "/docs/staged_reasoning.schema.json");
  return nlohmann::json::parse(in);
}

TEST(StageTemplates, VariablesAreChecked) {
  StageTemplates t = StageTemplates::defaults();
  EXPECT_TRUE(t.set("self_check", "Check {{ draft }} against {{question}}.").is_ok());
  Status s = t.set("draft", "{{draft}}");
  ASSERT_FALSE(s.is_ok());
  EXPECT_NE(s.message().find("may use {{question}}"), std::string::npos) << s.message();
  s = t.set("counterfactual", "{{final}}");
  EXPECT_NE(s.message().find("not available"), std::string::npos) << s.message();
  EXPECT_FALSE(t.set("summary", "x").is_ok());
  EXPECT_FALSE(t.set("final", "  \n").is_ok());
  EXPECT_FALSE(t.set("final", "{{question").is_ok());
  EXPECT_FALSE(t.set_from_spec("final").is_ok());
  s = t.set_from_spec("final=/nonexistent/final.txt");
  EXPECT_NE(s.message().find("/nonexistent/final.txt"), std::string::npos) << s.message();
  auto filled = fill_stage_template("Q: {{question}} D: {{ draft }}.", {{"question", "why"}, {"draft", "because"}});
  ASSERT_TRUE(filled.is_ok());
  EXPECT_EQ(*filled, "Q: why D: because.");
  for (int i = 0; i < kStageCount; ++i)  // every default uses only what its stage may use
    EXPECT_TRUE(t.set(kStageNames[size_t(i)], default_stage_template(i)).is_ok()) << kStageNames[size_t(i)];
}

TEST(StagedReasoning, RunsFourStagesSharingThePrefix) {
  auto loaded = models::load_model("", true);
  ASSERT_TRUE(loaded.is_ok()) << loaded.message();
  auto tmpl = ChatTemplate::from_tokenizer(*loaded->tokenizer);
  ASSERT_TRUE(tmpl.is_ok()) << tmpl.message();
  Session session(*loaded->model);
  StagedReasoningOptions opt;
  opt.generate.max_tokens = 12;
  opt.generate.sampler.temperature = 0;
  opt.generate.stop_ids = loaded->model->info().eos_ids;
  std::vector<std::string> begun;
  std::string streamed;
  StageObserver obs;
  obs.on_begin = [&](int, const std::string& name) { begun.push_back(name); };
  obs.on_text = [&](const std::string& piece) { streamed += piece; return true; };
  const nlohmann::json history = nlohmann::json::array({{{"role", "system"}, {"content", "Be careful."}}});
  auto r = run_staged_reasoning(session, *loaded->tokenizer, *tmpl, history, "Is 91 a prime number?", opt, obs);
  ASSERT_TRUE(r.is_ok()) << r.message();
  ASSERT_EQ(r->stages.size(), 4u);
  EXPECT_EQ(begun, (std::vector<std::string>{"draft", "self_check", "counterfactual", "final"}));
  std::string all;
  for (const auto& s : r->stages) all += s.raw;
  EXPECT_EQ(streamed, all);
  EXPECT_EQ(r->final_answer, r->stages[3].text);
  for (size_t i = 1; i < 4; ++i) {
    const StageResult& s = r->stages[i];
    EXPECT_GT(s.prompt_tokens, r->stages[i - 1].prompt_tokens + r->stages[i - 1].generated_tokens - 1);
    // Later stages reuse at least the previous stage's prompt, in whole KV pages.
    const int64_t page = EngineOptions{}.page_positions;
    EXPECT_GE(s.cached_tokens, r->stages[i - 1].prompt_tokens / page * page) << s.name;
    EXPECT_EQ(s.cached_tokens + s.computed_prompt_tokens, s.prompt_tokens);
  }
  const PrefixReuse& p = r->reuse;
  EXPECT_EQ(p.from_scratch_tokens, p.prompt_tokens + p.generated_tokens);
  EXPECT_EQ(p.computed_tokens + p.cached_tokens, p.from_scratch_tokens);
  EXPECT_GT(p.saved_fraction(), 0.4);
  const auto problems = testing::check_schema(schema(), staged_reasoning_json(*r));
  EXPECT_TRUE(problems.empty()) << problems.front();

  EXPECT_FALSE(run_staged_reasoning(session, *loaded->tokenizer, *tmpl, history, " ", opt).is_ok());
}

// Runs hearth with args (stdin: `input`, stderr discarded) and returns stdout.
std::string run_cli(const std::string& args, int& rc, const std::string& input = "") {
  std::string out;
  const std::string feed = input.empty() ? "" : "printf '" + input + "' | ";
  FILE* p = popen((feed + std::string(HEARTH_BINARY) + " " + args + " 2>/dev/null").c_str(), "r");
  if (!p) return out;
  std::array<char, 4096> buf;
  size_t got;
  while ((got = fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), got);
  rc = pclose(p);
  return out;
}

TEST(StagedReasoning, GenerateJsonValidatesAgainstTheSchema) {
  const std::string tpl = (std::filesystem::temp_directory_path() / ("hearth_cf_" + std::to_string(getpid()) + ".txt")).string();
  std::ofstream(tpl) << "Suppose the answer to {{question}} were different. Does \"{{draft}}\" survive?";
  int rc = -1;
  const std::string out = run_cli("generate -t 1 --temp 0 -n 6 --verify-reasoning --json --stage-template counterfactual=" +
                                      tpl + " --prompt 'What is 2 + 2?'", rc);
  std::filesystem::remove(tpl);
  ASSERT_EQ(rc, 0) << out;
  const nlohmann::json j = nlohmann::json::parse(out, nullptr, /*allow_exceptions=*/false);
  ASSERT_FALSE(j.is_discarded()) << out;
  const auto problems = testing::check_schema(schema(), j);
  EXPECT_TRUE(problems.empty()) << problems.front();
  EXPECT_EQ(j["stages"].size(), 4u);
  EXPECT_EQ(j["question"], "What is 2 + 2?");

  run_cli("generate -t 1 -n 2 --verify-reasoning --stage-template bogus=x --prompt q", rc);
  EXPECT_NE(rc, 0);
  run_cli("generate -t 1 -n 2 --json --prompt q", rc);  // --json needs --verify-reasoning
  EXPECT_NE(rc, 0);
}

TEST(StagedReasoning, ChatKeepsQuestionAndFinalAnswerInHistory) {
  int rc = -1;
  const std::string out = run_cli("chat -t 1 --temp 0 -n 4 --verify-reasoning --json", rc, "first question\\nsecond\\n");
  ASSERT_EQ(rc, 0) << out;
  std::istringstream lines(out);
  std::string line;
  int objects = 0;
  while (std::getline(lines, line)) {
    const nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
    ASSERT_FALSE(j.is_discarded()) << line;
    EXPECT_TRUE(testing::check_schema(schema(), j).empty());
    ++objects;
  }
  EXPECT_EQ(objects, 2);
}

}  // namespace
}  // namespace hearth
