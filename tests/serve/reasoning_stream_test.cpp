// ReasoningStream: a reasoning model's output cut into pieces at every possible place gives
// the same reasoning_content and content as split_reasoning() of the whole text (what the
// non-streaming body holds), tags cut across pieces included; plain output passes unchanged.
#include <gtest/gtest.h>

#include "src/serve/reasoning_stream.h"
#include "src/tokenizer/chat_template.h"

namespace hearth::serve {
namespace {

struct Joined {
  std::string reasoning, content;
};

Joined stream(bool in_thinking, const std::vector<std::string>& pieces) {
  ReasoningStream s(in_thinking);
  std::vector<Delta> out;
  for (const auto& p : pieces) s.push(p, out);
  s.finish(out);
  Joined j;
  for (const Delta& d : out) {
    EXPECT_FALSE(d.text.empty());
    (d.reasoning ? j.reasoning : j.content) += d.text;
  }
  return j;
}

// Every split of `text` into two pieces, and one piece per byte.
std::vector<std::vector<std::string>> cuts(const std::string& text) {
  std::vector<std::vector<std::string>> all;
  for (size_t i = 0; i <= text.size(); ++i) all.push_back({text.substr(0, i), text.substr(i)});
  std::vector<std::string> bytes;
  for (char c : text) bytes.emplace_back(1, c);
  all.push_back(bytes);
  return all;
}

TEST(ReasoningStream, OutputThatOpensItsOwnThinkBlock) {
  const std::string text = "<think>\nLet me think.\nTwo lines.\n</think>\n\nThe answer is 4.";
  const ReasoningSplit whole = split_reasoning(text);
  for (const auto& pieces : cuts(text)) {
    const Joined j = stream(false, pieces);
    EXPECT_EQ(j.reasoning, whole.reasoning);
    EXPECT_EQ(j.content, whole.answer);
  }
}

TEST(ReasoningStream, PromptThatOpenedTheBlock) {
  const std::string text = "\nfirst < second, and </thin is not a tag\n</think>\nYes.";
  const ReasoningSplit whole = split_reasoning("<think>" + text);
  for (const auto& pieces : cuts(text)) {
    const Joined j = stream(true, pieces);
    EXPECT_EQ(j.reasoning, whole.reasoning);
    EXPECT_EQ(j.content, whole.answer);
  }
}

TEST(ReasoningStream, StoppedWhileThinkingIsAllReasoning) {
  const Joined j = stream(true, {"still ", "thinking\n"});
  EXPECT_EQ(j.reasoning, "still thinking");
  EXPECT_EQ(j.content, "");
}

TEST(ReasoningStream, PlainOutputPassesUnchanged) {
  const std::string text = "\n  <b>Hello</b> <thin";
  for (const auto& pieces : cuts(text)) {
    const Joined j = stream(false, pieces);
    EXPECT_EQ(j.content, text);
    EXPECT_EQ(j.reasoning, "");
  }
}

}  // namespace
}  // namespace hearth::serve
