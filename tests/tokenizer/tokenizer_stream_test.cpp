// StreamDecoder: text comes out only as complete UTF-8 characters, and the pieces add up
// to the full decode. Also the bundled tiny-qwen3-moe tokenizer used by generate/chat.
#include <gtest/gtest.h>

#include "tests/common/tokenizer_test_util.h"

namespace hearth {
namespace {

void expect_stream_matches(const Tokenizer& t, const std::string& text) {
  const auto ids = t.encode(text, false);
  StreamDecoder stream(t, false);
  std::string joined;
  for (int32_t id : ids) {
    const std::string piece = stream.push(id);
    EXPECT_EQ(piece.find("\xEF\xBF\xBD"), std::string::npos) << "half a character emitted for id " << id;
    joined += piece;
  }
  joined += stream.flush();
  EXPECT_EQ(joined, t.decode(ids, false));
  EXPECT_EQ(joined, text);
}

TEST(TokenizerStream, ByteLevelMultiByteSplitAcrossTokens) {
  const Tokenizer& t = test::cached_tokenizer("qwen3");
  const std::string text = "Emoji \U0001F9D1\U0001F3FF\u200d\U0001F4BB and \u00e9\u00e8 \u4f60\u597d!";
  const auto ids = t.encode(text, false);
  // Some character must be split over several tokens for this test to mean anything.
  bool split = false;
  for (int32_t id : ids) {
    const std::string one = t.decode(std::vector<int32_t>{id}, false);
    split = split || one.find("\xEF\xBF\xBD") != std::string::npos;
  }
  EXPECT_TRUE(split);
  expect_stream_matches(t, text);
}

TEST(TokenizerStream, ByteFallbackMultiByte) {
  const Tokenizer& t = test::cached_tokenizer("llama2");
  // The emoji is not in the Mistral vocabulary: it becomes <0xF0><0x9F>... byte tokens.
  const std::string text = "Hi \U0001F9D1\U0001F3FF there \u00e9";
  expect_stream_matches(t, text.substr(0));
  StreamDecoder stream(t, false);
  const auto ids = t.encode("\U0001F9D1", false);
  ASSERT_GE(ids.size(), 4u);
  std::string out;
  for (size_t k = 0; k + 1 < ids.size(); ++k) out += stream.push(ids[k]);
  EXPECT_EQ(out.find("\xF0"), std::string::npos);
  out += stream.push(ids.back());
  out += stream.flush();
  EXPECT_EQ(out, t.decode(ids, false));
}

TEST(TokenizerStream, LongStreamKeepsWindowConsistent) {
  const Tokenizer& t = test::cached_tokenizer("llama2");
  std::string text;
  for (int k = 0; k < 20; ++k) text += "word " + std::to_string(k) + " \u00fc\u00df ";
  text.pop_back();
  expect_stream_matches(t, text);
}

TEST(TokenizerStream, SkipsSpecialTokens) {
  const Tokenizer& t = test::cached_tokenizer("qwen3");
  StreamDecoder stream(t, true);
  std::string out;
  for (int32_t id : t.encode("<|im_start|>assistant\nHi<|im_end|>", false)) out += stream.push(id);
  out += stream.flush();
  EXPECT_EQ(out, "assistant\nHi");
}

TEST(TokenizerTinyModel, BundledQwen3MoeTokenizer) {
  auto t = Tokenizer::from_dir(std::string(HEARTH_SOURCE_DIR) + "/models/tiny-qwen3-moe");
  ASSERT_TRUE(t) << t.message();
  EXPECT_EQ(t->vocab_size(), 2048);
  EXPECT_EQ(t->token_to_id("<|im_start|>"), 2046);
  EXPECT_EQ(t->eos_id(), 2045);
  EXPECT_FALSE(t->bos_id().has_value());
  const std::string text = "<|im_start|>user\nHello world, caf\u00e9 123!<|im_end|>\n";
  const auto ids = t->encode(text, true);
  ASSERT_FALSE(ids.empty());
  EXPECT_EQ(ids.front(), 2046);
  EXPECT_EQ(t->decode(ids, false), text);
  EXPECT_EQ(t->decode(ids, true), "user\nHello world, caf\u00e9 123!\n");
  // NFC normalizer: a decomposed é encodes like the composed one.
  EXPECT_EQ(t->encode("cafe\u0301", false), t->encode("caf\u00e9", false));
}

}  // namespace
}  // namespace hearth
