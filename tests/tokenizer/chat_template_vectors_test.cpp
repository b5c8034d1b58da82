// Golden tests: every line of chat.jsonl (four families) must render the exact string
// and, tokenized without special tokens, the exact ids.
#include <gtest/gtest.h>

#include "src/tokenizer/chat_template.h"
#include "tests/common/tokenizer_test_util.h"

namespace hearth {
namespace {

using json = nlohmann::ordered_json;

class ChatTemplateVectors : public ::testing::TestWithParam<std::string> {};

TEST_P(ChatTemplateVectors, RenderAndTokenize) {
  const Tokenizer& t = test::cached_tokenizer(GetParam());
  auto tmpl = ChatTemplate::from_tokenizer(t);
  ASSERT_TRUE(tmpl) << tmpl.message();
  const auto lines = test::read_jsonl(test::tokenizer_dir(GetParam()) + "/chat.jsonl");
  ASSERT_FALSE(lines.empty());
  for (size_t i = 0; i < lines.size(); ++i) {
    const auto& l = lines[i];
    auto rendered = tmpl->render(l["messages"], l.value("add_generation_prompt", false), l.value("kwargs", json::object()));
    ASSERT_TRUE(rendered) << GetParam() << " chat.jsonl line " << i + 1 << ": " << rendered.message();
    EXPECT_EQ(*rendered, l["rendered"].get<std::string>()) << GetParam() << " chat.jsonl line " << i + 1;
    EXPECT_EQ(t.encode(*rendered, false), l["ids"].get<std::vector<int32_t>>()) << GetParam() << " chat.jsonl line " << i + 1;
  }
}

INSTANTIATE_TEST_SUITE_P(Families, ChatTemplateVectors,
                         ::testing::Values("deepseek_v3", "gemma3", "llama3", "qwen3"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace hearth
